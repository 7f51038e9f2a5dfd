import { describe, expect, it } from 'vitest';
import { CoviewError, decodeAgentMessage, decodeHostMessage, type AgentMessage, type HostMessage } from '../../../widget/protocol/index.js';

function rejects(decode: () => unknown, field: RegExp): void {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(CoviewError);
    expect((error as CoviewError).code).toBe('ERR_MALFORMED_MESSAGE');
    expect((error as Error).message).toMatch(field);
    return;
  }
  throw new Error('expected the decoder to reject the message');
}

describe('agent → host: pointer, drawing and control messages', () => {
  const valid: AgentMessage[] = [
    { type: 'pointer', x: 10, y: 2000.5, visible: true },
    { type: 'laser', x: 1, y: 2 },
    { type: 'draw', stroke: 3, points: [{ x: 1, y: 2 }, { x: 3, y: 4 }] },
    { type: 'control-request' },
    { type: 'control-release' },
    { type: 'act', action: { type: 'click', id: 12, x: 0.5, y: 0.25, count: 1 } },
    { type: 'act', action: { type: 'click', id: 12, x: 0, y: 1, count: 2 } },
    { type: 'act', action: { type: 'key', key: 'Enter', shift: false } },
    { type: 'act', action: { type: 'text', text: 'pasted' } },
    { type: 'act', action: { type: 'select', id: 4, value: 'express' } },
    { type: 'act', action: { type: 'scroll', id: 1, dx: 0, dy: -120 } },
  ];

  it('decode to exactly what was sent', () => {
    for (const message of valid) expect(decodeAgentMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it('drop unknown extra fields', () => {
    expect(decodeAgentMessage({ type: 'laser', x: 1, y: 2, evil: '<script>' })).toEqual({ type: 'laser', x: 1, y: 2 });
  });

  it('reject malformed ones, naming the field', () => {
    rejects(() => decodeAgentMessage({ type: 'pointer', x: 'a', y: 1, visible: true }), /x should be a finite number/);
    rejects(() => decodeAgentMessage({ type: 'draw', stroke: 1.5, points: [] }), /stroke should be an integer/);
    rejects(() => decodeAgentMessage({ type: 'draw', stroke: 1, points: Array.from({ length: 1001 }, () => ({ x: 0, y: 0 })) }), /points should be an array of at most 1000/);
    rejects(() => decodeAgentMessage({ type: 'act', action: { type: 'eval', code: 'x' } }), /action\.type should be a known message type/);
    rejects(() => decodeAgentMessage({ type: 'act', action: { type: 'click', id: 1, x: 0, y: 0, count: 3 } }), /action\.count/);
    rejects(() => decodeAgentMessage({ type: 'act', action: { type: 'key', key: 'x'.repeat(33), shift: false } }), /action\.key/);
    rejects(() => decodeAgentMessage({ type: 'act', action: { type: 'scroll', id: 1, dx: Infinity, dy: 0 } }), /action\.dx/);
    rejects(() => decodeAgentMessage({ type: 'act' }), /action should be an object/);
  });
});

describe('host → agent: control state and refusals', () => {
  it('decode', () => {
    const messages: HostMessage[] = [
      { type: 'control', state: 'asking' },
      { type: 'control', state: 'on' },
      { type: 'control-refused', action: 'click', reason: 'private' },
    ];
    for (const message of messages) expect(decodeHostMessage(message)).toEqual(message);
  });

  it('reject unknown states and reasons', () => {
    rejects(() => decodeHostMessage({ type: 'control', state: 'maybe' }), /state should be one of/);
    rejects(() => decodeHostMessage({ type: 'control-refused', action: 'click', reason: 'because' }), /reason should be one of/);
  });
});
