import type { Clock } from "../clock";
import { intentCues } from "./intent-cues";

/** What the built-in business-intent model reads besides the words of a message. */
export interface IntentContext {
  /** The kinds of entity found in the message (money, order_id, datetime...). */
  entityTypes?: readonly string[];
  /** The intent of the chat's previous message, when it is recent. */
  previousIntent?: string;
}

const marker = (prefix: string, name: string) => ` ${prefix}${name.toLowerCase().replace(/[^a-z0-9]/g, "")}`;

/**
 * The text with its context appended as marker words, so the same n-gram model learns from
 * them: "is there a price" with a money amount and after a product question reads differently
 * from the words alone; and the intents whose cue words it holds (intent-cues.ts), which carry
 * across languages where n-grams do not. Training and prediction must append the same.
 */
export function withIntentContext(text: string, context: IntentContext): string {
  const types = [...new Set(context.entityTypes ?? [])].sort();
  return (
    text +
    types.map((type) => marker("wactxent", type)).join("") +
    (context.previousIntent ? marker("wactxprev", context.previousIntent) : "") +
    intentCues(text)
      .map((intent) => marker("wacue", intent))
      .join("")
  );
}

/** Each chat's last intent, forgotten after `maxAgeMs` (a new conversation) or when more than `maxChats` chats are held. */
export class RecentIntents {
  private readonly last = new Map<string, { intent: string; at: number }>();

  constructor(
    private readonly clock: Pick<Clock, "now">,
    private readonly maxAgeMs = 6 * 3600_000,
    private readonly maxChats = 10_000,
  ) {}

  previous(chatId: string | undefined): string | undefined {
    if (chatId === undefined) return undefined;
    const entry = this.last.get(chatId);
    if (!entry) return undefined;
    if (this.clock.now() - entry.at > this.maxAgeMs) {
      this.last.delete(chatId);
      return undefined;
    }
    return entry.intent;
  }

  remember(chatId: string | undefined, intent: string): void {
    if (chatId === undefined) return;
    // Re-inserted at the end, so the first key is always the chat heard from longest ago.
    this.last.delete(chatId);
    this.last.set(chatId, { intent, at: this.clock.now() });
    if (this.last.size > this.maxChats) this.last.delete(this.last.keys().next().value as string);
  }

  get size(): number {
    return this.last.size;
  }
}
