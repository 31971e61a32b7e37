import { createHmac } from "node:crypto";

/** X-Hub-Signature-256 as Meta computes it, written here with node:crypto so tests do not sign with the code they test. */
export function metaSignature(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** A Cloud API webhook delivery (Graph's shape) of one message of any type from `from` (digits), sent at `sentAtMs`. */
export function webhookDelivery(from: string, sentAtMs: number, message: Record<string, unknown>, name = "Ana"): string {
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "1",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { phone_number_id: "106540352242922" },
              contacts: [{ profile: { name }, wa_id: from }],
              messages: [{ from, timestamp: String(Math.floor(sentAtMs / 1000)), ...message }],
            },
          },
        ],
      },
    ],
  });
}
