import * as chrono from "chrono-node";
import { CountryCode } from "libphonenumber-js";

/**
 * Points in time in a message, resolved against the day it was sent: chrono-node's casual
 * parsers for English (day-first, or month-first in US/Canadian chats), Spanish, Portuguese,
 * German and French, plus rules for Hinglish (aaj / kal / parso, "6 baje"). Ranges and periods
 * (this weekend, next week, 9-11) are left out; a weekday is the next one, or the last one
 * when the sentence is about the past ("desde sexta", "ordered on Monday").
 */
export interface DatetimeSpan {
  start: number;
  end: number;
  /** `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` when a clock time was given (wall clock, no zone). */
  value: string;
}

type Parser = { parse(text: string, ref: chrono.ParsingReference, option?: chrono.ParsingOption): chrono.ParsedResult[] };

const MONTH_FIRST_REGIONS = new Set<CountryCode>(["US", "CA", "PH"]);
/**
 * chrono's parsers for the other languages, each run only when the text has a word of that language's dates or
 * times (or a clock written its way): most messages have none, and every parser reads the whole text.
 */
const LETTERS_AROUND = (words: string, numbers?: string) =>
  new RegExp(`(?<![\\p{L}])(?:${words})(?![\\p{L}])${numbers ? `|${numbers}` : ""}`, "iu");
/** A clock time or a numeric date: the German and French parsers read some of these in any language ("from 2pm to 4pm", "9:00a"). */
const CLOCK_OR_DATE_NUMBERS = "\\d{1,2}[:h.]\\d{2}|\\d{1,2}\\s*(?:am|pm|h|uhr)\\b|\\d{1,2}/\\d{1,2}|\\d{1,2}h";
const LOCALES: { parser: Parser; cue: RegExp }[] = [
  {
    parser: chrono.es.casual,
    cue: LETTERS_AROUND(
      "lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|hoy|ma[ñn]ana|ayer|anoche|anteayer|pasado|enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre|ene|feb|mar|abr|may|jun|jul|ago|sept?|oct|nov|dic|mediod[íi]a|medianoche|pr[óo]xim[oa]s?|que viene|siguiente|tarde|noche",
      "(?<![\\p{L}])(?:las?|a|en)\\s+\\d|\\d{1,2}h",
    ),
  },
  {
    parser: chrono.pt.casual,
    cue: LETTERS_AROUND(
      "segunda|ter[çc]a|quarta|quinta|sexta|s[áa]bado|domingo|hoje|amanh[ãa]|ontem|anteontem|janeiro|fevereiro|mar[çc]o|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro|jan|fev|mar|abr|mai|jun|jul|ago|set|out|nov|dez|meio[- ]dia|meia[- ]noite|pr[óo]xim[oa]s?|que vem|tarde|noite",
      "[àa]s?\\s+\\d|\\d{1,2}h",
    ),
  },
  {
    parser: chrono.de.casual,
    cue: LETTERS_AROUND(
      "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|heute|morgen|gestern|[üu]bermorgen|vorgestern|januar|j[äa]nner|februar|m[äa]rz|april|mai|juni|juli|august|september|oktober|november|dezember|jan|feb|m[äa]r|apr|jun|jul|aug|sep|sept|okt|nov|dez|uhr|n[äa]chste[nrs]?|mittag|mitternacht|abends?|morgens|nachmittags?|vormittags?|\\d{1,2}\\.\\d{1,2}\\.?",
      `${CLOCK_OR_DATE_NUMBERS}|(?<![\\p{L}])(?:um|am|mo|di|mi|do|fr|sa|so)\\.?,?\\s+\\d`,
    ),
  },
  {
    parser: chrono.fr.casual,
    cue: LETTERS_AROUND(
      "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|aujourd'hui|demain|hier|avant-hier|apr[èe]s-demain|janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|novembre|d[ée]cembre|janv|f[ée]v|avr|juil|sept|oct|nov|d[ée]c|prochain|prochaine|midi|minuit|matin|soir|apr[èe]s-midi",
      `${CLOCK_OR_DATE_NUMBERS}|(?<![\\p{L}])(?:[àa]|le|vers)\\s+\\d`,
    ),
  },
];
const PERIOD = /\b(week|weekend|month|year|semana|fin de semana|mes|ano|año|woche|wochenende|monat|jahr|semaine|mois|hafte|mahina)\b/i;
const PAST_CUE =
  /\b(since|ordered|bought|last|previous|prior|desde|comprei|pedi|pedí|compré|seit|bestellt|gekauft|depuis|commandé|dernier|passad[oa]|pasad[oa]|letzte[nm]?)(?![\p{L}\d])[^.?!]{0,40}$/iu;
/** A verb in the past in the same clause, a little before the weekday ("it was dispatched on monday", "chegou na sexta"). */
const PAST_VERB =
  /(?<![\p{L}])(was|were|did|had|shipped|dispatched|sent|delivered|arrived|received|came|paid|fue|lleg[oó]|enviaron|envi[eé]|mand[eé]|pagu[eé]|recib[ií]|sali[oó]|foi|chegou|enviaram|enviei|mandei|paguei|recebi|veio|saiu|war|wurde|kam|geschickt|versandt|bezahlt|angekommen|[ée]tait|[ée]t[ée]|arriv[ée]e?|envoy[ée]e?|re[çc]ue?|pay[ée]e?)(?![\p{L}])[^.?!,;]{0,30}$/iu;
const LEADING_WORDS =
  /^(?:(?:on|at|by|until|the|this coming|para|até|às|as|a las|a la|am|um|à|le|el|la|o|a|no|na|em|en|de|del|dem|den|der|vor|bis|ab|pour|du|avant)\s+)+/i;
const HINGLISH =
  /\b(aaj|kal|parso|parson)(?:\s+(?:subah|shaam|sham|raat|dopahar|savere))?(?:\s+(\d{1,2})(?::(\d{2}))?\s*baje)?\b|\b(\d{1,2})(?::(\d{2}))?\s*baje\b/gi;
const MAX_CHARS = 2000;
const WEEKDAY =
  "mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|segunda|ter[çc]a|quarta|quinta|sexta|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche";
const RELATIVE_DAY =
  "today|tonight|tomorrow|yesterday|hoy|ma[ñn]ana|ayer|pasado ma[ñn]ana|hoje|amanh[ãa]|ontem|depois de amanh[ãa]|heute|morgen|gestern|[üu]bermorgen|aujourd'hui|demain|hier|apr[èe]s-demain|ce matin|ce soir|cet apr[èe]s-midi|noon|meio-dia|meio dia|mediod[íi]a";
/** What a point in time is written with; chrono's other finds (durations, "now", "mon" in French, numbers) are dropped. */
/** A weekday or relative day, bounded by letters rather than \\b: a word boundary after "amanhã" is not one to JavaScript. */
const DAY_NAME = `(?<![\\p{L}\\d])(?:${WEEKDAY}|${RELATIVE_DAY})(?![\\p{L}\\d])`;
const DATE_EVIDENCE = new RegExp(
  `${DAY_NAME}|\\d{1,2}[/.]\\d{1,2}|\\d{1,2}[:h]\\d{2}|\\b(?:las|[àa]s)\\s+\\d{1,2}\\b|\\d{1,2}\\s*(?:am|pm|h|uhr)\\b|\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+|de\\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic|fev|mai|set|out|dez|janv|f[ée]v|avr|juil|ao[uû]|d[ée]c|m[äa]r|okt)[a-zç]*\\b|\\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?\\s+\\d{1,2}\\b`,
  "iu",
);
const RELATIVE_DAY_WORD = new RegExp(`(?<![\\p{L}\\d])(?:${RELATIVE_DAY})(?![\\p{L}\\d])`, "iu");
const NOT_A_DAY = /^(?:mon|sun|sab|sat|wed|sex|quinta|manh[ãa]|tarde|now|agora|ahora|jetzt|maintenant|day)$/i;
/** "de manhã", "en la mañana", "guten Morgen": the morning, not tomorrow. */
const MORNING_BEFORE = /(?:\b(?:de|la|pela|na|por la|esta|guten)\s*)$/i;
const PART_OF_DAY_AFTER =
  /^\s+(?:de manh[ãa]|[àa] tarde|[àa] noite|en la ma[ñn]ana|en la tarde|en la noche|por la ma[ñn]ana|por la tarde|in the morning|in the afternoon|in the evening|morning|evening|night|afternoon|fr[üu]h|morgens|abends|nachmittags|matin|soir|apr[èe]s-midi|subah|shaam|sham|raat)(?![\p{L}])/iu;
const TIME_AFTER = /^\s+(?:at|[àa]s|a las|a la|um|[àa])\s+(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|h|uhr)?(?![\d/])/i;
const PAST_AFTER = /^[^.?!]{0,40}\b(?:bestellt|gekauft|ordered|comprei|pedi|command[ée])(?![\p{L}\d])/iu;
/** A time written the 24-hour way: "16h", "9h30", "14:00" (the "h" of "amanhã" is no hour mark). */
const CLOCK_24H = /\dh(?![\p{L}])|:\d\d/u;
const DAY_AFTER_BEFORE = /(?:depois de|pasado|apr[èe]s-?|day after)\s*$/i;
const CLOCK_PREPOSITION = /(?:^|[^\p{L}])(?:[àa]s?|a las|a la|um|at|vers|das|at[ée]|hasta las|desde las|dalle|alle)\s+$/iu;
const NUMERIC_DATE = /(?<![\d.,/])(\d{1,2})([./])(\d{1,2})(?:\2(\d{2}|\d{4}))?(\.)?(?![\d/]|\.\d|\s*(?:am|pm|h\b|uhr|€|%))/gi;
const DAY_OF_MONTH =
  /\b(?:dia|d[íi]a|le|am)\s+(\d{1,2})(?:st|nd|rd|th|\.)?(?!\s*(?:[:/.]\d|%|h\b|am|pm|kg|x\b))\b|\b(\d{1,2})(?:st|nd|rd|th)\b/gi;

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function dayOf(ms: number): Date {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

function format(date: Date, hour?: number, minute?: number): string {
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return hour === undefined ? day : `${day}T${pad(hour)}:${pad(minute ?? 0)}`;
}

function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

/** Afternoon hours for a bare small clock time when nothing says am ("a las 5", "6 baje"). */
function likelyHour(hour: number, meridiemKnown: boolean): number {
  return !meridiemKnown && hour >= 1 && hour <= 7 ? hour + 12 : hour;
}

export function extractDatetimes(text: string, sentAt: number, region?: CountryCode): DatetimeSpan[] {
  const input = text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text;
  const reference = dayOf(sentAt);
  const monthFirst = region !== undefined && MONTH_FIRST_REGIONS.has(region);
  const english = monthFirst ? chrono.en.casual : chrono.en.GB;
  const found: DatetimeSpan[] = [];
  // Overlapping finds: the longer one wins ("hoy a las 9:12 am" over "9:12 am").
  const take = (span: DatetimeSpan) => {
    if (span.end <= span.start) return;
    const overlapping = found.filter((f) => f.start < span.end && span.start < f.end);
    if (overlapping.some((f) => f.end - f.start >= span.end - span.start)) return;
    for (const f of overlapping) found.splice(found.indexOf(f), 1);
    found.push(span);
  };

  for (const m of input.matchAll(HINGLISH)) {
    const word = m[1]?.toLowerCase();
    const offset = word === "kal" ? 1 : word === "parso" || word === "parson" ? 2 : 0;
    const hourText = m[2] ?? m[4];
    const minuteText = m[3] ?? m[5];
    const partOfDay = /\b(subah|savere|shaam|sham|raat|dopahar)\b/i.exec(m[0])?.[1].toLowerCase();
    const hour =
      hourText === undefined ? undefined : partOfDay ? withPartOfDay(Number(hourText), partOfDay) : likelyHour(Number(hourText), false);
    if (hour !== undefined && hour > 23) continue;
    take({
      start: m.index!,
      end: m.index! + m[0].length,
      value: format(addDays(reference, offset), hour, minuteText === undefined ? undefined : Number(minuteText)),
    });
  }

  const nearest = (month: number, day: number, year?: number): Date | undefined => {
    if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
    if (year !== undefined) return new Date(Date.UTC(year < 100 ? 2000 + year : year, month - 1, day));
    const candidates = [-1, 0, 1].map((y) => new Date(Date.UTC(reference.getUTCFullYear() + y, month - 1, day)));
    return candidates.sort((a, b) => Math.abs(a.getTime() - reference.getTime()) - Math.abs(b.getTime() - reference.getTime()))[0];
  };
  for (const m of input.matchAll(NUMERIC_DATE)) {
    const [a, b] = [Number(m[1]), Number(m[3])];
    const date = monthFirst ? nearest(a, b, m[4] ? Number(m[4]) : undefined) : nearest(b, a, m[4] ? Number(m[4]) : undefined);
    // The final dot belongs to a German day.month. ("13.01."), not to "12/12/30." at a sentence's end.
    const end = m.index! + m[0].length - (m[5] !== undefined && (m[2] === "/" || m[4] !== undefined) ? 1 : 0);
    if (date && (m[2] === "/" || m[5] !== undefined || m[4] !== undefined)) take({ start: m.index!, end, value: format(date) });
  }
  for (const m of input.matchAll(DAY_OF_MONTH)) {
    const day = Number(m[1] ?? m[2]);
    const date = nearest(reference.getUTCMonth() + 1, day);
    const at =
      m[1] !== undefined ? m.index! + m[0].lastIndexOf(m[1]) - (/^(?:dia|d[íi]a)\s/i.test(m[0]) ? m[0].indexOf(m[1]) : 0) : m.index!;
    if (date) take({ start: at, end: m.index! + m[0].length, value: format(date) });
  }
  for (const m of input.matchAll(WEEKDAY_OF_WEEK)) {
    const value = weekdayOfWeek(reference, m[2] ?? m[3], m[1] ?? m[4]);
    if (value) take({ start: m.index!, end: m.index! + m[0].length, value });
  }
  // Every find of chrono's must show date evidence (below): without any in the text, skip the five parsers.
  if (!DATE_EVIDENCE.test(input))
    return withClockPhrases(
      input,
      reference,
      found.sort((a, b) => a.start - b.start),
    );
  const ref = { instant: new Date(reference.getTime() + 12 * 3_600_000), timezone: 0 };
  const parsers = [english, ...LOCALES.filter((locale) => locale.cue.test(input)).map((locale) => locale.parser)];
  for (const parser of parsers) {
    let results: chrono.ParsedResult[];
    try {
      results = parser.parse(input, ref);
    } catch {
      continue;
    }
    for (const result of results) {
      if (result.end || PERIOD.test(result.text) || /^\d{1,4}$/.test(result.text.trim())) continue;
      const lead = LEADING_WORDS.exec(result.text)?.[0].length ?? 0;
      const trimmed = result.text.slice(lead).replace(/[\s,;:!?]+$/, "");
      // A German date keeps its final dot ("13.01."); a sentence's full stop does not belong.
      const spanText = trimmed.endsWith(".") && !/\d{1,2}\.\d{1,2}\.$/.test(trimmed) ? trimmed.slice(0, -1) : trimmed;
      let start = result.index + lead;
      let end = start + spanText.length;
      const written = input.slice(start, end);
      if (!DATE_EVIDENCE.test(written) || NOT_A_DAY.test(written.trim())) continue;
      // "9h30" alone may be a duration ("2h30 de route"); after "às", "à", "a las" it is a time.
      if (/^\d{1,2}h\d{2}$/i.test(written) && !CLOCK_PREPOSITION.test(input.slice(0, start))) continue;
      if (/^(?:morgen|ma[ñn]ana)$/i.test(written) && MORNING_BEFORE.test(input.slice(0, start))) continue;
      const c = result.start;
      let date = new Date(Date.UTC(c.get("year") ?? reference.getUTCFullYear(), (c.get("month") ?? 1) - 1, c.get("day") ?? 1));
      // Some parsers read only "amanhã" of "depois de amanhã": the day after tomorrow.
      const dayAfter = /^(?:amanh[ãa]|ma[ñn]ana|demain|tomorrow)/i.test(written) ? DAY_AFTER_BEFORE.exec(input.slice(0, start)) : null;
      if (dayAfter) {
        start -= dayAfter[0].length;
        date = addDays(reference, 2);
      }
      if (c.isCertain("weekday") && !c.isCertain("day")) {
        const before = input.slice(Math.max(0, result.index - 40), result.index + lead);
        const past =
          PAST_CUE.test(before) ||
          PAST_VERB.test(before) ||
          PAST_AFTER.test(input.slice(end)) ||
          /^(?:this\s+)?past\s/i.test(result.text.slice(lead));
        const target = c.get("weekday") ?? 0;
        const step = past ? -1 : 1;
        date = addDays(reference, step);
        while (date.getUTCDay() !== target) date = addDays(date, step);
      } else if (!c.isCertain("year") && c.isCertain("month")) {
        // Nearest to the day it was said: "25/12" in January is last December.
        date = nearest(date.getUTCMonth() + 1, date.getUTCDate()) ?? date;
      }
      let hasTime = c.isCertain("hour");
      // "22.11." with its final dot is a German day and month, not 22:11.
      if (hasTime && /\d{1,2}\.\d{1,2}$/.test(written) && input[end] === ".") continue;
      let hour = hasTime
        ? likelyHour(c.get("hour") ?? 0, c.isCertain("meridiem") || (c.get("hour") ?? 0) > 12 || CLOCK_24H.test(spanText))
        : undefined;
      let minute = hasTime ? (c.get("minute") ?? 0) : undefined;
      if (
        !hasTime &&
        !c.isCertain("day") &&
        !c.isCertain("weekday") &&
        !DATE_EVIDENCE.test(written.replace(/\d{1,2}\s*(?:am|pm|h|uhr)|\d{1,2}:\d{2}/gi, ""))
      )
        continue;
      if (hasTime && !c.isCertain("day") && !c.isCertain("weekday") && !RELATIVE_DAY_WORD.test(written)) {
        // A bare clock time is on the day it was said; "a las 5" is written as its number.
        date = reference;
        const number = /\d{1,2}(?::\d{2})?\s*(?:am|pm|h|uhr)?$/i.exec(written);
        if (number && /^(?:las|la|as|um)\s/i.test(written)) start = end - number[0].length;
      }
      const partOfDay = PART_OF_DAY_AFTER.exec(input.slice(end));
      if (partOfDay && !hasTime) end += partOfDay[0].length;
      const time = hasTime ? undefined : TIME_AFTER.exec(input.slice(end));
      if (time) {
        hasTime = true;
        hour = likelyHour(Number(time[1]), time[3] !== undefined && time[3].toLowerCase() !== "uhr");
        if (time[3]?.toLowerCase() === "pm" && hour < 12) hour += 12;
        minute = time[2] === undefined ? 0 : Number(time[2]);
        end += time[0].length;
      }
      if (hour !== undefined && hour > 23) continue;
      take({ start, end, value: format(date, hour, minute) });
    }
  }
  return withClockPhrases(
    input,
    reference,
    joinWeekdayToDate(
      input,
      found.sort((a, b) => a.start - b.start),
    ),
  );
}

const HOUR_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
const GERMAN_HOURS = ["eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"];
const MINUTE_WORDS: Record<string, number> = {
  half: 30,
  quarter: 15,
  five: 5,
  ten: 10,
  twenty: 20,
  "twenty five": 25,
  "twenty-five": 25,
  media: 30,
  meia: 30,
  demie: 30,
  cuarto: 15,
  quart: 15,
  quinze: 15,
};
/** "half past 6", "quarter to 5 pm", "10 past 9": English clock phrases. */
const ENGLISH_CLOCK = new RegExp(
  `(?<![\\p{L}\\d])(half|quarter|\\d{1,2}|five|ten|twenty[- ]five|twenty)\\s+(?:mins?\\s+|minutes\\s+)?(past|after|to|till|before)\\s+(\\d{1,2}|${HOUR_WORDS.join("|")})(?:\\s*(am|pm|a\\.m\\.|p\\.m\\.))?(?:\\s*o'?clock)?(?![\\p{L}\\d])`,
  "giu",
);
/** "halb sieben" (6:30), "viertel nach 7", "viertel vor 8". */
const GERMAN_CLOCK = new RegExp(
  `(?<![\\p{L}\\d])(halb|viertel nach|viertel vor)\\s+(\\d{1,2}|${GERMAN_HOURS.join("|")})(?![\\p{L}\\d])`,
  "giu",
);
/** Minutes said after the hour: "a las 6 y media", "às 6 e 15", "6h et quart", "a las 7 menos cuarto" (one digit after "e" is a count: "às 5 e 6 pessoas"). */
const MINUTES_AFTER_HOUR =
  /^\s*(?:h\s+)?(?:(y|e|et)\s+(media|meia|demie|cuarto|quart|quinze|\d{2})|(menos|moins)\s+(?:le\s+)?(cuarto|quart|\d{1,2}))(?:\s+(?:minutos?|minutes))?(?![\p{L}\d])/iu;
/** The hour a Portuguese "às 6" or Spanish "a las 6" names, when no parser found it. */
const BARE_HOUR =
  /(?<![\p{L}])(?:[àa]s|a las|at|à|um)\s+(\d{1,2})(?:\s*(?:heures?|uhr|o'?clock))?(?![\d:.,/%]|\s*(?:h\b|horas?|hrs?|kg|dias?|d[íi]as|pessoas|personas|%))/giu;
/** A part of the day right after a clock time: "a las 6 de la tarde", "às 8 da manhã", "at 7 in the evening", "8 Uhr abends". */
const PART_OF_DAY_AFTER_TIME =
  /^\s*(?:(?:de|da|do|del|in|du|of|at)\s+(?:la\s+|the\s+)?)?(ma[ñn]ana|manh[ãa]|morning|matin|morgens|fr[üu]h|vormittags|tarde|afternoon|apr[èe]s-midi|nachmittags|noche|noite|night|evening|soir|abends)(?![\p{L}])/iu;
const MORNING = /^(?:ma[ñn]ana|manh[ãa]|morning|matin|morgens|fr[üu]h|vormittags|subah|savere)$/i;
/** What may stand between a day and the clock time that follows it: "tomorrow at half past 6", "morgen um halb sieben". */
const DAY_THEN_TIME = /^,?\s*(?:at|um|à|a las|às|as)?\s*$/i;

function hourFrom(written: string, words: string[]): number {
  const index = words.indexOf(written.toLowerCase());
  return index >= 0 ? index + 1 : Number(written);
}

/**
 * Clock times said with words for their minutes, which the parsers read as the hour alone or not
 * at all: English "half past 6", German "halb sieben" (half before seven), and minutes after the
 * hour in Spanish, Portuguese and French. A day just before ("tomorrow at half past 6") gives the date.
 */
function withClockPhrases(input: string, reference: Date, spans: DatetimeSpan[]): DatetimeSpan[] {
  // The hour named, and the minutes from it (negative before it: "quarter to 5" is 5 hours less 15).
  const clock: { start: number; end: number; hour: number; minutes: number; meridiem?: string }[] = [];
  for (const m of input.matchAll(ENGLISH_CLOCK)) {
    const minutes = MINUTE_WORDS[m[1].toLowerCase()] ?? Number(m[1]);
    const hour = hourFrom(m[3], HOUR_WORDS);
    if (!(minutes > 0 && minutes < 60 && hour >= 1 && hour <= 12)) continue;
    const before = /^(?:to|till|before)$/i.test(m[2]);
    // "5 to 12" is as often a range of things; digits count when round and said like a time.
    const saidAsTime = /\bmin|am|pm|a\.m|p\.m|o'?clock/i.test(m[0].slice(m[1].length)) || !before;
    if (/^\d/.test(m[1]) && (minutes % 5 !== 0 || !saidAsTime)) continue;
    clock.push({
      start: m.index!,
      end: m.index! + m[0].length,
      hour,
      minutes: before ? -minutes : minutes,
      meridiem: m[4]?.toLowerCase().replace(/\./g, ""),
    });
  }
  for (const m of input.matchAll(GERMAN_CLOCK)) {
    const hour = hourFrom(m[2], GERMAN_HOURS);
    if (!(hour >= 1 && hour <= 12)) continue;
    const kind = m[1].toLowerCase();
    clock.push({ start: m.index!, end: m.index! + m[0].length, hour, minutes: kind === "halb" ? -30 : kind === "viertel nach" ? 15 : -15 });
  }
  for (const m of input.matchAll(BARE_HOUR)) {
    const at = m.index! + m[0].search(/\d/);
    const end = m.index! + m[0].length;
    const after = input.slice(end);
    if (spans.some((s) => s.start < end && at < s.end) || !(MINUTES_AFTER_HOUR.test(after) || PART_OF_DAY_AFTER_TIME.test(after))) continue;
    clock.push({ start: at, end, hour: Number(m[1]), minutes: 0 });
  }
  let result = spans;
  for (const c of clock) {
    if (c.hour < 1 || c.hour > 23) continue;
    const named = c.meridiem === "pm" ? (c.hour % 12) + 12 : c.meridiem === "am" ? c.hour % 12 : likelyHour(c.hour, false);
    const at = (named * 60 + c.minutes + 24 * 60) % (24 * 60);
    const overlapping = result.filter((s) => s.start < c.end && c.start < s.end);
    const day = result.filter((s) => !s.value.includes("T") && s.end <= c.start && DAY_THEN_TIME.test(input.slice(s.end, c.start))).pop();
    const start = day?.start ?? Math.min(c.start, ...overlapping.map((s) => s.start));
    const date = day ? day.value : (overlapping.find((s) => s.value.length >= 10)?.value.slice(0, 10) ?? format(reference));
    result = [
      ...result.filter((s) => s !== day && !overlapping.includes(s)),
      { start, end: Math.max(c.end, ...overlapping.map((s) => s.end)), value: `${date}T${pad(Math.floor(at / 60))}:${pad(at % 60)}` },
    ];
  }
  // Then, on every span: minutes and the part of the day said after it, noon, and a bare time joined to its day.
  return result
    .sort((a, b) => a.start - b.start)
    .map((span) => withPartOfDayAfter(input, withMinutesAfter(input, span)))
    .map((span) =>
      !span.value.includes("T") && NOON.test(input.slice(span.start, span.end)) ? { ...span, value: `${span.value}T12:00` } : span,
    )
    .reduce<DatetimeSpan[]>((joined, span) => {
      // "dia 15 às 14h", "Friday, at 5": a day and the bare clock time said right after it are one point in time.
      const day = joined[joined.length - 1];
      const bareTime = span.value.startsWith(`${format(reference)}T`) && !DATE_EVIDENCE_NO_TIME.test(input.slice(span.start, span.end));
      if (day && !day.value.includes("T") && bareTime && TIME_AFTER_DAY.test(input.slice(day.end, span.start))) {
        joined[joined.length - 1] = { start: day.start, end: span.end, value: `${day.value}${span.value.slice(10)}` };
      } else joined.push(span);
      return joined;
    }, []);
}

/** What joins a day to the clock time after it: "às", "at", "a las", "um", "à", a comma. */
const TIME_AFTER_DAY = /^,?\s*(?:at|um|à|a las|a la|às|as)\s*$|^,\s*$/i;
/** Words that name a day, so a span holding one is not a bare clock time. */
const DATE_EVIDENCE_NO_TIME = new RegExp(`${DAY_NAME}|\\d{1,2}[/.]\\d{1,2}(?![:h\\d])`, "iu");

const NOON = /meio[- ]dia|mediod[íi]a|\bmidi\b|\bmittag\b|\bnoon\b/i;

/** Minutes after the hour of a time found: "mañana a las 6 y media" is 18:30. */
function withMinutesAfter(input: string, span: DatetimeSpan): DatetimeSpan {
  const time = /T(\d\d):(\d\d)$/.exec(span.value);
  // A parser may have kept the connector ("6h et") without the minutes after it.
  const end = span.end - (/\s(?:et|y|e)$/i.exec(input.slice(span.start, span.end))?.[0].length ?? 0);
  const minutes = time && time[2] === "00" ? MINUTES_AFTER_HOUR.exec(input.slice(end)) : null;
  if (!time || !minutes) return span;
  const said = (minutes[2] ?? minutes[4]).toLowerCase();
  const count = MINUTE_WORDS[said] ?? Number(said);
  if (!(count > 0 && count < 60)) return span;
  const hour = Number(time[1]);
  const [h, m] = minutes[3] ? [(hour + 23) % 24, 60 - count] : [hour, count];
  return { start: span.start, end: end + minutes[0].length, value: `${span.value.slice(0, 11)}${pad(h)}:${pad(m)}` };
}

/** A part of the day after a time says am or pm: "às 8 da manhã" is 08:00, "a las 6 de la tarde" 18:00. */
function withPartOfDayAfter(input: string, span: DatetimeSpan): DatetimeSpan {
  const time = /T(\d\d):(\d\d)$/.exec(span.value);
  const part = time ? PART_OF_DAY_AFTER_TIME.exec(input.slice(span.end)) : null;
  if (!time || !part) return span;
  const hour = withPartOfDay(Number(time[1]), part[1]);
  return { start: span.start, end: span.end + part[0].length, value: `${span.value.slice(0, 11)}${pad(hour)}:${time[2]}` };
}

/** The 24-hour hour of a clock time said with its part of the day (an afternoon reading of 1-7 is undone in the morning). */
function withPartOfDay(hour: number, part: string): number {
  if (MORNING.test(part)) return hour >= 13 && hour <= 19 ? hour - 12 : hour === 12 ? 0 : hour;
  if (hour === 12 && /^(?:noche|noite|night|raat)$/i.test(part)) return 0;
  return hour >= 1 && hour <= 11 ? hour + 12 : hour;
}

const WEEKDAY_ONLY = new RegExp(`^(?:${WEEKDAY})\\.?$`, "i");

const NEXT_WEEK =
  "next week|the following week|la semana que viene|la pr[óo]xima semana|semana que viene|pr[óo]xima semana|semana que vem|n[äa]chste[nr]? woche|la semaine prochaine|semaine prochaine|agle hafte";
const LAST_WEEK =
  "last week|the previous week|previous week|la semana pasada|semana pasada|semana passada|letzte[nr]? woche|vorige[nr]? woche|la semaine derni[èe]re|semaine derni[èe]re|pichle hafte";
/** A weekday of next or last week: "tuesday next week", "next week on Tuesday", "terça da semana que vem", "Dienstag letzter Woche". */
const WEEKDAY_OF_WEEK = new RegExp(
  `(?<![\\p{L}])(?:(${NEXT_WEEK}|${LAST_WEEK}),?\\s+(?:on\\s+|el\\s+|la\\s+|na\\s+|no\\s+|am\\s+|le\\s+)?(${WEEKDAY})|(${WEEKDAY})\\s+(?:(?:of|de|da|do|del)\\s+)?(${NEXT_WEEK}|${LAST_WEEK}))(?![\\p{L}])`,
  "giu",
);
const NEXT_WEEK_WHOLE = new RegExp(`^(?:${NEXT_WEEK})$`, "i");
const WEEKDAY_NUMBERS: [RegExp, number][] = [
  [/^(?:sun|domingo|sonntag|dimanche)/i, 0],
  [/^(?:mon|lunes|segunda|montag|lundi)/i, 1],
  [/^(?:tue|martes|ter[çc]a|dienstag|mardi)/i, 2],
  [/^(?:wed|mi[ée]rcoles|quarta|mittwoch|mercredi)/i, 3],
  [/^(?:thu|jueves|quinta|donnerstag|jeudi)/i, 4],
  [/^(?:fri|viernes|sexta|freitag|vendredi)/i, 5],
  [/^(?:sat|s[áa]bado|samstag|samedi)/i, 6],
];

/** The weekday in the week before or after the reference day's (weeks start on Monday). */
function weekdayOfWeek(reference: Date, weekday: string, week: string): string | undefined {
  const target = WEEKDAY_NUMBERS.find(([name]) => name.test(weekday))?.[1];
  if (target === undefined) return undefined;
  const shift = NEXT_WEEK_WHOLE.test(week) ? 1 : -1;
  const monday = addDays(reference, -((reference.getUTCDay() + 6) % 7));
  return format(addDays(monday, 7 * shift + ((target + 6) % 7)));
}

/** "Thu 14th", "Freitag, 27.11.": the weekday names the date that follows it; one point in time, the date's. */
function joinWeekdayToDate(input: string, spans: DatetimeSpan[]): DatetimeSpan[] {
  const joined: DatetimeSpan[] = [];
  for (const span of spans) {
    const previous = joined[joined.length - 1];
    if (
      previous &&
      WEEKDAY_ONLY.test(input.slice(previous.start, previous.end)) &&
      /^(?:,?\s{1,3}(?:the\s)?|,)$/i.test(input.slice(previous.end, span.start))
    ) {
      joined[joined.length - 1] = { start: previous.start, end: span.end, value: span.value };
    } else joined.push(span);
  }
  return joined;
}
