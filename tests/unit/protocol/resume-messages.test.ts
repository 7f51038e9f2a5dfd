import { describe, expect, it } from 'vitest';
import { decodeAgentMessage, decodeAgentResume, decodeHostMessage, decodeHostResume, decodeSignalOut } from '../../../widget/protocol/index.js';

describe('messages for resuming sessions', () => {
  it('the customer says where its page went', () => {
    for (const reason of ['stopped', 'unloaded', 'navigating', 'left-site'] as const) {
      expect(decodeHostMessage({ type: 'end', reason })).toEqual({ type: 'end', reason });
    }
    expect(() => decodeHostMessage({ type: 'end', reason: 'vanished' })).toThrow(/reason/);
  });

  it('the agent says it is away (reloading) as well as bye', () => {
    expect(decodeAgentMessage({ type: 'away', extra: 1 })).toEqual({ type: 'away' });
  });

  it('signals carry the number of the peer they belong to', () => {
    expect(decodeSignalOut({ to: 'a', data: { sdp: 'x' }, peer: 3 })).toEqual({ to: 'a', data: { sdp: 'x' }, peer: 3 });
    expect(() => decodeSignalOut({ data: 1, peer: 'three' })).toThrow(/peer/);
  });

  it('resume requests are bounded, and name the room by its id, never by code', () => {
    const room = 'A'.repeat(43);
    expect(() => decodeHostResume({ code: 'K7Q-M2X-9FD', hostId: 'h', hostKey: 'k', agents: [] })).toThrow(/room/);
    expect(() => decodeHostResume({ room: 'K7Q-M2X-9FD', hostId: 'h', hostKey: 'k', agents: [] })).toThrow(/room id/);
    expect(() => decodeHostResume({ room, hostId: 'h', hostKey: 'k'.repeat(500), agents: [] })).toThrow(/hostKey/);
    expect(() => decodeHostResume({ room, hostId: 'h', hostKey: 'k', agents: Array(5).fill({ id: 'a', name: 'A' }) })).toThrow(/agents/);
    expect(() => decodeAgentResume({ room, agentId: 5, agentKey: 'k' })).toThrow(/agentId/);
  });
});
