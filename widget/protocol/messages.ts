import { array, bool, int, isRecord, literal, nullable, num, object, optional, str, tagged, type Decoder } from './decode.js';
import { CoviewError } from './errors.js';

/**
 * The data-channel contract between the customer's page (host) and the support agent's join page.
 * Content only ever travels here, peer to peer; the signaling server never sees it.
 */
export const PROTOCOL_VERSION = 1;

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
}

export interface AddedNode { parentId: number; nextId: number | null; node: SerializedNode }
export interface AttributeChange { id: number; name: string; value: string | null }
export interface TextChange { id: number; value: string }

export type HostMessage =
  | { type: 'hello'; v: number; page: PageInfo }
  | { type: 'snapshot'; node: SerializedNode; viewport: Size; scroll: Point }
  | { type: 'mutation'; removes: number[]; adds: AddedNode[]; attributes: AttributeChange[]; texts: TextChange[] }
  | { type: 'input'; id: number; value: string; checked?: boolean }
  | { type: 'scroll'; id: number; x: number; y: number }
  | { type: 'viewport'; width: number; height: number }
  | { type: 'pointer'; x: number; y: number }
  | { type: 'click'; x: number; y: number }
  /**
   * `navigating`: the customer follows a link on the same site and the widget will be back on the
   * next page; `unloaded`: the page went away (closed, or reloaded) and may come back; `left-site`:
   * the customer went to another site, sharing is over.
   */
  | { type: 'end'; reason: EndOfPage };

export type EndOfPage = 'stopped' | 'unloaded' | 'navigating' | 'left-site';

export type AgentMessage =
  | { type: 'hello'; v: number; name: string }
  | { type: 'bye' }
  /** The join page is unloading (closed or reloaded): the agent may be back in a moment. */
  | { type: 'away' };

const MAX_DEPTH = 2_000;
const SHORT = 1_000;

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

const nodeFields = object<Omit<SerializedNode, 'childNodes' | 'attributes'>>({
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
});

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

export const decodeHostMessage: Decoder<HostMessage> = tagged<HostMessage>({
  hello: object({
    type: literal('hello'),
    v: int,
    page: object<PageInfo>({ url: str(8_192), title: str(SHORT), userAgent: str(SHORT), language: str(100) }),
  }),
  snapshot: object({ type: literal('snapshot'), node: serializedNode, viewport: object<Size>(size), scroll: object<Point>(point) }),
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
  pointer: object({ type: literal('pointer'), ...point }),
  click: object({ type: literal('click'), ...point }),
  end: object({ type: literal('end'), reason: literal('stopped', 'unloaded', 'navigating', 'left-site') }),
});

export const decodeAgentMessage: Decoder<AgentMessage> = tagged<AgentMessage>({
  hello: object({ type: literal('hello'), v: int, name: str(100) }),
  bye: object({ type: literal('bye') }),
  away: object({ type: literal('away') }),
});
