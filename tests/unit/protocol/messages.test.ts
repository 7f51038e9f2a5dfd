import { describe, expect, it } from 'vitest';
import {
  CoviewError,
  MAX_STRING,
  NodeKind,
  PROTOCOL_VERSION,
  decodeAgentMessage,
  decodeEndReason,
  decodeHostDecision,
  decodeHostMessage,
  decodeJoinRequest,
  decodeSignalOut,
  encodeHostMessage,
  serializedNode,
  type FlatNode,
  type HostMessage,
  type SerializedNode,
} from '../../../widget/protocol/index.js';

function malformed(decode: () => unknown): CoviewError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(CoviewError);
    expect((error as CoviewError).code).toBe('ERR_MALFORMED_MESSAGE');
    return error as CoviewError;
  }
  throw new Error('expected the decoder to reject the message');
}

const page = { url: 'https://shop.example/cart', title: 'Cart', userAgent: 'Mozilla/5.0', language: 'en-GB' };

const tree: SerializedNode = {
  id: 1,
  type: NodeKind.Document,
  childNodes: [
    { id: 2, type: NodeKind.DocumentType, name: 'html', publicId: '', systemId: '' },
    {
      id: 3,
      type: NodeKind.Element,
      tagName: 'html',
      attributes: { lang: 'en' },
      childNodes: [
        {
          id: 4,
          type: NodeKind.Element,
          tagName: 'input',
          attributes: { type: 'checkbox', checked: true, tabindex: 0, 'data-x': null },
        },
        { id: 5, type: NodeKind.Text, textContent: 'Total: 42 €' },
        { id: 6, type: NodeKind.Element, tagName: 'svg', isSVG: true, childNodes: [] },
      ],
    },
  ],
};

/** A chain of elements `depth` levels below the root. */
function nested(depth: number): SerializedNode {
  let node: SerializedNode = { id: depth + 1, type: NodeKind.Text, textContent: 'leaf' };
  for (let i = depth; i >= 1; i--) node = { id: i, type: NodeKind.Element, tagName: 'div', childNodes: [node] };
  return node;
}

const validHostMessages: HostMessage[] = [
  { type: 'hello', v: PROTOCOL_VERSION, page },
  { type: 'snapshot', node: tree, viewport: { width: 1280, height: 800 }, scroll: { x: 0, y: 120.5 } },
  {
    type: 'mutation',
    removes: [9],
    adds: [{ parentId: 3, nextId: null, node: { id: 10, type: NodeKind.Text, textContent: 'new' } }],
    attributes: [{ id: 4, name: 'class', value: null }],
    texts: [{ id: 5, value: 'Total: 43 €' }],
  },
  { type: 'input', id: 4, value: 'hello', checked: true },
  { type: 'input', id: 4, value: '' },
  { type: 'scroll', id: 1, x: 0, y: 300 },
  { type: 'viewport', width: 375, height: 667 },
  { type: 'pointer', x: 10, y: 20 },
  { type: 'click', x: 10, y: 20 },
  { type: 'pointer', x: 10, y: 20, hover: 4 },
  { type: 'snapshot-part', nodes: [{ parentId: null, node: { id: 1, type: NodeKind.Document } }], done: false },
  { type: 'snapshot-part', nodes: [{ parentId: 1, node: { id: 3, type: NodeKind.Element, tagName: 'html', attributes: {} } }], done: true, viewport: { width: 800, height: 600 }, scroll: { x: 0, y: 0 } },
  { type: 'stylesheet', id: 7, cssText: '.a { color: red; }' },
  { type: 'sheet', sheet: 1, cssText: ':host { display: inline-block; }' },
  { type: 'adopted-sheets', id: 1, sheets: [1, 2] },
  { type: 'adopted-styles', id: 1, sheets: ['p { margin: 0; }', ''] },
  { type: 'canvas', id: 8, dataUrl: 'data:image/webp;base64,AAAA' },
  { type: 'media', id: 9, paused: false, time: 12.5, rate: 1, muted: true },
  { type: 'focus', id: 4 },
  { type: 'focus', id: null },
  { type: 'selection', ranges: [{ start: 5, startOffset: 0, end: 5, endOffset: 5 }] },
  { type: 'asset', url: 'https://shop.example/me.png', hash: 'sha256-x', mime: 'image/png', base64: 'iVBORw0KGgo=' },
  { type: 'asset-missing', url: 'https://shop.example/me.png', reason: 'HTTP 404' },
  { type: 'end', reason: 'stopped' },
];

describe('host messages', () => {
  it.each(validHostMessages.map((message) => [message.type, message] as const))('accepts a valid %s', (_type, message) => {
    expect(decodeHostMessage(message)).toEqual(message);
  });

  it('decodes every message from its encoding on the wire (snapshot parts packed) to what was sent', () => {
    for (const message of validHostMessages) expect(decodeHostMessage(JSON.parse(JSON.stringify(encodeHostMessage(message))))).toEqual(message);
  });

  it('packs a snapshot part’s nodes: ids that follow on and parents as steps back, exactly recovered', () => {
    const nodes: FlatNode[] = [
      { parentId: null, node: { id: 1, type: NodeKind.Document } },
      { parentId: 1, node: { id: 2, type: NodeKind.Element, tagName: 'html', attributes: { lang: 'en' } } },
      { parentId: 2, node: { id: 3, type: NodeKind.Element, tagName: 'body', attributes: {} } },
      { parentId: 3, node: { id: 4, type: NodeKind.Text, textContent: 'a' } },
      // A jump (a node numbered earlier, met again): its id is given.
      { parentId: 3, node: { id: 90, type: NodeKind.Text, textContent: 'b' } },
      { parentId: 2, node: { id: 91, type: NodeKind.Comment, textContent: 'c' } },
    ];
    const wire = encodeHostMessage({ type: 'snapshot-part', nodes, done: true, viewport: { width: 1, height: 1 }, scroll: { x: 0, y: 0 } });
    expect(wire).toMatchObject({ packed: [[null, { type: NodeKind.Document }, 1], [1, expect.anything()], [1, expect.anything()], [1, expect.anything()], [87, expect.anything(), 90], [89, expect.anything()]] });
    expect(JSON.stringify(wire)).not.toContain('"id"');
    expect(decodeHostMessage(wire)).toEqual({ type: 'snapshot-part', nodes, done: true, viewport: { width: 1, height: 1 }, scroll: { x: 0, y: 0 } });
    // A later part starts with its own id, so each part reads on its own.
    const later = encodeHostMessage({ type: 'snapshot-part', nodes: [{ parentId: 3, node: { id: 92, type: NodeKind.Text, textContent: 'd' } }], done: false });
    expect(later).toMatchObject({ packed: [[89, { type: NodeKind.Text, textContent: 'd' }, 92]] });
  });

  it.each([
    ['a packed node that is not an array', { type: 'snapshot-part', packed: [{ id: 1, type: 0 }], done: false }],
    ['a first node without its id', { type: 'snapshot-part', packed: [[null, { type: 0 }]], done: false }],
    ['a packed node with a fractional step', { type: 'snapshot-part', packed: [[0.5, { type: 3, textContent: 'x' }, 2]], done: false }],
    ['a packed node with too many items', { type: 'snapshot-part', packed: [[null, { type: 0 }, 1, 2]], done: false }],
    ['a packed node that is not a node', { type: 'snapshot-part', packed: [[null, { type: 9 }, 1]], done: false }],
    ['a part with neither nodes nor packed', { type: 'snapshot-part', done: false }],
  ])('rejects %s', (_what, input) => {
    malformed(() => decodeHostMessage(input));
  });

  it('drops fields the protocol does not know', () => {
    expect(decodeHostMessage({ type: 'pointer', x: 1, y: 2, secret: 'leak' })).toEqual({ type: 'pointer', x: 1, y: 2 });
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'hello'],
    ['an array', [{ type: 'end', reason: 'stopped' }]],
    ['no type', { x: 1, y: 2 }],
    ['a numeric type', { type: 7 }],
  ])('rejects %s', (_what, input) => {
    malformed(() => decodeHostMessage(input));
  });

  it.each([['launch-missiles'], ['toString'], ['constructor'], ['__proto__'], ['hasOwnProperty']])('rejects the unknown message type %j', (type) => {
    const error = malformed(() => decodeHostMessage({ type }));
    expect(error.message).toContain('type');
  });

  it.each([
    ['a missing field', { type: 'pointer', x: 1 }],
    ['a string where a number belongs', { type: 'click', x: '10', y: 20 }],
    ['an infinite coordinate', { type: 'scroll', id: 1, x: Infinity, y: 0 }],
    ['NaN', { type: 'viewport', width: NaN, height: 1 }],
    ['a fractional node id', { type: 'input', id: 1.5, value: 'x' }],
    ['a non-boolean checked', { type: 'input', id: 1, value: 'x', checked: 'yes' }],
    ['an unknown end reason', { type: 'end', reason: 'crashed' }],
    ['an old-style hello without page', { type: 'hello', v: 1 }],
    ['removes that are not an array', { type: 'mutation', removes: 3, adds: [], attributes: [], texts: [] }],
    ['an attribute change with a numeric value', { type: 'mutation', removes: [], adds: [], attributes: [{ id: 1, name: 'a', value: 2 }], texts: [] }],
    ['an added node without a parent', { type: 'mutation', removes: [], adds: [{ nextId: null, node: { id: 1, type: 3 } }], attributes: [], texts: [] }],
  ])('rejects %s', (_what, input) => {
    malformed(() => decodeHostMessage(input));
  });

  it('names the bad field so a bug report says where to look', () => {
    const error = malformed(() => decodeHostMessage({ type: 'hello', v: 1, page: { ...page, title: 5 } }));
    expect(error.message).toContain('page.title');
  });

  it.each([
    ['a page title', { type: 'hello', v: 1, page: { ...page, title: 'x'.repeat(1_001) } }],
    ['a page url', { type: 'hello', v: 1, page: { ...page, url: `https://a.example/${'x'.repeat(8_192)}` } }],
    ['an input value', { type: 'input', id: 1, value: 'x'.repeat(MAX_STRING + 1) }],
    ['a tag name', { type: 'snapshot', node: { id: 1, type: 2, tagName: 'x'.repeat(1_001) }, viewport: { width: 1, height: 1 }, scroll: { x: 0, y: 0 } }],
  ])('rejects an oversize string in %s', (_where, input) => {
    malformed(() => decodeHostMessage(input));
  });
});

describe('serialized nodes', () => {
  it('accepts a real document tree', () => {
    expect(serializedNode(tree)).toEqual(tree);
  });

  it('accepts deep but reasonable nesting', () => {
    expect(serializedNode(nested(1_000)).id).toBe(1);
  });

  it('rejects nodes nested deeper than the limit instead of overflowing the stack', () => {
    const error = malformed(() => serializedNode(nested(2_100)));
    expect(error.message).toContain('nested deeper');
  });

  it.each([
    ['an object', { style: { color: 'red' } }],
    ['an array', { class: ['a', 'b'] }],
    ['undefined', { title: undefined }],
  ])('rejects an attribute whose value is %s', (_what, attributes) => {
    const error = malformed(() => serializedNode({ id: 1, type: NodeKind.Element, tagName: 'div', attributes }));
    expect(error.message).toContain('attributes');
  });

  it.each([
    ['an element without a tag name', { id: 1, type: NodeKind.Element }],
    ['an unknown node type', { id: 1, type: 9 }],
    ['a string id', { id: '1', type: NodeKind.Text }],
    ['attributes that are a string', { id: 1, type: NodeKind.Element, tagName: 'a', attributes: 'href=x' }],
    ['children that are not an array', { id: 1, type: NodeKind.Element, tagName: 'a', childNodes: { 0: { id: 2, type: 3 } } }],
    ['a malformed grandchild', { id: 1, type: NodeKind.Element, tagName: 'a', childNodes: [{ id: 2, type: 2, tagName: 'b', childNodes: [null] }] }],
  ])('rejects %s', (_what, input) => {
    malformed(() => serializedNode(input));
  });
});

describe('agent messages', () => {
  it('accepts resync and asset requests, and refuses unknown resync reasons', () => {
    expect(decodeAgentMessage({ type: 'resync', reason: 'gap' })).toEqual({ type: 'resync', reason: 'gap' });
    expect(decodeAgentMessage({ type: 'asset-request', url: 'https://x.example/a.png' })).toEqual({ type: 'asset-request', url: 'https://x.example/a.png' });
    malformed(() => decodeAgentMessage({ type: 'resync', reason: 'because' }));
    malformed(() => decodeAgentMessage({ type: 'asset-request', url: 'x'.repeat(10_000) }));
  });

  it('accepts hello and bye', () => {
    expect(decodeAgentMessage({ type: 'hello', v: PROTOCOL_VERSION, name: 'Ana' })).toEqual({ type: 'hello', v: PROTOCOL_VERSION, name: 'Ana' });
    expect(decodeAgentMessage({ type: 'bye' })).toEqual({ type: 'bye' });
  });

  it.each([
    ['a host-only message type', { type: 'snapshot' }],
    ['a name that is too long', { type: 'hello', v: 1, name: 'x'.repeat(101) }],
    ['a missing version', { type: 'hello', name: 'Ana' }],
    ['a numeric name', { type: 'hello', v: 1, name: 7 }],
  ])('rejects %s', (_what, input) => {
    malformed(() => decodeAgentMessage(input));
  });
});

describe('signaling payloads', () => {
  it('decode a join request, a decision and a signal', () => {
    const room = 'k7Q-m2X_9fD'.padEnd(43, 'x');
    expect(decodeJoinRequest({ room, name: 'Ana' })).toEqual({ room, name: 'Ana' });
    // The server is never handed a share code.
    expect(() => decodeJoinRequest({ room: '482 913 227', name: 'Ana' })).toThrow(/room id/);
    expect(decodeHostDecision({ agentId: 'abc', allow: false })).toEqual({ agentId: 'abc', allow: false });
    expect(decodeSignalOut({ to: 'abc', data: { type: 'offer', sdp: 'v=0' } })).toEqual({ to: 'abc', data: { type: 'offer', sdp: 'v=0' } });
    expect(decodeEndReason('expired')).toBe('expired');
  });

  it('pass signal data through without reading it', () => {
    const data = { anything: [1, { nested: true }] };
    expect(decodeSignalOut({ data }).data).toBe(data);
  });

  it.each([
    ['a join request that is a string', () => decodeJoinRequest('482913227')],
    ['a join request with a numeric code', () => decodeJoinRequest({ code: 482913227, name: 'Ana' })],
    ['a join request with a huge code', () => decodeJoinRequest({ code: '1'.repeat(65), name: 'Ana' })],
    ['a join request without a name', () => decodeJoinRequest({ code: '482913227' })],
    ['a decision with allow as a string', () => decodeHostDecision({ agentId: 'abc', allow: 'true' })],
    ['a decision that is null', () => decodeHostDecision(null)],
    ['a signal addressed to a number', () => decodeSignalOut({ to: 5, data: {} })],
    ['a signal that is an array', () => decodeSignalOut([{ data: {} }])],
    ['an unknown end reason', () => decodeEndReason('bored')],
  ])('reject %s', (_what, decode) => {
    malformed(decode);
  });
});
