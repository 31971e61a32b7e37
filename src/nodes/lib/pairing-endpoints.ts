import QRCode from "qrcode";
import { WwebjsTransport } from "../../core/wwebjs-transport";
import type { WaClientNode } from "../wa-client";
import { describeError } from "./node-kit";
import { NodeAPI } from "./red";

interface Request {
  params: { id?: string };
}
interface Response {
  status(code: number): Response;
  json(body: unknown): void;
}
type Handler = (req: Request, res: Response) => void;
interface AdminApp {
  get(path: string, ...handlers: unknown[]): void;
  post(path: string, ...handlers: unknown[]): void;
}

function wwebjsOf(RED: NodeAPI, id: string | undefined): { node?: WaClientNode; transport?: WwebjsTransport } {
  const node = id ? ((RED.nodes.getNode(id) as WaClientNode | null) ?? undefined) : undefined;
  const transport = node?.transport instanceof WwebjsTransport ? node.transport : undefined;
  return { node, transport };
}

/**
 * The editor's pairing panel: the current QR code (as an image), pairing code and state of a
 * WhatsApp Web connection, and restart / log-out actions. Behind Node-RED's admin permissions,
 * so only editor users who may read (or change) connections can pair a number.
 */
export function registerPairingEndpoints(RED: NodeAPI): void {
  const admin = RED.httpAdmin as unknown as AdminApp;
  const read = RED.auth.needsPermission("wa-client.read");
  const write = RED.auth.needsPermission("wa-client.write");

  const pairing: Handler = (req, res) => {
    const { node, transport } = wwebjsOf(RED, req.params.id);
    if (!node) {
      res.status(404).json({ error: "No deployed WhatsApp connection with this id: deploy the flow first" });
      return;
    }
    if (!transport) {
      const described = node.describeState();
      res.json({ state: described.state, detail: described.detail ?? "not a WhatsApp Web connection" });
      return;
    }
    const info = transport.pairing();
    if (!info.qr) {
      res.json(info);
      return;
    }
    QRCode.toDataURL(info.qr, { margin: 1, width: 264 }).then(
      (image) => res.json({ ...info, qr: undefined, qrImage: image }),
      (error: unknown) => res.status(500).json({ error: describeError(RED, error) }),
    );
  };

  const action =
    (run: (transport: WwebjsTransport) => Promise<void>): Handler =>
    (req, res) => {
      const { transport } = wwebjsOf(RED, req.params.id);
      if (!transport) {
        res.status(404).json({ error: "No deployed WhatsApp Web connection with this id" });
        return;
      }
      run(transport).then(
        () => res.json(transport.pairing()),
        (error: unknown) => res.status(500).json({ error: describeError(RED, error) }),
      );
    };

  admin.get("/wa-pipeline/clients/:id/pairing", read, pairing);
  admin.post("/wa-pipeline/clients/:id/restart", write, action((t) => t.restart()));
  admin.post("/wa-pipeline/clients/:id/logout", write, action((t) => t.logout()));
}
