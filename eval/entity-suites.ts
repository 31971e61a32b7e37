/**
 * wa-entities on two public suites: SNIPS slots whose types map to ours (span match) and the
 * Recognizers-Text spec files for the types we support (pass rate per file, span P/R/F1).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CountryCode } from "libphonenumber-js";
import { EntityType, extractRuleEntities } from "../src/core/nlu/entities";
import { EvalRow } from "./threads";

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

function f1({ tp, fp, fn }: Counts): { p: number; r: number; f1: number } {
  const p = tp + fp === 0 ? 0 : tp / (tp + fp);
  const r = tp + fn === 0 ? 0 : tp / (tp + fn);
  return { p, r, f1: p + r === 0 ? 0 : (2 * p * r) / (p + r) };
}

/** Matches two lists of keys one to one; returns true positives. */
function matched(gold: string[], predicted: string[]): number {
  const left = [...gold];
  let tp = 0;
  for (const key of predicted) {
    const at = left.indexOf(key);
    if (at >= 0) {
      left.splice(at, 1);
      tp += 1;
    }
  }
  return tp;
}

/** SNIPS slot types that mean one of ours (head counts, cities and ratings do not). */
const SNIPS_TYPES: Record<string, EntityType> = { timeRange: "datetime", served_dish: "product" };
/** Any fixed day: SNIPS has no timestamps and only the spans are compared. */
const SNIPS_SENT_AT = Date.UTC(2017, 5, 14, 12);

export function snipsSection(data: string, rows: EvalRow[]): void {
  const lines = readFileSync(join(data, "entities/snips/train.jsonl"), "utf8").trim().split("\n");
  const counts = new Map<EntityType, Counts>();
  for (const line of lines) {
    const item = JSON.parse(line) as { text: string; entities: { start: number; end: number; type: string }[] };
    const found = extractRuleEntities(item.text, { sentAt: SNIPS_SENT_AT, region: "US" });
    for (const type of new Set(Object.values(SNIPS_TYPES))) {
      const gold = item.entities.filter((e) => SNIPS_TYPES[e.type] === type).map((e) => `${e.start}:${e.end}`);
      const predicted = found.filter((e) => e.type === type).map((e) => `${e.start}:${e.end}`);
      const tp = matched(gold, predicted);
      const c = counts.get(type) ?? { tp: 0, fp: 0, fn: 0 };
      counts.set(type, { tp: c.tp + tp, fp: c.fp + predicted.length - tp, fn: c.fn + gold.length - tp });
    }
  }
  for (const [type, c] of counts) {
    const snipsName = Object.entries(SNIPS_TYPES).find(([, t]) => t === type)![0];
    const { p, r, f1: score } = f1(c);
    rows.push({
      section: "entities",
      dataset: `SNIPS train (${lines.length} utterances), ${snipsName} as ${type} (${c.tp + c.fn})`,
      metric: "span F1",
      value: score,
      note: `P ${p.toFixed(3)} R ${r.toFixed(3)}; ${type === "datetime" ? "SNIPS marks ranges and periods, which wa-entities leaves out by design" : "dish names are not in the general goods list (a catalogue would name them)"}`,
    });
  }
}

interface SpecCase {
  Input: string;
  Context?: { ReferenceDateTime?: string };
  Results: { Text: string; TypeName: string }[];
}

const SPEC_TYPES: Record<string, EntityType> = {
  phonenumber: "phone",
  email: "email",
  url: "url",
  currency: "money",
  "datetimeV2.date": "datetime",
  "datetimeV2.time": "datetime",
  "datetimeV2.datetime": "datetime",
};
const SPEC_FILES: [string, CountryCode][] = [
  ["English/PhoneNumberModel.json", "US"],
  ["Portuguese/PhoneNumberModel.json", "BR"],
  ["Spanish/PhoneNumberModel.json", "ES"],
  ["English/EmailModel.json", "US"],
  ["English/URLModel.json", "US"],
  ["English/CurrencyModel.json", "US"],
  ["Portuguese/CurrencyModel.json", "BR"],
  ["Spanish/CurrencyModel.json", "ES"],
  ["English/DateTimeModel.json", "US"],
  ["Portuguese/DateTimeModel.json", "BR"],
  ["Spanish/DateTimeModel.json", "ES"],
];

/**
 * A case passes when our entities of the file's type have exactly the expected texts (case
 * ignored). Date files keep only cases whose results are all single points in time (dates,
 * times, both): ranges, durations and sets are not annotated by design.
 */
export function recognizersSection(data: string, rows: EvalRow[]): void {
  let passedAll = 0;
  let casesAll = 0;
  const spans: Counts = { tp: 0, fp: 0, fn: 0 };
  for (const [file, region] of SPEC_FILES) {
    const cases = JSON.parse(readFileSync(join(data, "entities/recognizers-text", file), "utf8").replace(/^\uFEFF/, "")) as SpecCase[];
    const type = file.includes("Phone")
      ? "phone"
      : file.includes("Email")
        ? "email"
        : file.includes("URL")
          ? "url"
          : file.includes("Currency")
            ? "money"
            : "datetime";
    const inScope = cases.filter((c) => c.Results.every((r) => SPEC_TYPES[r.TypeName] === type));
    let passed = 0;
    for (const c of inScope) {
      const reference = c.Context?.ReferenceDateTime ? Date.parse(`${c.Context.ReferenceDateTime}Z`) : Date.UTC(2016, 10, 7);
      const predicted = extractRuleEntities(c.Input, { region, sentAt: reference })
        .filter((e) => e.type === type)
        .map((e) => e.text.toLowerCase());
      const expected = c.Results.map((r) => r.Text.toLowerCase());
      const tp = matched(expected, predicted);
      spans.tp += tp;
      spans.fp += predicted.length - tp;
      spans.fn += expected.length - tp;
      if (tp === expected.length && predicted.length === expected.length) passed += 1;
    }
    passedAll += passed;
    casesAll += inScope.length;
    rows.push({
      section: "entities",
      dataset: `Recognizers-Text ${file.replace(".json", "")} (${inScope.length} of ${cases.length} cases in scope)`,
      metric: "pass rate",
      value: inScope.length === 0 ? 0 : passed / inScope.length,
    });
  }
  const { p, r, f1: score } = f1(spans);
  rows.push({
    section: "entities",
    dataset: `Recognizers-Text, all files above (${casesAll} cases)`,
    metric: "pass rate",
    value: passedAll / casesAll,
    note: `span P ${p.toFixed(3)} R ${r.toFixed(3)} F1 ${score.toFixed(3)} on text + type`,
  });
}
