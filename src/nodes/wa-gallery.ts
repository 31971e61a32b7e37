import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { galleryActions, gallerySchema } from "./schemas/wa-gallery";
import path from "node:path";
import { TimerHandle } from "../core/clock";
import { validateChatId } from "../core/envelope";
import { WaError, invalidSetting } from "../core/errors";
import { MediaGallery, checkMediaId } from "../core/media/gallery/gallery";
import { StoreBlobStorage } from "../core/media/gallery/store-blob-storage";
import { FileBlobStorage } from "../core/media/gallery/file-blob-storage";
import { imageThumbnail } from "../core/media/ocr/image-preprocess";
import { attachMediaResult, mediaOf } from "./kit/media-message";
import { describeError, disableNode, failMessage, onClose, onInput, startNode, traceMessage, userDirOf } from "./kit/node-kit";
import { AdminRequest, AdminResponse, adminRoutes, Node, NodeAPI, NodeDef, NodeMessage } from "./kit/red";
import { acquireStore, memoryStoreNote } from "./kit/store-provider";

type GalleryAction = (typeof galleryActions)[number];
const ACTIONS: readonly string[] = galleryActions;

type GalleryDef = NodeDef & FlowConfigOf<typeof gallerySchema>;

const MB = 1024 * 1024;
const DAY = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;

export function gallerySettingsFromConfig(config: GalleryDef, userDir: string) {
  const read = readSettingsBySchema(gallerySchema, config);
  // The folder is the user's own setting, but stays inside the user directory all the same.
  const folder = path.resolve(userDir, read.folder);
  const relative = path.relative(path.resolve(userDir), folder);
  if (read.files === "folder" && (relative === "" || relative.startsWith("..") || path.isAbsolute(relative))) {
    throw invalidSetting("folder", "galleryFolder", "Folder: a folder inside the Node-RED user directory, such as wa-pipeline/gallery");
  }
  return {
    files: read.files,
    folder,
    action: read.action,
    maxAgeMs: read.maxAgeDays * DAY,
    maxTotalBytes: Math.round(read.maxTotalMegabytes * MB),
    maxFileBytes: Math.round(read.maxFileMegabytes * MB),
    maxPerChat: read.maxPerChat,
    thumbnails: read.thumbnails,
    thumbnailSize: read.thumbnailSize,
  };
}

/** The chat a message is about: the envelope's, or msg.chatId for list/get/delete requests from elsewhere. */
function chatOf(msg: NodeMessage): string {
  const fromEnvelope = (msg as { wa?: { message?: { chatId?: unknown } } }).wa?.message?.chatId;
  return validateChatId(fromEnvelope ?? (msg as { chatId?: unknown }).chatId);
}

export default function register(RED: NodeAPI): void {
  function WaGallery(this: WaGalleryNode, config: GalleryDef) {
    const started = startNode(RED, this, config, () => gallerySettingsFromConfig(config, userDirOf(RED)));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    let handle: ReturnType<typeof acquireStore>;
    try {
      handle = acquireStore(RED, node.id, config.store);
    } catch (error) {
      disableNode(RED, node, status, error);
      return;
    }
    const volatile = memoryStoreNote(RED, handle);
    const blobs = settings.files === "store" ? new StoreBlobStorage(handle.store, clock) : new FileBlobStorage(settings.folder);
    const gallery = new MediaGallery(
      handle.store,
      blobs,
      clock,
      { maxAgeMs: settings.maxAgeMs, maxTotalBytes: settings.maxTotalBytes, maxEntriesPerChat: settings.maxPerChat },
      settings.thumbnails ? (data) => imageThumbnail(data, settings.thumbnailSize) : undefined,
    );
    node.gallery = gallery;
    let stored = 0;
    let knownTotal = 0;
    let sweeping: Promise<unknown> | undefined;
    let timer: TimerHandle | undefined;
    let closed = false;

    const showCounts = () =>
      status.set(() => {
        const counts = nodeText(
          "gallery.counts",
          `${stored} stored, ${(knownTotal / MB).toFixed(1)} of ${(settings.maxTotalBytes / MB).toFixed(0)} MB`,
          { stored, used: (knownTotal / MB).toFixed(1), max: (settings.maxTotalBytes / MB).toFixed(0) },
        );
        return {
          fill: volatile ? "yellow" : "green",
          shape: volatile ? "ring" : "dot",
          text: volatile ? `${counts} · ${volatile}` : counts,
        };
      });
    const sweep = () => {
      sweeping ??= gallery
        .sweep()
        .then((result) => {
          knownTotal = result.totalBytes;
          showCounts();
          return result;
        })
        .finally(() => (sweeping = undefined));
      return sweeping;
    };
    const schedule = () => {
      if (closed) return;
      timer = clock.setTimeout(() => {
        sweep()
          .catch((error: unknown) =>
            node.warn(
              nodeText("gallery.sweepFailed", `The gallery could not be tidied: ${(error as Error)?.message ?? error}`, {
                reason: String((error as Error)?.message ?? error),
              }),
            ),
          )
          .finally(schedule);
      }, SWEEP_EVERY_MS);
    };
    const idle = nodeText("gallery.idle", `ready (${handle.backend})`, { backend: handle.backend });
    status.set(
      { fill: volatile ? "yellow" : "grey", shape: volatile ? "ring" : "dot", text: volatile ? `${idle} · ${volatile}` : idle },
      true,
    );
    void gallery.totalBytes().then(
      (total) => {
        knownTotal = total;
      },
      () => undefined,
    );
    schedule();

    async function act(msg: NodeMessage): Promise<void> {
      const requested = (msg as { action?: unknown }).action;
      const action = (
        typeof requested === "string" && ACTIONS.includes(requested as GalleryAction) ? requested : settings!.action
      ) as GalleryAction;
      const message = msg as Record<string, unknown>;
      if (action === "sweep") {
        message.payload = await sweep();
        return;
      }
      const chatId = chatOf(msg);
      if (action === "store") {
        const media = mediaOf(msg);
        if (!media || media.data.length === 0)
          throw new WaError("media.unreadable", "The message carries no media (msg.wa.message.media.data or a Buffer in msg.payload)", {
            reason: "no media",
          });
        if (media.data.length > settings!.maxFileBytes)
          throw new WaError("media.tooLarge", `The media is ${media.data.length} bytes; the limit is ${settings!.maxFileBytes}`, {
            size: media.data.length,
            max: settings!.maxFileBytes,
          });
        const messageId = (msg as { wa?: { message?: { id?: unknown } } }).wa?.message?.id;
        const { entry, duplicate } = await gallery.put(chatId, {
          data: media.data,
          mimetype: media.mimetype ?? "application/octet-stream",
          filename: media.filename,
          messageId: typeof messageId === "string" ? messageId : undefined,
        });
        attachMediaResult(msg, "gallery", { ...entry, chatId, duplicate });
        stored += 1;
        if (!duplicate) knownTotal += entry.bytes + (entry.thumbnail?.bytes ?? 0);
        if (knownTotal > settings!.maxTotalBytes) await sweep();
        return;
      }
      if (action === "list") {
        message.payload = await gallery.list(chatId);
        return;
      }
      const id = checkMediaId((msg as { mediaId?: unknown }).mediaId);
      if (action === "delete") {
        message.payload = { deleted: await gallery.delete(chatId, id) };
        return;
      }
      const { entry, data } = await gallery.get(chatId, id, action === "thumbnail");
      message.payload = data;
      message.gallery = entry;
    }

    onInput(RED, node, status, (msg, send, done) => {
      const start = clock.now();
      act(msg).then(
        () => {
          traceMessage(msg, node, start, clock.now());
          send(msg);
          showCounts();
          done();
        },
        (error: unknown) => failMessage(RED, status, done, error),
      );
    });
    onClose(RED, node, () => {
      closed = true;
      clock.clearTimeout(timer);
      status.close();
      return Promise.resolve(sweeping)
        .catch(() => undefined)
        .then(() => handle.release());
    });
  }

  RED.nodes.registerType("wa-gallery", WaGallery);
  registerGalleryEndpoints(RED);
}

type WaGalleryNode = Node & { gallery?: MediaGallery };

/**
 * The node's dialog browses what is stored: chats, their media with thumbnails (as data URLs, so
 * they come with the editor's own authorised request), delete; behind wa-gallery.read / .write.
 * Originals are not served to the editor: a chat's file could be HTML or SVG.
 */
function registerGalleryEndpoints(RED: NodeAPI): void {
  const { admin, read, write } = adminRoutes(RED, "wa-gallery");
  const galleryOf = (req: AdminRequest, res: AdminResponse): MediaGallery | undefined => {
    const node = req.params.id ? (RED.nodes.getNode(req.params.id) as WaGalleryNode | null) : null;
    if (!node?.gallery) res.status(404).json({ error: "No deployed gallery node with this id: deploy the flow first" });
    return node?.gallery;
  };
  const answer = (res: AdminResponse, work: () => Promise<unknown>) =>
    Promise.resolve()
      .then(work)
      .then(
        (body) => res.json(body),
        (error: unknown) => {
          const code = (error as { code?: unknown }).code;
          res
            .status(code === "media.notFound" ? 404 : code === "media.badName" || String(code).startsWith("envelope.") ? 400 : 500)
            .json({ error: describeError(RED, error) });
        },
      );
  admin.get("/wa-pipeline/gallery/:id/chats", read, (req: AdminRequest, res: AdminResponse) => {
    const gallery = galleryOf(req, res);
    if (gallery) answer(res, async () => ({ chats: await gallery.chats(), totalBytes: await gallery.totalBytes() }));
  });
  admin.get("/wa-pipeline/gallery/:id/chats/:chat/media", read, (req: AdminRequest, res: AdminResponse) => {
    const gallery = galleryOf(req, res);
    if (!gallery) return;
    answer(res, async () => {
      const chatId = validateChatId(req.params.chat);
      const entries = (await gallery.list(chatId)).slice(0, 100);
      return Promise.all(
        entries.map(async (entry) => {
          const thumbnail = entry.thumbnail
            ? await gallery.get(chatId, entry.id, true).then(
                (t) => `data:${entry.thumbnail?.mimetype};base64,${t.data.toString("base64")}`,
                () => undefined,
              )
            : undefined;
          return { ...entry, thumbnail: thumbnail ?? null };
        }),
      );
    });
  });
  admin.post("/wa-pipeline/gallery/:id/chats/:chat/media/:media/delete", write, (req: AdminRequest, res: AdminResponse) => {
    const gallery = galleryOf(req, res);
    if (gallery)
      answer(res, async () => ({ deleted: await gallery.delete(validateChatId(req.params.chat), checkMediaId(req.params.media)) }));
  });
}
