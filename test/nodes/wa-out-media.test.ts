import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Server, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedWhatsApp } from "../../src/core/simulator";
import clientNode from "../../src/nodes/wa-client";
import outNode from "../../src/nodes/wa-out";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness } from "./harness";

const nodes = [clientNode, outNode];

describe("wa-out: files and reactions (simulator)", () => {
  useNodeHarness();
  let dir: string;
  let files: Server;
  let filesUrl = "";
  const jpeg = Buffer.from("ffd8ffe0-a-small-jpeg-stand-in", "utf8");

  before(async () => {
    // A loopback file server: a photo, a huge file that says so, and one that lies about its length.
    files = createServer((req, res) => {
      if (req.url === "/photo.jpg") {
        res.writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": String(jpeg.length) });
        res.end(jpeg);
      } else if (req.url === "/huge.pdf") {
        res.writeHead(200, { "Content-Type": "application/pdf", "Content-Length": String(50 * 1024 * 1024) });
        res.end();
      } else if (req.url === "/streamed.pdf") {
        res.writeHead(200, { "Content-Type": "application/pdf" });
        res.end(Buffer.alloc(2 * 1024 * 1024, 1));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => files.close(resolve)));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wa-out-media-"));
    writeFileSync(join(dir, "invoice.pdf"), Buffer.from("%PDF-1.4 stand-in"));
    helper.settings({ userDir: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const flow = () =>
    inTab([
      { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
      { id: "out1", type: "wa-out", client: "sim1", chat: "wa.message.chatId", quote: true, maxMediaMB: 1, wires: [["sent"]] },
      helperNode("sent"),
      catchNode(),
      helperNode("errors"),
    ]);
  const simulator = () => (helper.getNode("sim1") as unknown as { transport: SimulatedWhatsApp }).transport;
  const withMedia = (media: unknown, caption = "") => ({ ...envelope("447700900123@c.us"), payload: caption, media });

  it("sends a Buffer, a file and a URL, with the payload as the caption", async () => {
    await helper.load(nodes, flow());
    const sent = collect("sent");
    getNode("out1").receive(withMedia({ data: jpeg, mimetype: "image/jpeg" }, "your receipt"));
    getNode("out1").receive(withMedia({ file: "invoice.pdf" }));
    getNode("out1").receive(withMedia({ url: `${filesUrl}/photo.jpg` }));
    await untilReal(() => sent.length === 3, 5000);
    const records = simulator().sent();
    assert.deepEqual(
      records.map((r) => [r.text, r.media?.mimetype, r.media?.sizeBytes, r.media?.filename]),
      [
        ["your receipt", "image/jpeg", jpeg.length, undefined],
        ["", "application/pdf", 17, "invoice.pdf"],
        ["", "image/jpeg", jpeg.length, "photo.jpg"],
      ],
    );
    assert.ok(records.every((r) => r.quotedId !== undefined));
  });

  it("refuses what WhatsApp would not take, or what is over the limit, naming why", async () => {
    await helper.load(nodes, flow());
    const errors = collect("errors");
    getNode("out1").receive(withMedia({ data: Buffer.from("MZ"), mimetype: "application/x-msdownload" }));
    getNode("out1").receive(withMedia({ data: Buffer.alloc(2 * 1024 * 1024), mimetype: "application/pdf" }));
    getNode("out1").receive(withMedia({ url: `${filesUrl}/huge.pdf` }));
    getNode("out1").receive(withMedia({ url: `${filesUrl}/streamed.pdf` }));
    getNode("out1").receive(withMedia({ file: "../../etc/missing.pdf" }));
    getNode("out1").receive(withMedia({ url: "file:///etc/passwd" }));
    getNode("out1").receive(withMedia({ data: Buffer.from("x") }));
    await untilReal(() => errors.length === 7, 5000);
    const codes = errors.map((e) => (e.error as { code?: string }).code);
    assert.deepEqual(codes.sort(), ["media.badSource", "media.badSource", "media.badSource", "media.notSendable", "media.tooLarge", "media.tooLarge", "media.tooLarge"].sort());
    assert.equal(simulator().sent().length, 0);
  });

  it("reacts to the received message, and takes a reaction back", async () => {
    await helper.load(nodes, flow());
    const sent = collect("sent");
    const question = envelope("447700900123@c.us", "thanks!");
    getNode("out1").receive({ ...structuredClone(question), reaction: "👍" });
    getNode("out1").receive({ ...structuredClone(question), reaction: "" });
    await until(() => sent.length === 2);
    const messageId = (question.wa as { message: { id: string } }).message.id;
    assert.deepEqual(simulator().reactions.map((r) => [r.messageId, r.emoji]), [[messageId, "👍"], [messageId, ""]]);
    assert.equal((sent[0].wa as { sent: { reaction: string } }).sent.reaction, "👍");
  });
});
