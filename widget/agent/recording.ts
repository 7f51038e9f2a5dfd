import { CoviewError, decodeHostMessage, isRecord, PROTOCOL_VERSION, READABLE_PROTOCOL_VERSIONS, type SerializedNode } from '../protocol/index.js';
import type { TimelineEntry } from './timeline.js';

/**
 * A session saved as one file for a support ticket: gzip-compressed JSON holding every timeline
 * entry and the page's images inlined as data: URLs, so it opens later without the customer's
 * site. Opening a file runs every message through the same decoders as the live data channel.
 */
export const RECORDING_FORMAT = 'coview-recording';
export const RECORDING_VERSION = 1;
export const RECORDING_EXTENSION = '.coview';
/** An opened file may not inflate beyond this (a zip bomb stops here, not in the tab's memory). */
export const MAX_RECORDING_BYTES = 512 * 1024 * 1024;
const MAX_ASSET_BYTES = 2 * 1024 * 1024;
const MAX_ASSETS_BYTES = 32 * 1024 * 1024;

export interface Recording {
  entries: TimelineEntry[];
  /** Asset URL → data: URL. */
  assets: Record<string, string>;
}

export async function encodeRecording(recording: Recording): Promise<Blob> {
  const json = JSON.stringify({ format: RECORDING_FORMAT, version: RECORDING_VERSION, protocol: PROTOCOL_VERSION, exportedAt: new Date().toISOString(), ...recording });
  const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream, { headers: { 'content-type': 'application/gzip' } }).blob();
}

/** Reads a file made by encodeRecording; anything else is a CoviewError ERR_BAD_RECORDING saying what is wrong. */
export async function decodeRecording(file: Blob, { maxBytes = MAX_RECORDING_BYTES } = {}): Promise<Recording> {
  const text = await inflate(file, maxBytes);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw bad('its content is not readable', cause);
  }
  if (!isRecord(data) || data.format !== RECORDING_FORMAT) throw bad('it is not a Coview recording');
  if (data.version !== RECORDING_VERSION) throw bad(`it was saved in format version ${String(data.version).slice(0, 20)}; this page reads version ${RECORDING_VERSION}`);
  if (typeof data.protocol !== 'number' || !READABLE_PROTOCOL_VERSIONS.includes(data.protocol)) throw bad(`it was recorded with protocol v${String(data.protocol).slice(0, 20)}; this page speaks v${PROTOCOL_VERSION}`);
  if (!Array.isArray(data.entries)) throw bad('it has no events');
  const entries: TimelineEntry[] = [];
  let last = -Infinity;
  for (const [i, raw] of data.entries.entries()) {
    if (!isRecord(raw) || typeof raw.t !== 'number' || !Number.isFinite(raw.t) || raw.t < last) throw bad(`event ${i} has no valid time`);
    last = raw.t;
    try {
      entries.push({ t: raw.t, message: decodeHostMessage(raw.message, `entries[${i}].message`) });
    } catch (cause) {
      throw bad(cause instanceof Error ? cause.message.replace(/^Malformed message: /, '') : `event ${i} is malformed`, cause);
    }
  }
  if (!entries.some((entry) => entry.message.type === 'snapshot')) throw bad('it holds no picture of the page');
  const assets: Record<string, string> = {};
  if (data.assets !== undefined) {
    if (!isRecord(data.assets)) throw bad('its assets are malformed');
    for (const [url, value] of Object.entries(data.assets)) {
      if (typeof value !== 'string' || !value.startsWith('data:')) throw bad(`the asset ${url.slice(0, 80)} is not a data: URL`);
      assets[url] = value;
    }
  }
  return { entries, assets };
}

async function inflate(file: Blob, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = file.stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw bad(`it inflates to more than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof CoviewError) throw cause;
    throw bad('it is not a compressed recording', cause);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  } catch (cause) {
    throw bad('its content is not text', cause);
  }
}

const REFUSED = "This file can't be opened as a Coview recording: ";

function bad(why: string, cause?: unknown): CoviewError {
  return new CoviewError('ERR_BAD_RECORDING', `${REFUSED}${why}.`, { cause });
}

/** What exactly is wrong with a refused file ("entries[0]…: tagName …"), for a bug report: the decoder's words, not a sentence to translate. */
export function recordingProblem(error: CoviewError): string | null {
  return error.code === 'ERR_BAD_RECORDING' && error.message.startsWith(REFUSED) ? error.message.slice(REFUSED.length).replace(/\.$/, '') : null;
}

// ---- Assets: the pictures the page shows, so a recording opens without the customer's site.

/** Where a rebuilt page loads pictures from: img/source/input src, video poster, CSS url(). */
export function assetUrls(entries: TimelineEntry[]): string[] {
  const urls = new Set<string>();
  forEachNode(entries, (node) => {
    const attrs = node.attributes;
    if (!attrs) return;
    for (const [name, value] of Object.entries(attrs)) {
      if (typeof value !== 'string') continue;
      if ((name === 'src' || name === 'poster') && isHttp(value)) urls.add(value);
      if (name === '_cssText' || name === 'style') for (const url of cssUrls(value)) urls.add(url);
    }
  });
  return [...urls];
}

/** Entries with asset URLs replaced by their data: URLs (new objects; the originals stay as they are). */
export function withAssets(entries: TimelineEntry[], assets: Record<string, string>): TimelineEntry[] {
  if (Object.keys(assets).length === 0) return entries;
  const swap = (value: string) => (Object.hasOwn(assets, value) ? assets[value]! : value);
  const swapCss = (css: string) => css.replace(CSS_URL, (whole, quote: string, url: string) => (Object.hasOwn(assets, url) ? `url(${quote}${assets[url]}${quote})` : whole));
  const mapNode = (node: SerializedNode): SerializedNode => {
    const out: SerializedNode = { ...node };
    if (node.attributes) {
      out.attributes = { ...node.attributes };
      for (const [name, value] of Object.entries(node.attributes)) {
        if (typeof value !== 'string') continue;
        if (name === 'src' || name === 'poster') out.attributes[name] = swap(value);
        if (name === '_cssText' || name === 'style') out.attributes[name] = swapCss(value);
      }
    }
    if (node.childNodes) out.childNodes = node.childNodes.map(mapNode);
    return out;
  };
  return entries.map(({ t, message }) => {
    if (message.type === 'snapshot') return { t, message: { ...message, node: mapNode(message.node) } };
    if (message.type === 'mutation') return { t, message: { ...message, adds: message.adds.map((add) => ({ ...add, node: mapNode(add.node) })) } };
    return { t, message };
  });
}

/**
 * Fetches each asset the agent's browser may read (same origin or CORS) as a data: URL; the
 * others stay links. Small pictures only: a recording is for a ticket, not an archive.
 */
export async function fetchAssets(urls: string[], fetcher: typeof fetch = fetch): Promise<Record<string, string>> {
  const assets: Record<string, string> = {};
  let total = 0;
  const queue = [...urls];
  const worker = async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      try {
        const response = await fetcher(url, { mode: 'cors', credentials: 'omit', signal: AbortSignal.timeout(5_000) });
        if (!response.ok) continue;
        const blob = await response.blob();
        if (blob.size > MAX_ASSET_BYTES || total + blob.size > MAX_ASSETS_BYTES) continue;
        total += blob.size;
        assets[url] = await dataUrl(blob);
      } catch {
        // Not readable from here (CORS, offline): the recording keeps the link.
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return assets;
}

async function dataUrl(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${blob.type || 'application/octet-stream'};base64,${btoa(binary)}`;
}

const CSS_URL = /url\(\s*(['"]?)(https?:[^'")\s]+)\1\s*\)/g;

function cssUrls(css: string): string[] {
  return [...css.matchAll(CSS_URL)].map((m) => m[2]!);
}

function isHttp(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

function forEachNode(entries: TimelineEntry[], visit: (node: SerializedNode) => void): void {
  const walk = (node: SerializedNode) => {
    visit(node);
    node.childNodes?.forEach(walk);
  };
  for (const { message } of entries) {
    if (message.type === 'snapshot') walk(message.node);
    else if (message.type === 'mutation') message.adds.forEach((add) => walk(add.node));
  }
}

/** The file name a download gets: coview-2024-05-01-1432.coview */
export function recordingFileName(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `coview-${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${RECORDING_EXTENSION}`;
}
