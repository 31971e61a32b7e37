import { FoundSpan } from "./text";

/**
 * Type nouns of goods small shops sell, in the chat languages (singular; plurals are derived).
 * A general list: a shop's own catalogue (product names) is matched first and exactly.
 */
const GOODS = `
shirt t-shirt tshirt tee blouse hoodie sweatshirt sweater jumper cardigan jacket coat blazer dress skirt jeans trousers pants shorts legging sock shoe sneaker trainer boot sandal slipper flip-flop cap hat beanie scarf glove bag backpack handbag wallet purse belt watch sunglasses glasses uniform kurta saree sari dupatta lehenga chappal
camisa camiseta blusa moletom casaco jaqueta vestido saia calça bermuda meia tênis sapato bota sandália chinelo boné bolsa mochila carteira relógio óculos
playera sudadera chaqueta chamarra abrigo falda pantalón calcetín tenis zapato zapatilla gorra bolso cartera reloj
chemise pull sweat veste manteau robe jupe pantalon jean chaussette chaussure basket botte sac montre
hemd pullover pulli jacke mantel kleid rock hose socke schuh turnschuh stiefel tasche rucksack uhr
phone iphone smartphone mobile charger cable earbud earphone headphone airpods airdopes speaker laptop notebook tablet ipad monitor keyboard mouse tv television camera cover case protector powerbank router console controller printer fryer blender kettle toaster mixer microwave fridge fan heater vacuum iron
celular carregador cabo fone capinha capa fritadeira liquidificador geladeira ventilador
móvil cargador audífono funda freidora licuadora cafetera
téléphone chargeur écouteur coque ordinateur friteuse cafetière
handy ladegerät kabel kopfhörer hülle fritteuse kaffeemaschine kaffeemühle mühle
desk chair table lamp sofa couch bed mattress pillow sheet duvet blanket towel rug curtain shelf cabinet wardrobe mirror skillet pan pot knife mug plate bowl vase candle tray
mesa cadeira luminária abajur sofá cama colchão travesseiro lençol toalha tapete cortina estante panela frigideira caneca prato
escritorio silla lámpara colchón almohada sábana alfombra sartén olla taza
bureau chaise lampe canapé lit matelas oreiller drap serviette tapis poêle casserole tasse
schreibtisch stuhl tisch lampe bett matratze kissen decke handtuch teppich pfanne topf tasse
cake cupcake cookie biscuit bread loaf croissant pizza burger sandwich pie brownie donut doughnut muffin bento rice noodle coffee tea juice honey oil egg milk cheese butter flour sugar chocolate wine beer
bolo torta pão salgado salgadinho coxinha pastel brigadeiro docinho empada esfiha açaí café mel azeite ovo leite queijo manteiga farinha tomate cebola batata alface couve cenoura banana maçã laranja mandioca abóbora gengibre alho frango carne peixe vinho cerveja
galleta tamal taco empanada miel aceite huevo leche queso yerba aguacate pollo vino pan
gâteau tarte pain baguette macaron miel huile œuf fromage vin
kuchen torte brot brötchen kaffee honig öl eier milch käse wein bier filterpapier filter
samosa biryani thali paneer ghee atta chai mithai laddoo
bike bicycle e-bike helmet tyre tire scooter toy book perfume cream shampoo soap lotion lipstick serum
bicicleta capacete livro perfume creme sabonete libro casco vélo casque livre fahrrad helm buch
`;

/** Words that may stand before a type noun inside the product's name (English-style modifiers). */
const MODIFIERS = new Set(
  `ceramic standing cast iron vegetarian vegan linen wooden wood leather cotton wool silk denim wireless bluetooth electric gaming mechanical smart stainless steel glass plastic metal silver gold black white blue red green navy pink grey gray brown beige olive oak walnut bamboo organic gluten-free chocolate vanilla strawberry back screen phone air table floor desk sheet cable rice chicken beef veggie running trail hiking rain winter summer baby kids mens womens queen king single double large small mini medium xl inch cm`.split(
    /\s+/u,
  ),
);
const COLOURS =
  "olive|black|white|blue|red|green|navy|pink|grey|gray|brown|beige|sage green|sage|cream|yellow|orange|purple|gold|silver|oak|walnut|preto|branco|azul|vermelho|verde|rosa|cinza|negro|blanco|rojo|gris|noir|blanc|bleu|rouge|vert|schwarz|weiß|weiss|blau|rot|grün";
/** `in <colour>` after a type noun: "Aria lamp in sage green". */
const IN_COLOUR = new RegExp(`^(?:${COLOURS})(?:\\s+(?:${COLOURS}))?`, "iu");
/** Words after a type noun that describe it in Romance languages (`tomate italiano`, `mandioca descascada`). */
const ADJECTIVE_AFTER =
  /^(?:\p{Ll}+(?:ano|ana|anos|anas|ado|ada|ados|adas|ido|ida|idos|idas|ivo|iva|oso|osa|ino|ina|ês|esa|ico|ica|al|ável|ível|ario|ária|ário)|caipira|alto|alta|écru|mérinos|cabotiá|orgânico|orgánico|bio|integral)$/u;
const LINKS = /^(?:de|do|da|dos|das|del|en|à|au|aux|di)$/u;
/** Words that a product's name never runs through. */
const STOP =
  /^(?:de|la|el|los|las|le|les|un|une|una|uno|um|uma|o|a|os|as|the|an|my|your|our|this|that|these|those|some|any|and|or|e|y|et|und|oder|to|for|with|without|in|on|at|by|of|from|por|para|pra|pro|com|con|sem|sin|avec|sans|mit|ohne|für|pour|is|are|was|were|it|i|you|we|they|he|she|ka|ki|ke|hai|hain|grande|pequeno|pequena|big|small|same|other|mesmo|mesma|mismo|misma|new|old|novo|nova|nuevo|nueva|neue|neuer|neu|alt)$/iu;
/** Ends of German compounds that name goods (Kaffeemühle, Filterpapiere, Schreibtischlampe). */
const COMPOUND_HEADS =
  /(?:mühle|maschine|papier|papiere|lampe|leuchte|tisch|stuhl|schuhe?|jacke|hose|tasche|kuchen|torte|brot|bike|filter|kabel|hülle|uhr|decke|kissen|pfanne|topf|tasse|flasche|matratze|sessel|regal|schrank)$/u;
/** Type nouns that name a way of reaching someone when said after these ("no celular", "au téléphone"). */
const CHANNEL = /^(?:phone|celular|telefone|téléphone|teléfono|handy|mobile|móvil)$/iu;
const CHANNEL_BEFORE =
  /\b(?:no|na|au|on|by|over|per|par|am|pelo|por|al|call|ligar|llamar|appeler|anrufen)\s+(?:my|the|meu|mi|mon|le|o)?\s*$/iu;
const NAMING_AFTER = /^(?:sets?|kits?|combos?|bundles?|packs?)$/iu;
const BED_SIZE_AFTER = /^(?:queen|king|twin|single|double|full)$/iu;
const CAPITALISED_STOP = /^(?:The|A|An|O|Os|As|La|El|Los|Las|Le|Les|Der|Die|Das|Und|And|I|Y|E)$/u;
const MODEL = /^(?=.*\d)[\p{L}\d][\p{L}\d.,-]*$/u;
/** A size written right after the goods, part of their name ("hoodie size M", "tenis talla 38", "E-Bike in Grösse L"). */
const SIZE_AFTER =
  /^\s+(?:in\s+)?(?:size|talla|taille|tamanho|gr(?:ö|oe?)(?:ß|ss)e)\s+(?:\d{1,3}(?:[.,]5)?|X{0,3}[SL]|M|XXL|[2-5]XL|P|G|GG)(?![\p{L}\d])/iu;

let goods: Set<string> | undefined;
function goodsWords(): Set<string> {
  goods ??= new Set(GOODS.split(/\s+/u).filter(Boolean));
  return goods;
}

function singularOf(word: string): string[] {
  const lower = word.toLowerCase();
  const forms = [lower];
  if (lower.endsWith("es")) forms.push(lower.slice(0, -2));
  if (lower.endsWith("s")) forms.push(lower.slice(0, -1));
  if (lower.endsWith("ões")) forms.push(`${lower.slice(0, -3)}ão`);
  if (lower.endsWith("en")) forms.push(lower.slice(0, -2), lower.slice(0, -1));
  if (lower.endsWith("e")) forms.push(lower.slice(0, -1));
  return forms;
}

/** Whether a word names goods (a type noun of the list, singular or plural, or a German compound ending in one). */
export function isGoodsWord(word: string): boolean {
  const lexicon = goodsWords();
  if (singularOf(word).some((form) => lexicon.has(form))) return true;
  // German compounds end in their type noun: Kaffeemühle, Filterpapiere.
  return /^\p{Lu}/u.test(word) && word.length > 7 && COMPOUND_HEADS.test(word.toLowerCase());
}

interface Token {
  text: string;
  start: number;
  end: number;
}

function tokensOf(text: string): Token[] {
  return [...text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’.,-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu)].map((m) => ({
    text: m[0],
    start: m.index!,
    end: m.index! + m[0].length,
  }));
}

function isCapitalised(token: Token, text: string): boolean {
  if (!/^\p{Lu}|^\p{Ll}+\p{Lu}/u.test(token.text)) return false;
  return !/(?:^|[.!?\n]\s*)$/u.test(text.slice(0, token.start));
}

function joined(text: string, a: Token, b: Token): boolean {
  return /^\s{1,2}$/u.test(text.slice(a.end, b.start));
}

const WORD = /[\p{L}\p{N}]+/gu;
/** A name from the shop's own catalogue: exact, so it outranks guesses from word lists. */
export const CATALOGUE_CONFIDENCE = 0.95;
const isWordCharacter = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/**
 * A shop's catalogue indexed by each name's first two words (its only word, for one-word names),
 * so a message is matched against the few names that start the way its words do, not against all
 * 20,000 (many names share a first word: a brand): the cost follows the message, not the list.
 */
export class ProductCatalogue {
  private readonly byLead = new Map<string, { needle: string; lead: number }[]>();

  constructor(names: readonly string[]) {
    for (const name of names) {
      const needle = name.toLowerCase();
      const words = [...needle.matchAll(WORD)].slice(0, 2);
      if (needle.length < 2 || words.length === 0) continue;
      const key = needle.slice(words[0].index, words[words.length - 1].index! + words[words.length - 1][0].length);
      const candidates = this.byLead.get(key) ?? [];
      candidates.push({ needle, lead: words[0].index! });
      this.byLead.set(key, candidates);
    }
    for (const candidates of this.byLead.values()) candidates.sort((a, b) => b.needle.length - a.needle.length);
  }

  /** Whole-word, case-blind matches, the longest name first where names overlap. */
  find(text: string): FoundSpan[] {
    const lower = text.toLowerCase();
    const words = [...lower.matchAll(WORD)];
    const matches: FoundSpan[] = [];
    words.forEach((word, i) => {
      const next = words[i + 1];
      const keys = next ? [lower.slice(word.index, next.index! + next[0].length), word[0]] : [word[0]];
      for (const key of keys) {
        const hit = (this.byLead.get(key) ?? []).find(({ needle, lead }) => {
          const at = word.index! - lead;
          return at >= 0 && lower.startsWith(needle, at) && !isWordCharacter(text[at - 1]) && !isWordCharacter(text[at + needle.length]);
        });
        if (hit) {
          matches.push({
            start: word.index! - hit.lead,
            end: word.index! - hit.lead + hit.needle.length,
            confidence: CATALOGUE_CONFIDENCE,
          });
          break;
        }
      }
    });
    const found: FoundSpan[] = [];
    for (const match of matches.sort((a, b) => b.end - b.start - (a.end - a.start))) {
      if (!found.some((f) => match.start < f.end && match.end > f.start)) found.push(match);
    }
    return found;
  }
}

const catalogueIndexes = new WeakMap<readonly string[], ProductCatalogue>();
/** The index of a catalogue array, built on its first use (a node keeps one array until its list changes). */
function catalogueIndexOf(names: readonly string[]): ProductCatalogue {
  let index = catalogueIndexes.get(names);
  if (!index) {
    index = new ProductCatalogue(names);
    catalogueIndexes.set(names, index);
  }
  return index;
}

/**
 * Products: a catalogue name (exact, longest first), else a type noun of goods with the words that
 * name it: modifiers and brand/model before it, and after it brand and model, `de`-phrases,
 * describing adjectives, glued sizes (`500g`) and `in <colour>`.
 */
export function findProducts(text: string, catalogue: readonly string[] = []): FoundSpan[] {
  const found = catalogue.length > 0 ? catalogueIndexOf(catalogue).find(text) : [];
  const tokens = tokensOf(text);
  for (let h = 0; h < tokens.length; h++) {
    const head = tokens[h].text.replace(/[.,]+$/u, "");
    if (!isGoodsWord(head) || STOP.test(head)) continue;
    if (
      CHANNEL.test(head) &&
      (CHANNEL_BEFORE.test(text.slice(Math.max(0, tokens[h].start - 20), tokens[h].start)) ||
        /^\s+(?:number|no\.|nr|nummer|número|numero|numéro|call|calls)\b/iu.test(text.slice(tokens[h].end)))
    )
      continue;
    let first = h;
    while (first > 0 && first > h - 4 && joined(text, tokens[first - 1], tokens[first])) {
      const left = tokens[first - 1];
      const word = left.text.toLowerCase();
      if (STOP.test(word)) break;
      const inch = /^\d+$/u.test(word) && /^(?:inch|in|cm)$/iu.test(tokens[first].text);
      if (
        MODIFIERS.has(word) ||
        isGoodsWord(left.text) ||
        isCapitalised(left, text) ||
        (MODEL.test(left.text) && /\p{L}/u.test(left.text)) ||
        inch
      )
        first -= 1;
      else break;
    }
    let last = h;
    for (let i = h + 1; i < tokens.length && joined(text, tokens[i - 1], tokens[i]) && !/[,;:!?]$/u.test(tokens[i - 1].text); i++) {
      const word = tokens[i].text;
      const next = tokens[i + 1];
      if (isCapitalised(tokens[i], text) && !CAPITALISED_STOP.test(word)) last = i;
      else if (
        (NAMING_AFTER.test(word) && i === last + 1) ||
        (BED_SIZE_AFTER.test(word) && i === last + 1 && NAMING_AFTER.test(tokens[last].text))
      )
        last = i;
      else if (MODEL.test(word) && (isCapitalised(tokens[i - 1], text) || /^\d+(?:[.,]\d+)?(?:g|kg|ml|l|L|gb|GB|tb|TB)$/u.test(word)))
        last = i;
      else if (/^(?:L|ml|g|kg)$/u.test(word) && /\d$/u.test(tokens[i - 1].text)) last = i;
      else if (ADJECTIVE_AFTER.test(word) || (isGoodsWord(word) && i === last + 1 && !/^\p{Lu}/u.test(word))) last = i;
      else if (
        LINKS.test(word) &&
        next &&
        joined(text, tokens[i], next) &&
        !STOP.test(next.text) &&
        (/^\p{Ll}/u.test(next.text) || /^\d/u.test(next.text) || isCapitalised(next, text)) &&
        !/^(?:tamanho|talla|taille|size|cor|color|couleur)$/iu.test(next.text)
      ) {
        last = i + 1;
        i += 1;
      } else if (/^in$/iu.test(word) && next && IN_COLOUR.test(text.slice(next.start))) {
        const colourEnd = next.start + IN_COLOUR.exec(text.slice(next.start))![0].length;
        while (i + 1 < tokens.length && tokens[i + 1].end <= colourEnd) i += 1;
        last = i;
      } else break;
    }
    const start = tokens[first].start;
    let end = tokens[last].end - (/[.,]$/u.test(tokens[last].text) ? 1 : 0);
    const size = end === tokens[last].end ? SIZE_AFTER.exec(text.slice(end, end + 40)) : null;
    if (size) {
      end += size[0].length;
      while (last + 1 < tokens.length && tokens[last + 1].end <= end) last += 1;
    }
    if (!found.some((f) => start < f.end && end > f.start)) found.push({ start, end, confidence: first === h && last === h ? 0.6 : 0.7 });
    h = last;
  }
  return found.sort((a, b) => a.start - b.start);
}

export const PRODUCT_LIST_LIMITS = { maxBytes: 1_000_000, maxNames: 20_000, maxNameLength: 120 };

/**
 * A shop's product names: one per line, or CSV/TSV whose first column is the name (a header row
 * named product/name/produto/producto is skipped); `#` lines are comments. Names too long or
 * beyond the limit are counted, not kept.
 */
export function parseProductList(source: string): { names: string[]; skipped: number } {
  const lines = source.replace(/^\uFEFF/u, "").split(/\r?\n/u);
  return collectProductNames(
    lines.map((line) => {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) return undefined;
      const quoted = /^"((?:[^"]|"")*)"/u.exec(trimmed);
      return (quoted ? quoted[1].replace(/""/gu, '"') : trimmed.split(/[,;\t]/u)[0]).trim();
    }),
  );
}

/** A shop's product names from a spreadsheet range: the first cell of each row (a header cell named product/name… is skipped). */
export function productListFromRows(rows: readonly (readonly unknown[])[]): { names: string[]; skipped: number } {
  return collectProductNames(
    rows.map((row) => (row[0] === undefined || row[0] === null || String(row[0]).trim() === "" ? undefined : String(row[0]).trim())),
  );
}

/** Names in order, without blanks (undefined), duplicates (case-blind) or a first header; too long or too many are counted. */
function collectProductNames(candidates: (string | undefined)[]): { names: string[]; skipped: number } {
  const names: string[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  candidates.forEach((name, index) => {
    if (name === undefined) return;
    if (index === 0 && /^(?:product|products|name|produto|producto|produit|produkt|item)$/iu.test(name)) return;
    if (name === "" || name.length > PRODUCT_LIST_LIMITS.maxNameLength || names.length >= PRODUCT_LIST_LIMITS.maxNames) {
      skipped += 1;
      return;
    }
    if (seen.has(name.toLowerCase())) return;
    seen.add(name.toLowerCase());
    names.push(name);
  });
  return { names, skipped };
}
