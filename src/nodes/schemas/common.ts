// Fields and field parts several nodes share.

/** Every node's name in the flow (blank: the node shows its own label). */
export const NAME_FIELD = { kind: "text", label: "Name", default: "" } as const;
/** The store a node keeps its state in (blank: memory). */
export const STORE_FIELD = { kind: "config", label: "Store", type: "wa-store", default: "" } as const;

/** A name that keys stored data (a queue, a lock, a dedupe set): safe in store keys and file names. */
export const STORE_NAME = { pattern: "[A-Za-z0-9._-]{1,64}", expects: "1 to 64 letters, digits, '.', '_' or '-'" } as const;
/** The same, or blank. */
export const OPTIONAL_STORE_NAME = { pattern: "([A-Za-z0-9._-]{1,64})?", expects: "up to 64 letters, digits, '.', '_' or '-'" } as const;
/** A message property path as Node-RED's RED.util.getMessageProperty reads it (without "msg."). */
export const MESSAGE_PROPERTY = {
  pattern: "[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*|\\[\\d+\\])*",
  expects: "a message property such as wa.message.id",
} as const;
