import type { SettingsSchema } from "../../core/settings/schema";
import { NAME_FIELD, STORE_FIELD } from "./common";

export const galleryActions = ["store", "list", "get", "thumbnail", "delete", "sweep"] as const;

export const gallerySchema = {
  name: NAME_FIELD,
  store: STORE_FIELD,
  files: { kind: "choice", label: "Keep files", default: "folder", options: ["folder", "store"] },
  folder: { kind: "text", label: "Folder", default: "wa-pipeline/gallery" },
  action: { kind: "choice", label: "Action", default: "store", options: galleryActions },
  maxAgeDays: { kind: "number", label: "Keep for", default: 30, min: 0.001, max: 3650, unit: "days" },
  maxTotalMegabytes: { kind: "number", label: "Total size", default: 1024, min: 1, max: 1_000_000, unit: "MB" },
  maxFileMegabytes: { kind: "number", label: "Largest file", default: 16, min: 0.01, max: 100, unit: "MB" },
  maxPerChat: { kind: "number", label: "Per chat", default: 500, min: 1, max: 10_000, whole: true, unit: "files" },
  thumbnails: { kind: "boolean", label: "Thumbnails", default: true },
  thumbnailSize: { kind: "number", label: "Thumbnail size", default: 256, min: 32, max: 1024, whole: true, unit: "px" },
} as const satisfies SettingsSchema;
