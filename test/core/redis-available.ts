import { Socket } from "node:net";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Whether a Redis answers PING at REDIS_URL (checked once, within a second). */
let cached: Promise<boolean> | undefined;
export function redisReachable(): Promise<boolean> {
  cached ??= new Promise<boolean>((resolve) => {
    const url = new URL(REDIS_URL);
    const socket = new Socket();
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once("error", () => finish(false));
    socket.connect(Number(url.port || 6379), url.hostname, () => socket.write("PING\r\n"));
    socket.once("data", (data) => finish(data.toString().startsWith("+PONG") || data.toString().startsWith("-NOAUTH")));
  });
  return cached;
}
