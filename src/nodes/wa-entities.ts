import { writeEnvelopePart, envelopeOf } from "../core/envelope";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { ENTITY_TYPES, entitiesSchema } from "./schemas/wa-entities";
import { getCountries, CountryCode } from "libphonenumber-js";
import { WaError, invalidSetting } from "../core/errors";
import { EntityContext, EntitySpan, extractRuleEntities, regionOfChat } from "../core/nlu/entities";
import { EntityTagger } from "../core/nlu/entity-tagger";
import { DEFAULT_PERCEPTRON } from "../core/nlu/perceptron";
import { ANNOTATION_LIMITS, ParsedAnnotations, parseAnnotatedMessages } from "../core/nlu/annotated-messages";
import { TrainedModelGate, gateOnTraining, showTraining, warnSkippedLines } from "./kit/trained-models";
import { builtInEntityTagger } from "./kit/shipped-models";
import { sharedEntities, withSharedEntities } from "../core/nlu/shared-entities";
import { PRODUCT_LIST_LIMITS, parseProductList, productListFromRows } from "../core/nlu/product";
import { parseA1 } from "../core/sheets/a1";
import { MAX_NLU_CHARS } from "../core/nlu/text";
import {
  StatusReporter,
  describeError,
  disableNode,
  onClose,
  onInput,
  readMessageKey,
  startNode,
  nodeTexts,
  traceMessage,
  userDirOf,
} from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";
import { readUserTextFile } from "../core/store/user-files";
import type { WaSheetsNode } from "./kit/contracts";

type EntitiesDef = NodeDef & FlowConfigOf<typeof entitiesSchema>;

const COUNTRIES = new Set<string>(getCountries());

/** A pattern someone typed: compiled, short, and without nested repetition (the shape that backtracks for ever). */
export function compileOrderPattern(source: string, line: number): RegExp {
  if (source.length > 200)
    throw invalidSetting("orderPatterns", "patternLength", `Order id patterns, line ${line}: at most 200 characters`, { line });
  if (/\([^)]*[+*}][^)]*\)\s*[+*{]/.test(source))
    throw invalidSetting(
      "orderPatterns",
      "patternNested",
      `Order id patterns, line ${line}: a repeated group inside a repetition, such as (\\w+)+, can take for ever on some texts; write it without`,
      { line },
    );
  try {
    return new RegExp(source, "gu");
  } catch (error) {
    throw invalidSetting("orderPatterns", "patternInvalid", `Order id patterns, line ${line}: ${(error as Error).message}`, {
      line,
      reason: (error as Error).message,
    });
  }
}

/** The shop's product names from the form and from a file under the user directory. */
export function productCatalogueOf(form: string, file: string, userDir: string): { names: string[]; skipped: number } {
  const fromForm = parseProductList(form);
  if (file === "") return fromForm;
  const source = readUserTextFile(userDir, file, PRODUCT_LIST_LIMITS.maxBytes, "productFile", "productFile").text;
  const fromFile = parseProductList(source);
  const names = [...new Set([...fromForm.names, ...fromFile.names])].slice(0, PRODUCT_LIST_LIMITS.maxNames);
  return { names, skipped: fromForm.skipped + fromFile.skipped };
}

export function entitiesSettingsFromConfig(config: EntitiesDef, userDir = process.cwd()) {
  const read = readSettingsBySchema(entitiesSchema, config);
  const region = read.region.toUpperCase();
  if (region !== "" && !COUNTRIES.has(region))
    throw invalidSetting("region", "region", `Default country: a two-letter country code such as BR, IN, GB (got ${region.slice(0, 10)})`, {
      got: region.slice(0, 10),
    });
  const orderPatterns = read.orderPatterns
    .split(/\r?\n/)
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== "" && !line.startsWith("#"))
    .map(([line, n]) => compileOrderPattern(line, n));
  const types = read.types
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types.find((t) => !(ENTITY_TYPES as readonly string[]).includes(t));
  if (unknown) throw invalidSetting("types", "entityType", `Unknown entity type: ${unknown.slice(0, 30)}`, { type: unknown.slice(0, 30) });
  const catalogue = productCatalogueOf(read.products, read.productFile, userDir);
  const { productSheets, productRange, property } = read;
  if (productSheets !== "") {
    try {
      parseA1(productRange);
    } catch {
      throw invalidSetting(
        "productRange",
        "productRange",
        `Product range: A1 notation such as Products!A2:A (got ${productRange.slice(0, 60) || "nothing"})`,
        { got: productRange.slice(0, 60) },
      );
    }
  }
  return {
    region: region === "" ? undefined : (region as CountryCode),
    orderPatterns,
    types: new Set(types),
    property,
    catalogue,
    productSheets,
    productRange,
    productRefreshMs: read.productRefreshMinutes * 60_000,
    tagger: read.tagger,
    annotatedFile: read.annotatedFile,
  };
}

/**
 * The tagger trained at deploy on the user's annotated messages (a JSONL file under the user directory), in the
 * background: the lines that cannot be used are named in a warning. Undefined when the file cannot be read or
 * holds no usable message (the node is then out of action, with the reason).
 */
function trainTaggerFromFile(
  RED: NodeAPI,
  node: Node,
  status: StatusReporter,
  file: string,
  nodeText: ReturnType<typeof nodeTexts>,
): { model: Promise<EntityTagger>; ready: (tagger: EntityTagger) => string; notTrained: (reason: string) => WaError } | undefined {
  let parsed: ParsedAnnotations;
  try {
    parsed = parseAnnotatedMessages(
      readUserTextFile(userDirOf(RED), file, ANNOTATION_LIMITS.maxBytes, "annotatedFile", "annotatedFile").text,
    );
    if (parsed.messages.length === 0)
      throw invalidSetting(
        "annotatedFile",
        "noAnnotatedMessages",
        `${file.slice(0, 100)} holds no annotated message the tagger can learn from`,
        {
          file: file.slice(0, 100),
        },
      );
  } catch (error) {
    disableNode(RED, node, status, error);
    return undefined;
  }
  warnSkippedLines(RED, node, parsed.problems);
  const count = parsed.messages.length;
  return {
    model: EntityTagger.trainAsync(parsed.messages, DEFAULT_PERCEPTRON, 20, (share) => showTraining(RED, status, share)),
    ready: () => nodeText("entities.taggerTrained", `tagger trained on ${count} messages`, { count }),
    notTrained: (reason) => invalidSetting("annotatedFile", "taggerNotTrained", `The tagger could not be trained: ${reason}`, { reason }),
  };
}

export default function register(RED: NodeAPI): void {
  function WaEntities(this: Node, config: EntitiesDef) {
    const started = startNode(RED, this, config, () => entitiesSettingsFromConfig(config, userDirOf(RED)));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    if (settings.catalogue.skipped > 0)
      node.warn(
        nodeText(
          "entities.productsSkipped",
          `${settings.catalogue.skipped} product names skipped (empty, over 120 characters or beyond 20,000)`,
          { count: settings.catalogue.skipped },
        ),
      );
    let builtIn: EntityTagger | undefined;
    let annotated: ReturnType<typeof trainTaggerFromFile>;
    if (settings.tagger === "builtIn") {
      try {
        builtIn = builtInEntityTagger();
      } catch (error) {
        disableNode(RED, node, status, error);
        return;
      }
    } else if (settings.tagger === "file") {
      annotated = trainTaggerFromFile(RED, node, status, settings.annotatedFile, nodeText);
      if (!annotated) return;
    }
    // The date parser builds its grammars on first use (about 0.3 s): pay that now, not on a customer's message.
    const warmUp = setImmediate(() => {
      for (const text of ["tomorrow at 5pm", "mañana a las 5", "amanhã às 15h", "morgen um 10 Uhr", "demain à 10h", "kal 6 baje"])
        extractRuleEntities(text, { sentAt: 0 });
    });
    let found = 0;
    let messages = 0;
    // The form's and the file's names, then those of the spreadsheet range once it has been read.
    let catalogue = settings.catalogue.names;
    const idle = () => ({
      fill: "grey" as const,
      shape: "dot" as const,
      text:
        catalogue.length > 0
          ? nodeText("entities.idleWithProducts", `ready, ${catalogue.length} products`, { count: catalogue.length })
          : settings.tagger === "builtIn"
            ? nodeText("entities.idleBuiltIn", "built-in tagger ready", {})
            : nodeText("entities.idle", "rules ready", {}),
    });
    status.set(idle(), true);
    let refreshTimer: ReturnType<typeof clock.setInterval> | undefined;
    let closed = false;
    if (settings.productSheets !== "") {
      const sheets = RED.nodes.getNode(settings.productSheets) as WaSheetsNode | null;
      let failing = false;
      const refresh = async () => {
        if (!sheets?.readCache)
          throw sheets?.failure !== undefined
            ? invalidSetting("productSheets", "productSheet", `The product spreadsheet cannot be read: ${sheets.failure}`, {
                reason: sheets.failure,
              })
            : invalidSetting(
                "productSheets",
                "noProductSheets",
                "The product spreadsheet cannot be read: its wa-sheets configuration node is missing",
              );
        const read = await sheets.readCache().read(settings.productRange);
        const fromSheet = productListFromRows(read.values);
        const names = [...new Set([...settings.catalogue.names, ...fromSheet.names])].slice(0, PRODUCT_LIST_LIMITS.maxNames);
        // The same list keeps its array, so the matcher's index is not rebuilt for nothing.
        if (names.length !== catalogue.length || names.some((name, i) => name !== catalogue[i])) catalogue = names;
      };
      const refreshAndReport = () =>
        refresh().then(
          () => {
            if (closed) return;
            // While a tagger trains, its progress stays on the status.
            if ((failing || messages === 0) && settings.tagger !== "file") status.set(idle(), true);
            failing = false;
          },
          (error: unknown) => {
            if (closed) return;
            // Once per run of failures: the last good list stays in use.
            if (!failing)
              node.warn(
                nodeText(
                  "entities.productsUnread",
                  `The product list in ${settings.productRange} could not be read; the last one read stays in use: ${describeError(RED, error)}`,
                  { range: settings.productRange, reason: describeError(RED, error) },
                ),
              );
            failing = true;
            status.set(
              {
                fill: "yellow",
                shape: "ring",
                text: nodeText("entities.productsStale", `products from ${settings.productRange} not read`, {
                  range: settings.productRange,
                }),
              },
              true,
            );
          },
        );
      void refreshAndReport();
      refreshTimer = clock.setInterval(() => void refreshAndReport(), settings.productRefreshMs);
    }

    const findEntities = (tagger: EntityTagger | undefined, msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const start = clock.now();
      const raw = readMessageKey(RED, msg, settings.property);
      const text = typeof raw === "string" ? raw.slice(0, MAX_NLU_CHARS) : "";
      const wa = envelopeOf(msg);
      // In a group the writer's own number tells their country; in a one-to-one chat the chat's.
      const writer = wa?.message?.isGroup ? (wa.message.author ?? wa.message.from) : wa?.message?.chatId;
      const region = regionOfChat(typeof writer === "string" ? writer : undefined) ?? settings.region;
      const context: EntityContext = {
        region,
        orderPatterns: settings.orderPatterns,
        productCatalogue: catalogue,
        sentAt: typeof wa?.message?.timestamp === "number" && wa.message.timestamp > 0 ? wa.message.timestamp : clock.now(),
      };
      const read: EntitySpan[] = text === "" ? [] : tagger ? tagger.extract(text, context) : extractRuleEntities(text, context);
      const shared = wa?.message ? sharedEntities(wa.message, text) : [];
      const entities = withSharedEntities(read, shared).filter((e) => settings.types.has(e.type));
      writeEnvelopePart(msg, "nlu", "entities", entities);
      messages += 1;
      found += entities.length;
      traceMessage(msg, node, start, clock.now());
      send(msg);
      status.ok(() => nodeText("entities.counts", `${found} entities in ${messages} messages`, { found, messages }));
      done();
    };
    const gate: TrainedModelGate | undefined = annotated && gateOnTraining(RED, node, status, annotated, findEntities);
    onInput(RED, node, status, (msg, send, done) => {
      if (gate) gate.submit(msg, send, done);
      else findEntities(builtIn, msg, send, done);
    });
    onClose(RED, node, () => {
      gate?.close();
      closed = true;
      if (refreshTimer) clock.clearInterval(refreshTimer);
      clearImmediate(warmUp);
      status.close();
    });
  }

  RED.nodes.registerType("wa-entities", WaEntities);
}
