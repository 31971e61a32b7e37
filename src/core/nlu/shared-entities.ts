import { WaMessage } from "../envelope";
import { EntitySpan } from "./entities";

/**
 * What a customer shared as a contact card or a location is known exactly, with no reading of text: each card's
 * name a person and its numbers phones, a location's place an address. Each span points into `text` (the body
 * the transport wrote from the card or place); what cannot be found there is left out.
 */
export function sharedEntities(message: Pick<WaMessage, "contacts" | "location">, text: string): EntitySpan[] {
  const spans: EntitySpan[] = [];
  let from = 0;
  const add = (type: EntitySpan["type"], shown: string, value: unknown) => {
    const start = shown === "" ? -1 : text.indexOf(shown, from);
    if (start < 0) return;
    from = start + shown.length;
    spans.push({ type, start, end: start + shown.length, text: shown, value, confidence: 1, source: "shared" });
  };
  for (const card of message.contacts ?? []) {
    add("person", card.name, card.name);
    for (const phone of card.phones) add("phone", phone, `+${phone.replace(/\D/g, "")}`);
  }
  const place = message.location;
  if (place) {
    const shown = [place.name, place.address].filter(Boolean).join(" · ");
    add("address", shown, { ...place });
  }
  return spans;
}

/** Rule spans that overlap a shared one are the same thing read less surely: the shared one stays. */
export function withSharedEntities(found: EntitySpan[], shared: EntitySpan[]): EntitySpan[] {
  if (shared.length === 0) return found;
  const overlaps = (a: EntitySpan, b: EntitySpan) => a.start < b.end && b.start < a.end;
  return [...shared, ...found.filter((span) => !shared.some((s) => overlaps(s, span)))].sort((a, b) => a.start - b.start);
}
