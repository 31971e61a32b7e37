import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Server, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedWhatsApp } from "../../src/core/transport/simulator";
import clientNode from "../../src/nodes/wa-client";
import outNode from "../../src/nodes/wa-out";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, until, untilReal, useNodeHarness } from "./harness";

const nodes = [clientNode, outNode];

describe("wa-out: files and reactions (simulator)", () => {
  useNodeHarness();
  let dir: string;
  let files: Server;
  let filesUrl = "";
  const hits: string[] = [];
  const jpeg = Buffer.from("ffd8ffe0-a-small-jpeg-stand-in", "utf8");

  before(async () => {
    // A loopback file server: a photo, a huge file that says so, and one that lies about its length.
    files = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (req.url === "/to-loopback") {
        res.writeHead(302, { Location: `http://127.0.0.1:${(files.address() as AddressInfo).port}/photo.jpg` });
        res.end();
      } else if (req.url === "/photo.jpg") {
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

  const flow = (out: Record<string, unknown> = { fileFolders: ".", privateHosts: "127.0.0.1" }) =>
    inTab([
      { id: "sim1", type: "wa-client", mode: "simulator", source: "demo", speed: 1, startDelay: 3600, loop: false },
      { id: "out1", type: "wa-out", client: "sim1", chat: "wa.message.chatId", quote: true, maxMediaMB: 1, wires: [["sent"]], ...out },
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
    assert.deepEqual(
      codes.sort(),
      [
        "media.badSource",
        "media.badSource",
        "media.badSource",
        "media.notSendable",
        "media.tooLarge",
        "media.tooLarge",
        "media.tooLarge",
      ].sort(),
    );
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
    assert.deepEqual(
      simulator().reactions.map((r) => [r.messageId, r.emoji]),
      [
        [messageId, "👍"],
        [messageId, ""],
      ],
    );
    assert.equal((sent[0].wa as { sent: { reaction: string } }).sent.reaction, "👍");
  });

  it("reads no file and fetches no private address unless the form allows it", async () => {
    await helper.load(nodes, flow({}));
    const errors = collect("errors");
    hits.length = 0;
    getNode("out1").receive(withMedia({ file: "invoice.pdf" }));
    getNode("out1").receive(withMedia({ url: `${filesUrl}/photo.jpg` }));
    const port = (files.address() as AddressInfo).port;
    getNode("out1").receive(withMedia({ url: `http://localhost:${port}/photo.jpg` }));
    getNode("out1").receive(withMedia({ url: `http://[::ffff:127.0.0.1]:${port}/photo.jpg` }));
    getNode("out1").receive(withMedia({ url: `http://[::1]:${port}/photo.jpg` }));
    getNode("out1").receive(withMedia({ url: `http://169.254.169.254/latest/meta-data/` }));
    getNode("out1").receive(withMedia({ url: `http://10.0.0.1/photo.jpg` }));
    await untilReal(() => errors.length === 7, 5000).catch(() => assert.fail(JSON.stringify(errors.map((e) => e.error))));
    const messages = errors.map((e) => (e.error as { message: string }).message);
    assert.match(messages[0], /files are not read unless the node's form names the folders/);
    assert.match(messages[1], /127\.0\.0\.1 is a loopback address/);
    assert.match(messages[2], /localhost \(127\.0\.0\.1\) is a loopback address|localhost \(::1\) is a loopback address/);
    assert.match(messages[3], /is a loopback address/);
    assert.match(messages[4], /::1 is a loopback address/);
    assert.match(messages[5], /169\.254\.169\.254 is a link-local address/);
    assert.match(messages[6], /10\.0\.0\.1 is a private address/);
    assert.ok(errors.every((e) => (e.error as { code?: string }).code === "media.badSource"));
    assert.deepEqual(hits, [], "no request reached the loopback server");
    assert.equal(simulator().sent().length, 0);
  });

  it("checks every redirect's address: an allowed host cannot redirect to a refused one", async () => {
    await helper.load(nodes, flow({ privateHosts: "localhost" }));
    const errors = collect("errors");
    const sent = collect("sent");
    hits.length = 0;
    const port = (files.address() as AddressInfo).port;
    getNode("out1").receive(withMedia({ url: `http://localhost:${port}/photo.jpg` }));
    await untilReal(() => sent.length === 1, 5000);
    getNode("out1").receive(withMedia({ url: `http://localhost:${port}/to-loopback` }));
    await untilReal(() => errors.length === 1, 5000);
    assert.match((errors[0].error as { message: string }).message, /127\.0\.0\.1 is a loopback address/);
    assert.deepEqual(hits, ["/photo.jpg", "/to-loopback"], "the redirect's target was never requested");
  });

  it("keeps files inside the allowed folders, after following links; refuses devices, pipes and /proc; limits the bytes read", async function () {
    const allowed = join(dir, "outbox");
    const { mkdirSync, symlinkSync } = await import("node:fs");
    const { execFileSync } = await import("node:child_process");
    mkdirSync(allowed);
    writeFileSync(join(allowed, "ok.pdf"), Buffer.from("%PDF-1.4 allowed"));
    writeFileSync(join(dir, "flows_cred.json"), "{}");
    symlinkSync("/etc/passwd", join(allowed, "passwd.txt"));
    symlinkSync(join(dir, "flows_cred.json"), join(allowed, "creds.txt"));
    symlinkSync("/dev/zero", join(allowed, "zero.pdf"));
    symlinkSync("/proc/self/environ", join(allowed, "environ.txt"));
    execFileSync("mkfifo", [join(allowed, "pipe.pdf")]);
    await helper.load(nodes, flow({ fileFolders: "outbox, /dev" }));
    const errors = collect("errors");
    const sent = collect("sent");
    const hostile = [
      "/etc/passwd",
      "../flows_cred.json",
      "outbox/../flows_cred.json",
      "outbox/passwd.txt",
      "outbox/creds.txt",
      "outbox/zero.pdf",
      "outbox/environ.txt",
      "outbox/pipe.pdf",
      "/dev/zero",
      "/dev/urandom",
    ];
    for (const file of hostile) getNode("out1").receive(withMedia({ file, mimetype: "application/pdf" }));
    await untilReal(() => errors.length === hostile.length, 5000);
    const reasons = errors.map((e) => (e.error as { message: string }).message);
    assert.match(reasons[0], /outside the folders/);
    assert.match(reasons[1], /outside the folders/);
    assert.match(reasons[2], /outside the folders/);
    assert.match(reasons[3], /outside the folders/, "a link out of the folder is judged where it leads");
    assert.match(reasons[4], /outside the folders/);
    assert.match(reasons[5], /not a regular file/, "a link to a device in an allowed folder");
    assert.match(reasons[6], /outside the folders/);
    assert.match(reasons[7], /not a regular file/, "a pipe is refused without blocking");
    assert.match(reasons[8], /not a regular file/, "a device in an allowed folder is still refused");
    assert.match(reasons[9], /not a regular file/);
    // The chat is not stuck behind a refused file: the next send goes out.
    getNode("out1").receive(withMedia({ file: "outbox/ok.pdf" }));
    await untilReal(() => sent.length === 1, 5000);
    assert.equal(simulator().sent()[0].media?.filename, "ok.pdf");
    const rss = process.memoryUsage().rss;
    assert.ok(rss < 2 * 1024 ** 3, "nothing read /dev/zero into memory");
  });
});
