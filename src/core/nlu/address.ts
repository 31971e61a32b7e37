import { FoundSpan } from "./text";

const STREET_WORD =
  "rua|r\\.|av\\.?|avenida|alameda|travessa|estrada|rodovia|praça|largo|calle|c\\/|carrera|cra\\.?|cl\\.?|avda\\.?|paseo|camino|pasaje|jirón|rue|avenue|boulevard|bd|chemin|allée|impasse|quai|place|route|road|rd\\.?|street|st\\.?|avenue|ave\\.?|lane|ln\\.?|drive|dr\\.?|way|close|court|ct\\.?|crescent|terrace|parade|highway|hwy|marg|nagar|gali|chowk|sector|viale|piazza|corso";
/** A street name: a street word before or after capitalised words, or a German/Swiss compound street. */
const STREET = new RegExp(
  [
    `\\b(?:${STREET_WORD})\\s+(?:(?:de|do|da|dos|das|del|de la|des|du|di)\\s+)?[\\p{L}\\d][\\p{L}\\d'’.-]*(?:\\s+(?:(?:de|do|da|del|des|du)\\s+)?\\p{Lu}[\\p{L}'’.-]*){0,3}`,
    `\\b\\d{1,5}[A-Za-z]?\\s+(?:\\p{L}[\\p{L}'’-]*\\s+){1,3}(?:${STREET_WORD})(?![\\p{L}\\d])`,
  ].join("|"),
  "iu",
);
/** German and Swiss street names are one capitalised compound (case matters: "during" is no Ring). */
const COMPOUND_STREET = /(?<![\p{L}])\p{Lu}\p{Ll}[\p{L}-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|steig)(?![\p{L}])/u;
/** A unit, building or floor: `apto 52`, `flat 1102`, `Level 5`, `unit 7`, `B-304`, `piso 4`, `Room 214`. */
const UNIT =
  /\b(?:apto|apt|apartment|ap|flat|unit|suite|level|floor|piso|planta|dto|depto|departamento|room|quarto|andar|bloco|block|tower|torre|casa|house|plot|wohnung|etage|stock|appartement|bâtiment|bat)\.?\s*(?:no\.?\s*)?\d{1,5}[A-Za-z]?\b|\b[A-Z]-\d{2,5}\b/iu;
const BUILDING =
  /\b(?:hostel|tower|towers|building|residency|residence|apartments|edifício|edificio|condomínio|condominio|residencial|conjunto|business park|park|plaza|centre|center|mall|complex|society|enclave)\b/iu;
/** Words that end an address: the sentence goes on about something else. */
const STOP_WORD =
  /^(?:and|e|y|und|et|or|ou|o|oder|pls|please|por|pra|para|pour|bitte|instead|en vez|cel|tel|phone|mob|mobile|contact|whatsapp|ka|ke|ki|pe|par|mein|can|could|is|are|it|i|i'm|im|tomorrow|today|amanhã|mañana|morgen|demain|por favor|s'il|thanks|thank|obrigad[oa]|gracias|merci|danke|asap|before|after|until|til|till|by)$/iu;
const CONNECTOR = /^(?:de|do|da|dos|das|del|la|las|los|le|les|des|du|di|no\.?|nr\.?|n[º°]|#|sur|norte|sul|oeste|leste|bis|-|–)$/iu;
const POSTCODE_OR_NUMBER = /^(?:\d[\d\w-]*|[A-Z]{1,2}\d[\dA-Z]?\s?\d[A-Z]{2}|\d+[ºª°]?[A-Za-z]?)$/u;

interface Segment {
  start: number;
  end: number;
  text: string;
}

/** Comma- or dash-separated pieces of one sentence, with offsets. */
function segmentsOf(sentence: string, offset: number): Segment[] {
  const segments: Segment[] = [];
  const separator = /\s*(?:,|\s[-–]\s|;)\s*/gu;
  let from = 0;
  for (const m of sentence.matchAll(separator)) {
    segments.push({ start: offset + from, end: offset + m.index!, text: sentence.slice(from, m.index!) });
    from = m.index! + m[0].length;
  }
  segments.push({ start: offset + from, end: offset + sentence.length, text: sentence.slice(from) });
  return segments.filter((s) => s.end > s.start);
}

function isPlaceWord(word: string): boolean {
  return (
    /^[\p{Lu}\d]/u.test(word) ||
    CONNECTOR.test(word) ||
    POSTCODE_OR_NUMBER.test(word) ||
    /^(?:col\.|colonia|bairro|barrio|dist\.|distrito)$/iu.test(word)
  );
}

/**
 * How much of a piece continues an address (capitalised place words, numbers, postcodes, units,
 * short connectors, up to the first other word): its length in characters, or 0.
 */
function placeLength(piece: string): number {
  if (/^\s*(?:I|I'm|Pls|Please|Thanks|Can|Could|Is|Ok|OK|Also)\b/u.test(piece)) return 0;
  const words = [...piece.matchAll(/\S+/gu)];
  if (words.length === 0 || STOP_WORD.test(words[0][0])) return 0;
  if (UNIT.test(piece) && words.length <= 6) return piece.length;
  let length = 0;
  for (const w of words.slice(0, 6)) {
    if (!isPlaceWord(w[0].replace(/[?!.]+$/u, "")) || STOP_WORD.test(w[0])) break;
    length = w.index! + w[0].length;
  }
  return length;
}

/** The tail of a piece from where the address begins in it (a street, a unit, or a number before a street). */
function addressStartIn(piece: Segment): number | undefined {
  let best: number | undefined;
  for (const pattern of [STREET, COMPOUND_STREET, UNIT]) {
    const m = pattern.exec(piece.text);
    if (!m) continue;
    let at = m.index;
    // "Rua do Futuro, 77" keeps the street; "Duval St" after "4410" starts at the number.
    const numberBefore = /(\d{1,5}[A-Za-z]?\s+)$/u.exec(piece.text.slice(0, at));
    if (numberBefore && !/\b(?:flat|unit|level|apt|apto|room)\s+\d+\s+$/iu.test(piece.text.slice(0, at))) at -= numberBefore[1].length;
    if (best === undefined || at < best) best = at;
  }
  return best;
}

function trimTail(text: string, start: number, end: number): number {
  const words = [...text.slice(start, end).matchAll(/\S+/gu)];
  let last = end;
  for (const w of words) {
    if (STOP_WORD.test(w[0].replace(/[.,!?]+$/u, ""))) {
      last = start + w.index!;
      break;
    }
  }
  while (last > start && /[\s.,;:!?)\]]/u.test(text[last - 1])) last -= 1;
  return last;
}

/**
 * Street-level addresses: a street with a number, or a unit/building, together with the pieces that
 * follow it (unit, district, city, postcode) while they look like places. Pieces before the street
 * count when they are a unit or a named building.
 */
export function findAddresses(text: string): FoundSpan[] {
  const found: FoundSpan[] = [];
  const sentence = /(?:[^.!?\n]|\.(?=\S)|(?<=\b(?:av|st|rd|dr|col|no|nr|apt|apto|dto|ave|cra|sr|jr|str|bd))\.)+/giu;
  for (const s of text.matchAll(sentence)) {
    const segments = segmentsOf(s[0], s.index!);
    for (let i = 0; i < segments.length; i++) {
      const startInPiece = addressStartIn(segments[i]);
      if (startInPiece === undefined) continue;
      const coreText = segments[i].text.slice(startInPiece);
      const hasNumber = /\d/u.test(coreText) || /^\s*\d/u.test(segments[i + 1]?.text ?? "");
      if (!hasNumber) continue;
      let first = i;
      let start = segments[i].start + startInPiece;
      // A unit or building named just before ("Level 5, 120 Collins St", "Aryabhatta Hostel, Room 214").
      while (startInPiece === 0 && first > 0) {
        const previous = segments[first - 1];
        const tail = /(?:^|[:]\s*|\s)((?:\p{Lu}[\p{L}\d'’-]*\s+){0,3}(?:\p{Lu}[\p{L}'’-]*)|(?:\S+\s+)?\d{1,5}[A-Za-z]?)$/u.exec(
          previous.text,
        );
        const piece = previous.text.slice(previous.text.lastIndexOf(":") + 1).trim();
        if (!(UNIT.test(piece) || BUILDING.test(piece)) || !tail) break;
        if (placeLength(piece) !== piece.length) break;
        first -= 1;
        start = previous.end - piece.length;
      }
      let last = i;
      let lastEnd = segments[i].end;
      while (last + 1 < segments.length) {
        const length = placeLength(segments[last + 1].text);
        if (length === 0) break;
        last += 1;
        lastEnd = segments[last].start + length;
        if (length < segments[last].text.length) break;
      }
      // A unit alone ("apto 31") is an address only with places after it or a named building.
      const streetInPiece = STREET.test(segments[i].text) || COMPOUND_STREET.test(segments[i].text);
      if (!streetInPiece && last === i && first === i && !BUILDING.test(coreText)) continue;
      const end = trimTail(text, segments[i].start + startInPiece, lastEnd);
      if (end - start >= 6) found.push({ start, end, confidence: 0.7 });
      i = last;
    }
  }
  return found;
}
