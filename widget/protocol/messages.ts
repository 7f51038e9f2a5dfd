import { array, bool, fail, int, isRecord, lazy, literal, nullable, num, object, optional, str, tagged, type Decoder } from './decode.js';
import type { Digest } from './digest.js';
import { CoviewError } from './errors.js';

/**
 * The data-channel contract between the customer's page (host) and the support agent's join page.
 * Content only ever travels here, peer to peer; the signaling server never sees it.
 */
export const PROTOCOL_VERSION = 4;
/**
 * What the join page still reads: widgets and recordings of these versions. v2 only added
 * messages (`sheet`, `adopted-sheets`); v1's `adopted-styles` is still read. v3 sends a snapshot's
 * parts in one deflate stream (channel.ts's STREAM frames), which a v2 page cannot read: its
 * hello (never in a stream) tells such a page to ask the agent to reload. v4's widget reads no
 * compressed frame (it carries no inflate), so a v3 join page, which compresses its larger
 * messages, is told to reload the same way.
 */
export const READABLE_PROTOCOL_VERSIONS: readonly number[] = [1, 2, 3, 4];

/**
 * What the host puts on the wire in place of a secret, in URLs and text. A file URL that carries
 * it cannot be loaded by the agent's browser: the agent asks for it over the asset channel.
 */
export const REDACTED = '[redacted]';

/** rrweb-snapshot node types (kept here so the protocol has no dependencies). */
export const NodeKind = { Document: 0, DocumentType: 1, Element: 2, Text: 3, CDATA: 4, Comment: 5 } as const;

export type AttributeValue = string | number | boolean | null;

/** A DOM node as rrweb-snapshot serializes it, with the id both sides use to name it. */
export interface SerializedNode {
  id: number;
  type: (typeof NodeKind)[keyof typeof NodeKind];
  childNodes?: SerializedNode[];
  tagName?: string;
  attributes?: Record<string, AttributeValue>;
  textContent?: string;
  isSVG?: boolean;
  isCustom?: boolean;
  isStyle?: boolean;
  isShadow?: boolean;
  isShadowHost?: boolean;
  rootId?: number;
  compatMode?: string;
  /** A doctype's name and ids; on a document node, its doctype's (the agent writes it to get the same mode). */
  name?: string;
  publicId?: string;
  systemId?: string;
}

export interface Size { width: number; height: number }
export interface Point { x: number; y: number }

export interface PageInfo {
  url: string;
  title: string;
  userAgent: string;
  language: string;
  /** Optional: older widgets do not send these (the agent shows what it has). */
  platform?: string;
  timeZone?: string;
  viewport?: Size;
}

/** What the host page's console said: its own errors and warnings, uncaught errors, unhandled rejections. */
export type ConsoleLevel = 'error' | 'warn' | 'uncaught' | 'rejection';

/**
 * One finished network request of the host page. `kind` is `fetch`, `xhr`, or a resource timing's
 * initiator (`img`, `script`, `link`, `css`, …); the URL's query values are redacted on the host.
 */
export interface NetworkEntry {
  kind: string;
  method: string;
  url: string;
  /** HTTP status; null when unknown (opaque or failed request, resource timing without it). */
  status: number | null;
  durationMs: number;
  /** Bytes of the response body; null when unknown. */
  size: number | null;
  /** Why it failed (network error, abort), when it did. */
  error?: string;
}

export interface AddedNode { parentId: number; nextId: number | null; node: SerializedNode }
export interface AttributeChange { id: number; name: string; value: string | null }
export interface TextChange { id: number; value: string }

/** One node of a snapshot sent in parts: shallow (no childNodes), named with its parent; null for the document. */
export interface FlatNode { parentId: number | null; node: SerializedNode }
/**
 * A FlatNode as a snapshot part carries it (protocol v4): `[id − parentId (null for the document),
 * the node without its id, its id]`, the id left out when it is the previous node's + 1. A snapshot
 * walks the page in order and numbers nodes as it goes, so ids nearly always follow on and parents
 * are near: spelled out (`{"parentId":8123,"node":{"id":8124,…}}`), those two numbers were a third
 * of the snapshot's gzip (docs 30k: 259 KB, packed 71 KB, against 172 KB for rrweb's nested JSON).
 */
export type PackedNode = [parentStep: number | null, node: Omit<SerializedNode, 'id'>, id?: number];
export interface SelectionRange { start: number; startOffset: number; end: number; endOffset: number }
/** Remote control as the customer's widget has it: off, asked (the customer is deciding), or on. */
export type ControlState = 'off' | 'asking' | 'on';
/** Why the customer's page refused a control action. */
export type ControlRefusal = 'not-granted' | 'private' | 'not-found';

/**
 * What the agent asks the customer's page to do once control is granted. Elements are named by
 * node id (the agent's view and the customer's page share them), so a click lands on the same
 * element even when the two viewports differ; `x`/`y` are where in that element's box, 0…1.
 */
export type ControlAction =
  /** `count` 2 is the second press of a double click (the first came as 1), like `MouseEvent.detail`. */
  | { type: 'click'; id: number; x: number; y: number; count: 1 | 2 }
  /** A key (`KeyboardEvent.key`: a character, or Enter, Tab, Backspace, Arrow…) for the focused element. */
  | { type: 'key'; key: string; shift: boolean }
  /** Text typed at once (paste). */
  | { type: 'text'; text: string }
  | { type: 'select'; id: number; value: string }
  | { type: 'scroll'; id: number; dx: number; dy: number };

/**
 * A big page is serialized in slices so the customer's page never freezes; each slice travels
 * as one part, in document order, and the last one (`done`) carries the viewport and scroll, and
 * `hover`: the element under the customer's pointer, so :hover styles show from the first frame.
 */
export interface SnapshotPart { type: 'snapshot-part'; nodes: FlatNode[]; done: boolean; viewport?: Size; scroll?: Point; hover?: number }

/** How a snapshot part goes on the wire: its nodes packed (see PackedNode). */
export type WireSnapshotPart = Omit<SnapshotPart, 'nodes'> & { packed: PackedNode[] };

/** What the customer's side puts on the wire: a HostMessage, with snapshot parts packed (encodeHostMessage). */
export type HostWireMessage = Exclude<HostMessage, SnapshotPart> | WireSnapshotPart;

/** The one encoding step between a HostMessage and the channel (decodeHostMessage undoes it). */
export function encodeHostMessage(message: HostMessage): HostWireMessage {
  if (message.type !== 'snapshot-part') return message;
  const { nodes, ...rest } = message;
  let previous: number | null = null;
  const packed = nodes.map(({ parentId, node }): PackedNode => {
    const { id, ...fields } = node;
    const item: PackedNode = [parentId === null ? null : id - parentId, fields];
    if (previous === null || id !== previous + 1) item.push(id);
    previous = id;
    return item;
  });
  return { ...rest, packed };
}

export type HostMessage =
  | { type: 'hello'; v: number; page: PageInfo }
  /** A whole page at once. The agent also builds one of these from a run of `snapshot-part`s. */
  | { type: 'snapshot'; node: SerializedNode; viewport: Size; scroll: Point; hover?: number }
  /** A page in slices (see SnapshotPart). */
  | SnapshotPart
  /**
   * The structure of everything sent so far (see digest.ts), sent when the page is quiet: the
   * agent compares it with its view and resyncs when they differ.
   */
  | ({ type: 'digest' } & Digest)
  | { type: 'mutation'; removes: number[]; adds: AddedNode[]; attributes: AttributeChange[]; texts: TextChange[] }
  | { type: 'input'; id: number; value: string; checked?: boolean }
  | { type: 'scroll'; id: number; x: number; y: number }
  | { type: 'viewport'; width: number; height: number }
  /** `hover`: the element under the pointer, so the agent can show its :hover style. */
  | { type: 'pointer'; x: number; y: number; hover?: number }
  | { type: 'click'; x: number; y: number }
  /** A stylesheet's full text after a CSSOM change (insertRule, deleteRule, a late-loading <link>). */
  | { type: 'stylesheet'; id: number; cssText: string }
  /**
   * A constructed sheet's full text, numbered (`sheet`) within one capture: sent before the first
   * `adopted-sheets` that names it, and again when the page edits it. Web components adopt one
   * sheet in hundreds of shadow roots; its text travels once, not once per root.
   */
  | { type: 'sheet'; sheet: number; cssText: string }
  /** The constructed sheets adopted by a document or a shadow host (`id`), in order, by number. */
  | { type: 'adopted-sheets'; id: number; sheets: number[] }
  /** The same with each sheet's text inline: what the 0.1.0 widget sent, still read in its recordings. */
  | { type: 'adopted-styles'; id: number; sheets: string[] }
  /** A canvas's current picture, sent throttled while it changes. */
  | { type: 'canvas'; id: number; dataUrl: string }
  | { type: 'media'; id: number; paused: boolean; time: number; rate: number; muted: boolean }
  | { type: 'focus'; id: number | null }
  | { type: 'selection'; ranges: SelectionRange[] }
  /** A file the agent could not load itself (behind the customer's login, on their network). */
  | { type: 'asset'; url: string; hash: string; mime: string; base64: string }
  | { type: 'asset-missing'; url: string; reason: string }
  | { type: 'console'; level: ConsoleLevel; text: string; stack?: string }
  | ({ type: 'network' } & NetworkEntry)
  /**
   * `navigating`: the customer follows a link on the same site and the widget will be back on the
   * next page; `unloaded`: the page went away (closed, or reloaded) and may come back; `left-site`:
   * the customer went to another site, sharing is over.
   */
  | { type: 'end'; reason: EndOfPage }
  | { type: 'control'; state: ControlState }
  | { type: 'control-refused'; action: ControlAction['type']; reason: ControlRefusal }
  /** Another agent (`by`, their name) asks for or has control: one agent controls at a time. */
  | { type: 'control-busy'; by: string; state: 'asking' | 'on' };

export type AgentMessage =
  | { type: 'hello'; v: number; name: string }
  /** Asks for a fresh full snapshot: on the agent's request, after a lost message, or when the view diverged. */
  | { type: 'resync'; reason: ResyncReason }
  /** A page resource the agent's browser failed to load; the customer's browser fetches it. */
  | { type: 'asset-request'; url: string }
  | { type: 'bye' }
  /** The agent's pointer in page (document) coordinates, so it stays on the same content when scrolled. */
  | { type: 'pointer'; x: number; y: number; visible: boolean }
  /** A "look here" ripple at a page point. */
  | { type: 'laser'; x: number; y: number }
  /** Points appended to freehand stroke `stroke`, in page coordinates; strokes fade on their own. */
  | { type: 'draw'; stroke: number; points: Point[] }
  | { type: 'control-request' }
  | { type: 'control-release' }
  | { type: 'act'; action: ControlAction }
  /** The join page is unloading (closed or reloaded): the agent may be back in a moment. */
  | { type: 'away' };

export type ResyncReason = 'requested' | 'gap' | 'diverged';

export type EndOfPage = 'stopped' | 'unloaded' | 'navigating' | 'left-site';

const MAX_DEPTH = 2_000;
const SHORT = 1_000;
/** Console text and stacks are capped on the host well below this. */
export const CONSOLE_TEXT = 8_192;

function decodeAttributes(input: unknown, path: string): Record<string, AttributeValue> {
  if (!isRecord(input)) throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: ${path} should be an object.`);
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: ${path}.${key.slice(0, 40)} should be a string, number, boolean or null.`);
    }
    out[key] = value as AttributeValue;
  }
  return out;
}

const nodeFields = /* @__PURE__ */ lazy(() => object<Omit<SerializedNode, 'childNodes' | 'attributes'>>({
  id: int,
  type: literal(0, 1, 2, 3, 4, 5),
  tagName: optional(str(SHORT)),
  textContent: optional(str()),
  isSVG: optional(bool),
  isCustom: optional(bool),
  isStyle: optional(bool),
  isShadow: optional(bool),
  isShadowHost: optional(bool),
  rootId: optional(int),
  compatMode: optional(str(SHORT)),
  name: optional(str(SHORT)),
  publicId: optional(str(SHORT)),
  systemId: optional(str(SHORT)),
}));

/** Recursive, depth-limited (a hostile peer cannot blow the agent's stack). */
export const serializedNode: Decoder<SerializedNode> = (input, path = 'node') => decodeNode(input, path, 0);

function decodeNode(input: unknown, path: string, depth: number): SerializedNode {
  if (depth > MAX_DEPTH) throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: ${path.slice(0, 60)}… is nested deeper than ${MAX_DEPTH}.`);
  const node: SerializedNode = nodeFields(input, path);
  const raw = input as Record<string, unknown>;
  if (node.type === NodeKind.Element && typeof node.tagName !== 'string') {
    throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: ${path}.tagName should be a string.`);
  }
  if (raw.attributes !== undefined) node.attributes = decodeAttributes(raw.attributes, `${path}.attributes`);
  if (raw.childNodes !== undefined) {
    if (!Array.isArray(raw.childNodes)) throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: ${path}.childNodes should be an array.`);
    node.childNodes = raw.childNodes.map((child, i) => decodeNode(child, `${path}.childNodes[${i}]`, depth + 1));
  }
  return node;
}

const size = { width: num, height: num };
const point = { x: num, y: num };

const snapshotPartFields = /* @__PURE__ */ lazy(() => object<Omit<SnapshotPart, 'nodes'> & { packed?: unknown[]; nodes?: FlatNode[] }>({
  type: literal('snapshot-part'),
  packed: optional(array((item) => item)),
  nodes: optional(array(object<FlatNode>({ parentId: nullable(int), node: serializedNode }))),
  done: bool,
  viewport: optional(object<Size>(size)),
  scroll: optional(object<Point>(point)),
  hover: optional(int),
}));

/** PackedNodes back to FlatNodes, each node checked as any other (encodeHostMessage packs them). */
function unpackNodes(packed: unknown[], path: string): FlatNode[] {
  let previous: number | null = null;
  return packed.map((item, i) => {
    const at = `${path}[${i}]`;
    if (!Array.isArray(item) || item.length < 2 || item.length > 3 || !isRecord(item[1])) fail(at, '[parent step, node, id?]');
    const step = nullable(int)(item[0], `${at}[0]`);
    const id = item.length === 3 ? int(item[2], `${at}[2]`) : previous === null ? fail(`${at}[2]`, 'the id of the part\'s first node') : previous + 1;
    previous = id;
    return { parentId: step === null ? null : id - step, node: serializedNode({ ...item[1], id }, `${at}[1]`) };
  });
}

export const decodeHostMessage: Decoder<HostMessage> = /* @__PURE__ */ lazy(() => tagged<HostMessage>({
  hello: object({
    type: literal('hello'),
    v: int,
    page: object<PageInfo>({
      url: str(8_192),
      title: str(SHORT),
      userAgent: str(SHORT),
      language: str(100),
      platform: optional(str(100)),
      timeZone: optional(str(100)),
      viewport: optional(object<Size>(size)),
    }),
  }),
  snapshot: object({ type: literal('snapshot'), node: serializedNode, viewport: object<Size>(size), scroll: object<Point>(point), hover: optional(int) }),
  'snapshot-part': (input, path = '') => {
    const { packed, nodes, ...part } = snapshotPartFields(input, path);
    // v4 widgets pack the nodes; earlier widgets and recordings (which keep decoded messages) spell them out.
    return { ...part, nodes: packed ? unpackNodes(packed, `${path}.packed`) : (nodes ?? fail(`${path}.nodes`, 'an array')) };
  },
  digest: object({ type: literal('digest'), count: int, hash: int }),
  mutation: object({
    type: literal('mutation'),
    removes: array(int),
    adds: array(object<AddedNode>({ parentId: int, nextId: nullable(int), node: serializedNode })),
    attributes: array(object<AttributeChange>({ id: int, name: str(SHORT), value: nullable(str()) })),
    texts: array(object<TextChange>({ id: int, value: str() })),
  }),
  input: object({ type: literal('input'), id: int, value: str(), checked: optional(bool) }),
  scroll: object({ type: literal('scroll'), id: int, ...point }),
  viewport: object({ type: literal('viewport'), ...size }),
  pointer: object({ type: literal('pointer'), ...point, hover: optional(int) }),
  click: object({ type: literal('click'), ...point }),
  stylesheet: object({ type: literal('stylesheet'), id: int, cssText: str() }),
  sheet: object({ type: literal('sheet'), sheet: int, cssText: str() }),
  'adopted-sheets': object({ type: literal('adopted-sheets'), id: int, sheets: array(int, 1_000) }),
  'adopted-styles': object({ type: literal('adopted-styles'), id: int, sheets: array(str(), 1_000) }),
  canvas: object({ type: literal('canvas'), id: int, dataUrl: str() }),
  media: object({ type: literal('media'), id: int, paused: bool, time: num, rate: num, muted: bool }),
  focus: object({ type: literal('focus'), id: nullable(int) }),
  selection: object({ type: literal('selection'), ranges: array(object<SelectionRange>({ start: int, startOffset: int, end: int, endOffset: int }), 100) }),
  asset: object({ type: literal('asset'), url: str(8_192), hash: str(SHORT), mime: str(SHORT), base64: str() }),
  'asset-missing': object({ type: literal('asset-missing'), url: str(8_192), reason: str(SHORT) }),
  console: object({
    type: literal('console'),
    level: literal('error', 'warn', 'uncaught', 'rejection'),
    text: str(CONSOLE_TEXT),
    stack: optional(str(CONSOLE_TEXT)),
  }),
  network: object({
    type: literal('network'),
    kind: str(40),
    method: str(20),
    url: str(8_192),
    status: nullable(int),
    durationMs: num,
    size: nullable(num),
    error: optional(str(SHORT)),
  }),
  end: object({ type: literal('end'), reason: literal('stopped', 'unloaded', 'navigating', 'left-site') }),
  control: object({ type: literal('control'), state: literal('off', 'asking', 'on') }),
  'control-refused': object({
    type: literal('control-refused'),
    action: literal('click', 'key', 'text', 'select', 'scroll'),
    reason: literal('not-granted', 'private', 'not-found'),
  }),
  'control-busy': object({ type: literal('control-busy'), by: str(100), state: literal('asking', 'on') }),
}));

export const decodeControlAction: Decoder<ControlAction> = tagged<ControlAction>({
  click: object({ type: literal('click'), id: int, ...point, count: literal(1, 2) }),
  key: object({ type: literal('key'), key: str(32), shift: bool }),
  text: object({ type: literal('text'), text: str(10_000) }),
  select: object({ type: literal('select'), id: int, value: str(10_000) }),
  scroll: object({ type: literal('scroll'), id: int, dx: num, dy: num }),
});

export const decodeAgentMessage: Decoder<AgentMessage> = /* @__PURE__ */ lazy(() => tagged<AgentMessage>({
  hello: object({ type: literal('hello'), v: int, name: str(100) }),
  resync: object({ type: literal('resync'), reason: literal('requested', 'gap', 'diverged') }),
  'asset-request': object({ type: literal('asset-request'), url: str(8_192) }),
  bye: object({ type: literal('bye') }),
  pointer: object({ type: literal('pointer'), ...point, visible: bool }),
  laser: object({ type: literal('laser'), ...point }),
  draw: object({ type: literal('draw'), stroke: int, points: array(object<Point>(point), 1_000) }),
  'control-request': object({ type: literal('control-request') }),
  'control-release': object({ type: literal('control-release') }),
  act: object({ type: literal('act'), action: decodeControlAction }),
  away: object({ type: literal('away') }),
}));
