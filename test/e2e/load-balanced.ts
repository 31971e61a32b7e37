export interface LoadBalancedFlowOptions {
  redisUrl: string;
  keyPrefix: string;
  /** Every processed message is appended here as "id chatId token acquiredAt writtenAt instance". */
  logFile: string;
  /** Simulated work per message, a random delay in this range; none when left out. */
  workMs?: [number, number];
  /** The store's settings in place of one Redis at redisUrl (a cluster's seed nodes, say). */
  store?: Record<string, unknown>;
}

/**
 * One instance's flow behind the load balancer:
 * HTTP in -> Redis queue -> Redis lock -> (work) -> log line -> release -> ack.
 * Used by the two-instance e2e test and by the two-instance bench.
 */
export function loadBalancedFlow(options: LoadBalancedFlowOptions): Record<string, unknown>[] {
  const z = "lb-tab";
  const { logFile, workMs } = options;
  const work = workMs
    ? [
        {
          id: "work1",
          z,
          type: "delay",
          pauseType: "random",
          timeout: "1",
          timeoutUnits: "seconds",
          rate: "1",
          nbRateUnits: "1",
          rateUnits: "second",
          randomFirst: String(workMs[0]),
          randomLast: String(workMs[1]),
          randomUnits: "milliseconds",
          drop: false,
          outputs: 1,
          wires: [["line1"]],
        },
      ]
    : [];
  return [
    { id: z, type: "tab", label: "load balanced" },
    {
      id: "redis1",
      type: "wa-store",
      name: "",
      ...(options.store ?? { backend: "redis", url: options.redisUrl, tls: false }),
      keyPrefix: options.keyPrefix,
    },
    { id: "in1", z, type: "http in", url: "/ingest", method: "post", upload: false, swaggerDoc: "", wires: [["reply1", "envelope1"]] },
    { id: "reply1", z, type: "http response", statusCode: "202", headers: {}, wires: [] },
    {
      id: "envelope1",
      z,
      type: "change",
      rules: [
        { t: "set", p: "wa", pt: "msg", to: "payload", tot: "msg" },
        { t: "set", p: "payload", pt: "msg", to: "wa.message.body", tot: "msg" },
        { t: "delete", p: "req", pt: "msg" },
        { t: "delete", p: "res", pt: "msg" },
      ],
      wires: [["queue1"]],
    },
    {
      id: "queue1",
      z,
      type: "wa-message-queue",
      store: "redis1",
      mode: "enqueue",
      queueName: "lb",
      key: "wa.message.chatId",
      maxPerChat: "1000",
      maxTotal: "100000",
      overflow: "reject",
      ackTimeout: "30",
      maxDeliveries: "3",
      outputs: 2,
      wires: [["lock1"], []],
    },
    {
      id: "lock1",
      z,
      type: "wa-session-lock",
      store: "redis1",
      mode: "acquire",
      lockName: "lb",
      key: "wa.message.chatId",
      ttl: "30",
      wait: "20",
      onTimeout: "error",
      outputs: 2,
      wires: [[workMs ? "work1" : "line1"], []],
    },
    ...work,
    {
      id: "line1",
      z,
      type: "change",
      rules: [
        {
          t: "set",
          p: "payload",
          pt: "msg",
          to: 'wa.message.id & " " & wa.message.chatId & " " & $string(wa.session.lock.token) & " " & $string(wa.session.lock.acquiredAt) & " " & $string($millis()) & " " & $env("WA_INSTANCE")',
          tot: "jsonata",
        },
      ],
      wires: [["log1"]],
    },
    {
      id: "log1",
      z,
      type: "file",
      filename: logFile,
      filenameType: "str",
      appendNewline: true,
      createDir: true,
      overwriteFile: "false",
      encoding: "none",
      wires: [["release1"]],
    },
    { id: "release1", z, type: "wa-session-lock", store: "redis1", mode: "release", lockName: "lb", outputs: 1, wires: [["ack1"]] },
    { id: "ack1", z, type: "wa-message-queue", store: "redis1", mode: "ack", queueName: "lb", outputs: 1, wires: [[]] },
    { id: "catch1", z, type: "catch", scope: null, uncaught: false, wires: [["errline1"]] },
    {
      id: "errline1",
      z,
      type: "change",
      rules: [{ t: "set", p: "payload", pt: "msg", to: "error.message", tot: "msg" }],
      wires: [["errlog1"]],
    },
    {
      id: "errlog1",
      z,
      type: "file",
      filename: `${logFile}.errors`,
      filenameType: "str",
      appendNewline: true,
      createDir: true,
      overwriteFile: "false",
      encoding: "none",
      wires: [[]],
    },
  ];
}

/** Posts one text message to an instance's /ingest, as the load balancer does; the status it answered. */
export async function postToIngest(url: string, id: string, chatId: string, body: string): Promise<number> {
  const now = Date.now();
  const envelope = {
    message: {
      id,
      chatId,
      from: chatId,
      body,
      type: "chat",
      timestamp: now,
      receivedAt: now,
      isGroup: false,
      fromMe: false,
      transport: "http",
    },
    trace: [],
  };
  const response = await fetch(`${url}/ingest`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(envelope),
  });
  return response.status;
}
