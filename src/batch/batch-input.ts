import { WaEnvelope, createEnvelope, validateChatId } from "../core/envelope";

/** One input line, as the flow will receive it, with the id the output line carries. */
export interface BatchItem {
  index: number;
  id: string;
  msg: { payload: string; topic: string; wa: WaEnvelope };
}

export const BATCH_LIMITS = { maxLineChars: 1_000_000, maxItems: 1_000_000 };

/**
 * Reads one JSONL line: an envelope (`{"wa": {"message": …}}`, as `msg` or bare) or a
 * whatsapp-gold style record (`{id, chat, from, timestamp (s or ms), text}`).
 */
export function parseBatchLine(line: string, index: number): BatchItem {
  if (line.length > BATCH_LIMITS.maxLineChars) throw new Error(`line ${index + 1}: longer than ${BATCH_LIMITS.maxLineChars} characters`);
  let row: Record<string, unknown>;
  try {
    row = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`line ${index + 1}: not JSON`);
  }
  if (typeof row !== "object" || row === null || Array.isArray(row)) throw new Error(`line ${index + 1}: not a JSON object`);
  const given =
    (row.wa as { message?: Record<string, unknown> } | undefined)?.message ?? (row.message as Record<string, unknown> | undefined);
  const source = given ?? row;
  const chatId = String(source.chatId ?? source.chat ?? "");
  try {
    validateChatId(chatId);
  } catch (error) {
    throw new Error(`line ${index + 1}: ${(error as Error).message}`);
  }
  const text = String(source.body ?? source.text ?? row.payload ?? "");
  const rawTime = Number(source.timestamp ?? Date.now());
  const timestamp = rawTime < 1e12 ? rawTime * 1000 : rawTime;
  const id = String(source.id ?? row.id ?? `line-${index + 1}`);
  const from = String(source.from ?? chatId);
  const envelope = createEnvelope({
    id,
    chatId,
    from,
    ...(typeof source.author === "string" ? { author: source.author } : chatId.endsWith("@g.us") ? { author: from } : {}),
    body: text,
    type: "chat",
    timestamp,
    receivedAt: timestamp,
    isGroup: chatId.endsWith("@g.us"),
    fromMe: source.fromMe === true,
    transport: "batch",
    ...(typeof source.quotedId === "string" ? { quotedId: source.quotedId } : {}),
  });
  return { index, id, msg: { payload: text, topic: chatId, wa: envelope } };
}

type FlowNode = Record<string, unknown> & { id: string; type: string; wires?: string[][] };

/**
 * The flow made ready to run headless: every WhatsApp connection becomes a silent simulator
 * (sends are recorded, nothing arrives by itself, no browser starts), and each `wa in` is
 * taken out; its first output's targets are where the batch's messages go in.
 */
export function prepareBatchFlow(flow: FlowNode[], entry?: string): { flow: FlowNode[]; entryTargets: string[] } {
  if (!Array.isArray(flow)) throw new Error("the flow file must hold a JSON array of nodes, as the editor exports it");
  let entryTargets: string[] = [];
  if (entry) {
    if (!flow.some((n) => n.id === entry)) throw new Error(`no node with the id ${entry} in the flow`);
    entryTargets = [entry];
  } else {
    const wired = flow.filter((n) => n.type === "wa-in").flatMap((n) => n.wires?.[0] ?? []);
    entryTargets = [...new Set(wired)];
    if (entryTargets.length === 0) throw new Error("the flow has no wa in node wired to anything: name the first node with --entry");
  }
  // An exported selection (like the bundled examples) has no tab: its flow nodes get one.
  const tabId = "wapipe-batch-tab";
  // Config nodes have neither wires nor a position and stay off tabs.
  const untabbedFlowNode = (n: FlowNode) => n.z === undefined && n.type !== "tab" && (n.wires !== undefined || n.x !== undefined);
  const needsTab = flow.some(untabbedFlowNode);
  const ready = flow
    .filter((n) => n.type !== "wa-in")
    .map((n) =>
      n.type === "wa-client"
        ? {
            id: n.id,
            type: "wa-client",
            name: n.name ?? "",
            mode: "simulator",
            source: "demo",
            scriptPath: "",
            speed: 1,
            maxGap: 1,
            stagger: 1,
            startDelay: 86_400,
            loop: false,
          }
        : n,
    )
    .map((n) => (needsTab && untabbedFlowNode(n) ? { ...n, z: tabId } : n));
  return { flow: needsTab ? [{ id: tabId, type: "tab", label: "batch" }, ...ready] : ready, entryTargets };
}
