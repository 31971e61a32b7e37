import { LockGrantInfo, QueueDeliveryInfo, WaSession, validateChatId } from "../../core/envelope";
import { WaError } from "../../core/errors";
import { readMessageKey } from "./node-kit";
import { NodeAPI, NodeMessage } from "./red";

/** `msg.wa.session`, created when a message has no envelope yet (a lock keyed on msg.topic, say). */
export function sessionOf(msg: NodeMessage): WaSession & { lock?: LockGrantInfo & { released?: boolean }; queue?: QueueDeliveryInfo } {
  const holder = msg as NodeMessage & { wa?: { session?: WaSession; trace?: unknown[] } };
  if (typeof holder.wa !== "object" || holder.wa === null) holder.wa = { trace: [] };
  if (typeof holder.wa.session !== "object" || holder.wa.session === null) holder.wa.session = {};
  return holder.wa.session;
}

/** The chat a message belongs to, read from the property the user chose, validated. */
export function chatKeyOf(RED: NodeAPI, msg: NodeMessage, property: string): string {
  const value = readMessageKey(RED, msg, property);
  if (value === undefined && property === "wa.message.chatId" && (msg as { wa?: unknown }).wa === undefined) {
    throw new WaError(
      "envelope.missing",
      "This message is not a WhatsApp envelope: msg.wa is missing. Connect this node after a wa-in node, or set the chat key to another property.",
    );
  }
  if (value === undefined || value === null || value === "") {
    throw new WaError("key.missing", `The message has no chat key in msg.${property}`, { property });
  }
  const key = typeof value === "number" ? String(value) : value;
  try {
    return validateChatId(key);
  } catch {
    const reason = "a chat key is a string of at most 128 characters without control characters";
    throw new WaError("key.invalid", `msg.${property} cannot be used as a key: ${reason}`, { property, reason });
  }
}
