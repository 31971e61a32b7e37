import { WaError } from "../errors";

/** What WhatsApp accepts to send, by MIME type (both transports take these). */
export const SENDABLE_MIME_TYPES = new Set([
  "image/jpeg",
  "image/png",
  "image/webp",
  "audio/ogg",
  "audio/mpeg",
  "audio/mp4",
  "audio/aac",
  "audio/amr",
  "video/mp4",
  "video/3gpp",
  "application/pdf",
  "application/msword",
  "application/vnd.ms-excel",
  "application/vnd.ms-powerpoint",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "text/plain",
  "text/csv",
]);

const BY_EXTENSION: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".ogg": "audio/ogg",
  ".opus": "audio/ogg",
  ".mp3": "audio/mpeg",
  ".m4a": "audio/mp4",
  ".aac": "audio/aac",
  ".amr": "audio/amr",
  ".mp4": "video/mp4",
  ".3gp": "video/3gpp",
  ".pdf": "application/pdf",
  ".doc": "application/msword",
  ".xls": "application/vnd.ms-excel",
  ".ppt": "application/vnd.ms-powerpoint",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ".txt": "text/plain",
  ".csv": "text/csv",
};

export function mimeTypeOfName(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? undefined : BY_EXTENSION[name.slice(dot).toLowerCase()];
}

/** The base type without parameters: "audio/ogg; codecs=opus" is sent as audio/ogg. */
export function baseMimeType(mimetype: string): string {
  return mimetype.split(";")[0].trim().toLowerCase();
}

/** Refuses what WhatsApp would refuse: an unknown type, an empty file, one over the limit. */
export function checkSendableMedia(mimetype: string, sizeBytes: number, maxBytes: number): void {
  if (!SENDABLE_MIME_TYPES.has(baseMimeType(mimetype))) {
    throw new WaError(
      "media.notSendable",
      `WhatsApp does not take ${mimetype.slice(0, 80)} files: send images (JPEG, PNG, WebP), audio (OGG, MP3, M4A, AAC, AMR), video (MP4, 3GP) or documents (PDF, Office, TXT, CSV)`,
      { mimetype: mimetype.slice(0, 80) },
    );
  }
  if (sizeBytes === 0) throw new WaError("media.notSendable", "The file to send is empty", { mimetype });
  if (sizeBytes > maxBytes)
    throw new WaError("media.tooLarge", `The media is ${sizeBytes} bytes; the limit is ${maxBytes}`, { size: sizeBytes, max: maxBytes });
}

/** The image format its first bytes show (what OCR can read), whatever the mimetype claims. */
export function sniffImageType(data: Uint8Array): "png" | "jpeg" | "gif" | "bmp" | "webp" | "tiff" | "pnm" | undefined {
  const starts = (...bytes: number[]) => bytes.every((b, i) => data[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "png";
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "gif";
  if (starts(0x42, 0x4d)) return "bmp";
  if (starts(0x52, 0x49, 0x46, 0x46) && data[8] === 0x57 && data[9] === 0x45 && data[10] === 0x42 && data[11] === 0x50) return "webp";
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return "tiff";
  if (data[0] === 0x50 && data[1] >= 0x31 && data[1] <= 0x36 && /\s/.test(String.fromCharCode(data[2] ?? 0))) return "pnm";
  return undefined;
}
