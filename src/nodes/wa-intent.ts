import { envelopeOf, writeEnvelopePart } from "../core/envelope";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { intentSchema } from "./schemas/wa-intent";
import { IntentClassifier, IntentScore } from "../core/nlu/intent-classifier";
import { RecentIntents, withIntentContext } from "../core/nlu/intent-context";
import { businessIntentModel } from "./kit/shipped-models";
import { MAX_NLU_CHARS } from "../core/nlu/text";
import { trainedModelGate } from "./kit/trained-models";
import { disableNode, failMessage, onClose, onInput, readMessageKey, startNode, traceMessage } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";

type IntentDef = NodeDef & FlowConfigOf<typeof intentSchema>;

export function intentSettingsFromConfig(config: IntentDef) {
  const { model, threshold, topK, fallback, property, examples, file } = readSettingsBySchema(intentSchema, config);
  return { model, threshold, topK, fallback, property, examples: examples ?? "", file: file ?? "" };
}

export interface IntentResult {
  label: string;
  confidence: number;
  fallback: boolean;
  alternatives: IntentScore[];
  /** "reply": the customer tapped a button or list row whose id names the intent; no text was read. */
  source?: "reply";
}

/** A button or list row whose id is one of the model's intents says the intent outright (ids compared without case). */
export function intentOfReply(reply: { id?: unknown } | undefined, labels: readonly string[]): string | undefined {
  if (typeof reply?.id !== "string") return undefined;
  const id = reply.id.trim().toLowerCase();
  return labels.find((label) => label.toLowerCase() === id);
}

/** The distinct entity types of msg.wa.nlu.entities, when wa-entities has run. */
function entityTypesIn(entities: unknown): string[] {
  if (!Array.isArray(entities)) return [];
  return entities.flatMap((e: unknown) =>
    typeof e === "object" && e !== null && typeof (e as { type?: unknown }).type === "string" ? [(e as { type: string }).type] : [],
  );
}

export default function register(RED: NodeAPI): void {
  function WaIntent(this: Node, config: IntentDef) {
    const started = startNode(RED, this, config, () => intentSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    let classified = 0;
    // The built-in model also reads the kinds of entity wa-entities found and the chat's previous intent.
    const recent = new RecentIntents(clock);
    const classify = (model: IntentClassifier, msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const start = clock.now();
      const raw = readMessageKey(RED, msg, settings.property);
      const text = typeof raw === "string" ? raw.slice(0, MAX_NLU_CHARS) : "";
      const wa = envelopeOf(msg);
      const chatId = typeof wa?.message?.chatId === "string" ? wa.message.chatId : undefined;
      const input =
        settings.model === "business"
          ? withIntentContext(text, { entityTypes: entityTypesIn(wa?.nlu?.entities), previousIntent: recent.previous(chatId) })
          : text;
      const tapped = intentOfReply(wa?.message?.reply, model.labels);
      const scores = tapped ? [{ label: tapped, confidence: 1 }] : model.predict(input, settings.topK);
      const best = scores[0];
      const fallback = !tapped && (text.trim() === "" || best.confidence < settings.threshold);
      const result: IntentResult = {
        label: fallback ? settings.fallback : best.label,
        confidence: best.confidence,
        fallback,
        alternatives: scores,
        ...(tapped ? { source: "reply" as const } : {}),
      };
      if (settings.model === "business" && text.trim() !== "") recent.remember(chatId, best.label);
      writeEnvelopePart(msg, "nlu", "intent", result);
      classified += 1;
      traceMessage(msg, node, start, clock.now());
      send(msg);
      status.ok(() =>
        nodeText("intent.ready", `${model.labels.length} intents · ${classified} classified · last ${result.label}`, {
          intents: model.labels.length,
          classified,
          label: result.label,
        }),
      );
      done();
    };

    if (settings.model === "business") {
      let model: IntentClassifier;
      try {
        model = businessIntentModel();
      } catch (error) {
        disableNode(RED, node, status, error);
        return;
      }
      status.ok(() => nodeText("intent.builtIn", `built-in: ${model.labels.length} business intents`, { intents: model.labels.length }));
      onInput(RED, node, status, (msg, send, done) => {
        try {
          classify(model, msg, send, done);
        } catch (error) {
          failMessage(RED, status, done, error);
        }
      });
      onClose(RED, node, () => status.close());
      return;
    }

    const gate = trainedModelGate(RED, node, status, { examples: settings.examples, file: settings.file, what: "intents" }, classify);
    if (!gate) return;

    onInput(RED, node, status, (msg, send, done) => gate.submit(msg, send, done));

    onClose(RED, node, () => {
      gate.close();
      status.close();
    });
  }

  RED.nodes.registerType("wa-intent", WaIntent);
}
