import { WaError } from "../../errors";

export type AudioContainer = "ogg" | "wav" | "mp3" | "mp4" | "webm";

export interface AudioInfo {
  container: AudioContainer;
  /** "opus" or "vorbis" inside Ogg, "pcm"/"float" inside WAV; undefined where the header is not read. */
  codec?: string;
  sampleRate?: number;
  channels?: number;
  /** From the headers, without decoding; undefined where the container does not say cheaply. */
  durationSeconds?: number;
}

const unreadable = (reason: string) => new WaError("media.unreadable", `The audio could not be read: ${reason}`, { reason });

/** The container by its first bytes; the mimetype a chat claims is not trusted. */
export function sniffAudio(data: Uint8Array): AudioContainer | undefined {
  const ascii = (start: number, end: number) => String.fromCharCode(...data.subarray(start, end));
  if (data.length >= 4 && ascii(0, 4) === "OggS") return "ogg";
  if (data.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE") return "wav";
  if (data.length >= 12 && ascii(4, 8) === "ftyp") return "mp4";
  if (data.length >= 4 && data[0] === 0x1a && data[1] === 0x45 && data[2] === 0xdf && data[3] === 0xa3) return "webm";
  if (data.length >= 3 && (ascii(0, 3) === "ID3" || (data[0] === 0xff && (data[1] & 0xe0) === 0xe0))) return "mp3";
  return undefined;
}

/** Reads the headers of a voice note: codec, rate, channels and (Ogg, WAV) its length. Throws media.unreadable. */
export function probeAudio(data: Uint8Array): AudioInfo {
  const container = sniffAudio(data);
  if (!container) throw unreadable("not an Ogg, WAV, MP3, MP4/M4A or WebM file");
  if (container === "ogg") return probeOgg(data);
  if (container === "wav") return probeWav(data).info;
  return { container };
}

interface OggPage {
  granule: bigint;
  serial: number;
  headerType: number;
  bodyStart: number;
  bodyEnd: number;
}

function* oggPages(data: Uint8Array): Generator<OggPage> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset + 27 <= data.length) {
    if (view.getUint32(offset, false) !== 0x4f676753) throw unreadable(`broken Ogg page at byte ${offset}`);
    const segments = data[offset + 26];
    if (offset + 27 + segments > data.length) throw unreadable("truncated Ogg page");
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += data[offset + 27 + i];
    const bodyStart = offset + 27 + segments;
    if (bodyStart + bodyLength > data.length) throw unreadable("truncated Ogg page");
    yield {
      granule: view.getBigInt64(offset + 6, true),
      serial: view.getUint32(offset + 14, true),
      headerType: data[offset + 5],
      bodyStart,
      bodyEnd: bodyStart + bodyLength,
    };
    offset = bodyStart + bodyLength;
  }
  if (offset !== data.length) throw unreadable("truncated Ogg page");
}

function probeOgg(data: Uint8Array): AudioInfo {
  let first: OggPage | undefined;
  let lastGranule = -1n;
  for (const page of oggPages(data)) {
    first ??= page;
    if (page.serial === first.serial && page.granule >= 0n) lastGranule = page.granule;
  }
  if (!first) throw unreadable("empty Ogg file");
  const head = data.subarray(first.bodyStart, first.bodyEnd);
  const magic = String.fromCharCode(...head.subarray(0, 8));
  if (magic === "OpusHead" && head.length >= 19) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const channels = head[9];
    const preSkip = view.getUint16(10, true);
    // Opus granule positions always count 48 kHz samples, whatever the input rate was.
    const samples = Number(lastGranule) - preSkip;
    return {
      container: "ogg",
      codec: "opus",
      channels,
      sampleRate: 48_000,
      durationSeconds: lastGranule >= 0n ? Math.max(0, samples) / 48_000 : undefined,
    };
  }
  if (head.length >= 16 && head[0] === 1 && String.fromCharCode(...head.subarray(1, 7)) === "vorbis") {
    const rate = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(12, true);
    return {
      container: "ogg",
      codec: "vorbis",
      channels: head[11],
      sampleRate: rate,
      durationSeconds: rate > 0 && lastGranule >= 0n ? Number(lastGranule) / rate : undefined,
    };
  }
  throw unreadable("an Ogg file without Opus or Vorbis audio");
}

interface WavLayout {
  info: AudioInfo;
  format: number;
  bitsPerSample: number;
  dataStart: number;
  dataEnd: number;
}

function probeWav(data: Uint8Array): WavLayout {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 12;
  let fmt: { format: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (offset + 8 <= data.length) {
    const id = String.fromCharCode(...data.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt " && size >= 16 && body + 16 <= data.length) {
      let format = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE carries the real format in its sub-format GUID.
      if (format === 0xfffe && size >= 40 && body + 26 <= data.length) format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!fmt) throw unreadable("WAV data before its format");
      const supported =
        (fmt.format === 1 && (fmt.bitsPerSample === 16 || fmt.bitsPerSample === 8)) || (fmt.format === 3 && fmt.bitsPerSample === 32);
      if (!supported)
        throw unreadable(`WAV format ${fmt.format} with ${fmt.bitsPerSample}-bit samples (PCM 8/16-bit or float 32-bit expected)`);
      if (fmt.channels < 1 || fmt.channels > 8 || fmt.sampleRate < 4000 || fmt.sampleRate > 192_000)
        throw unreadable("WAV with an impossible rate or channel count");
      const dataEnd = Math.min(data.length, body + size);
      const frameBytes = (fmt.bitsPerSample / 8) * fmt.channels;
      const frames = Math.floor((dataEnd - body) / frameBytes);
      return {
        info: {
          container: "wav",
          codec: fmt.format === 3 ? "float" : "pcm",
          channels: fmt.channels,
          sampleRate: fmt.sampleRate,
          durationSeconds: frames / fmt.sampleRate,
        },
        format: fmt.format,
        bitsPerSample: fmt.bitsPerSample,
        dataStart: body,
        dataEnd: body + frames * frameBytes,
      };
    }
    offset = body + size + (size % 2);
  }
  throw unreadable("a WAV file without audio data");
}

/** WAV samples mixed down to one channel, -1..1. */
export function wavSamples(data: Uint8Array): { samples: Float32Array; sampleRate: number } {
  const layout = probeWav(data);
  const channels = layout.info.channels ?? 1;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bytes = layout.bitsPerSample / 8;
  const frames = (layout.dataEnd - layout.dataStart) / (bytes * channels);
  const samples = new Float32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) {
      const at = layout.dataStart + (frame * channels + channel) * bytes;
      if (layout.format === 3) sum += view.getFloat32(at, true);
      else if (bytes === 2) sum += view.getInt16(at, true) / 32768;
      else sum += (data[at] - 128) / 128;
    }
    samples[frame] = sum / channels;
  }
  return { samples, sampleRate: layout.info.sampleRate ?? 8000 };
}

/** Averages channels into one. */
export function mixDown(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const length = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(length);
  for (const channel of channels) for (let i = 0; i < length; i++) out[i] += channel[i] / channels.length;
  return out;
}

const HALF_TAPS = 16;

/**
 * Band-limited resampling (windowed sinc, cut-off below the lower Nyquist frequency), so a 48 kHz
 * voice note becomes the 8 kHz the speech model was trained on without aliasing.
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return samples;
  const resampler = new StreamingResampler(fromRate, toRate);
  return concatSamples([resampler.push(samples), resampler.end()]);
}

/**
 * The same resampling a piece at a time, for audio decoded a piece at a time: each output sample
 * is computed once its window of input has arrived, so the result equals {@link resample} of the
 * whole, and only a window's worth of input is held.
 */
export class StreamingResampler {
  private readonly ratio: number;
  private readonly cutoff: number;
  private readonly halfWidth: number;
  /** Input not yet passed by every later output's window; `held[0]` is input sample `heldFrom`. */
  private held: Float32Array = new Float32Array(0);
  private heldFrom = 0;
  private received = 0;
  private produced = 0;
  private readonly kernels: Map<number, Float64Array> | undefined;

  constructor(
    private readonly fromRate: number,
    private readonly toRate: number,
  ) {
    this.ratio = toRate / fromRate;
    this.cutoff = Math.min(1, this.ratio) * 0.9;
    this.halfWidth = HALF_TAPS / Math.min(1, this.ratio);
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    // Rates that share no useful divisor would make a window per output: then none is kept.
    this.kernels = Number.isInteger(fromRate) && Number.isInteger(toRate) && toRate / gcd(fromRate, toRate) <= 4096 ? new Map() : undefined;
  }

  push(chunk: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return chunk.slice();
    // Only the tail of what came before is held; a first piece (or a whole recording) is read where it is.
    this.held = this.held.length === 0 ? chunk : concatSamples([this.held, chunk]);
    this.received += chunk.length;
    return this.drain(false);
  }

  /** The last samples, whose windows run to the end of the input. */
  end(): Float32Array {
    return this.fromRate === this.toRate ? new Float32Array(0) : this.drain(true);
  }

  /**
   * The weights of output sample `i`'s window, first input sample `first`. Output i sits at input
   * position i * from / to, so its window repeats every `to / gcd(from, to)` outputs (every output
   * from 48 to 16 kHz, 160 of them from 44.1 kHz): each is computed once.
   */
  private kernel(i: number): { first: number; weights: Float64Array } {
    const center = (i * this.fromRate) / this.toRate;
    const first = Math.ceil(center - this.halfWidth);
    const phase = (i * this.fromRate) % this.toRate;
    let weights = this.kernels?.get(phase);
    if (!weights) {
      const last = Math.floor(center + this.halfWidth);
      weights = new Float64Array(last - first + 1);
      for (let j = first; j <= last; j++) {
        const x = (j - center) * this.cutoff;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        weights[j - first] = sinc * (0.5 + 0.5 * Math.cos((Math.PI * (j - center)) / this.halfWidth));
      }
      this.kernels?.set(phase, weights);
    }
    return { first, weights };
  }

  private drain(final: boolean): Float32Array {
    const total = Math.floor(this.received * this.ratio);
    let until = this.produced;
    while (until < total && (final || Math.floor((until * this.fromRate) / this.toRate + this.halfWidth) <= this.received - 1)) until++;
    const out = new Float32Array(until - this.produced);
    for (let i = this.produced; i < until; i++) {
      const { first, weights } = this.kernel(i);
      // At the ends of the recording the window is cut short and its weights renormalised.
      const from = Math.max(0, first);
      const to = Math.min(this.received - 1, first + weights.length - 1);
      let sum = 0;
      let weight = 0;
      for (let j = from; j <= to; j++) {
        const w = weights[j - first];
        sum += this.held[j - this.heldFrom] * w;
        weight += w;
      }
      out[i - this.produced] = weight !== 0 ? sum / weight : 0;
    }
    this.produced = until;
    const keepFrom = Math.max(this.heldFrom, Math.min(this.received, Math.ceil((until * this.fromRate) / this.toRate - this.halfWidth)));
    this.held = this.held.slice(keepFrom - this.heldFrom);
    this.heldFrom = keepFrom;
    return out;
  }
}

/** Pieces of audio one after another in one array. */
export function concatSamples(pieces: Float32Array[]): Float32Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Float32Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/**
 * Surrounds speech with the recording's own background (its quietest 10 ms, repeated): a decoder
 * that sees no silence before the first word misreads it, and trimmed recordings start mid-breath.
 */
export function padWithBackground(samples: Float32Array, sampleRate: number, seconds: number): Float32Array {
  const frame = Math.max(1, Math.round(sampleRate * 0.01));
  if (samples.length < frame) return samples;
  const quietest = quietestFrame(samples, 0, samples.length, frame);
  const pad = Math.round(sampleRate * seconds);
  const out = new Float32Array(samples.length + 2 * pad);
  for (let i = 0; i < pad; i++) {
    const value = samples[quietest + (i % frame)];
    out[i] = value;
    out[pad + samples.length + i] = value;
  }
  out.set(samples, pad);
  return out;
}

/** Where the quietest whole frame of `frame` samples between `from` and `to` starts (the first one on a tie). */
function quietestFrame(samples: Float32Array, from: number, to: number, frame: number): number {
  let quietest = from;
  let lowest = Infinity;
  for (let start = from; start + frame <= to; start += frame) {
    let energy = 0;
    for (let j = start; j < start + frame; j++) energy += samples[j] * samples[j];
    if (energy < lowest) {
      lowest = energy;
      quietest = start;
    }
  }
  return quietest;
}

/**
 * Cuts a long recording into pieces of at most `maxSeconds`, each cut in the quietest 20 ms of the
 * last `searchSeconds` before the limit: between words, not through one. Returns sample ranges.
 */
export function splitAtPauses(
  samples: Float32Array,
  sampleRate: number,
  maxSeconds: number,
  searchSeconds = 10,
): { start: number; end: number }[] {
  const maxSamples = Math.max(1, Math.floor(maxSeconds * sampleRate));
  const search = Math.min(maxSamples - 1, Math.floor(searchSeconds * sampleRate));
  const frame = Math.max(1, Math.round(sampleRate * 0.02));
  const pieces: { start: number; end: number }[] = [];
  let start = 0;
  while (samples.length - start > maxSamples) {
    const quiet = quietestFrame(samples, start + maxSamples - search, start + maxSamples, frame);
    const cut = Math.min(start + maxSamples, Math.max(start + 1, quiet + Math.floor(frame / 2)));
    pieces.push({ start, end: cut });
    start = cut;
  }
  if (start < samples.length || pieces.length === 0) pieces.push({ start, end: samples.length });
  return pieces;
}

/** 16-bit mono PCM in a WAV container. */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), true);
  return out;
}
