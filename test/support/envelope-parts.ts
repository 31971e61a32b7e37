import { WaResilience, WaSheets, envelopeOf } from "../../src/core/envelope";

/** What the resilience nodes wrote on a message (msg.wa.resilience), empty when they wrote nothing. */
export const resilienceOf = (msg: object): WaResilience => envelopeOf(msg)?.resilience ?? {};

/** What the Sheets nodes wrote on a message (msg.wa.sheets), empty when they wrote nothing. */
export const sheetsOf = (msg: object): WaSheets => envelopeOf(msg)?.sheets ?? {};
