import { normalizeRoomCode } from '../protocol/index.js';

type AgentStatus = 'idle' | 'connecting' | 'waiting' | 'live' | 'reconnecting' | 'ended' | 'error';

/**
 * What a code arriving on the join page (typed, or a new `/join#CODE` in the same tab) does,
 * given the session on screen: `join` it; `switch` = leave the session on screen, then join;
 * `stay` = it is the session on screen already; `ignore` = nothing to join (an empty hash, or a
 * malformed one that must not end a session in progress).
 */
export function joinAction(rawCode: string, state: { status: AgentStatus; code?: string }): 'join' | 'switch' | 'stay' | 'ignore' {
  const code = normalizeRoomCode(rawCode);
  const inSession = state.status === 'connecting' || state.status === 'waiting' || state.status === 'live' || state.status === 'reconnecting';
  if (!inSession) return rawCode.trim() ? 'join' : 'ignore';
  if (!code) return 'ignore';
  return code === state.code ? 'stay' : 'switch';
}

/**
 * Which wait the agent's clock times after a status change: `keep` the one running, stop it
 * (`null`), or start timing `waiting` (for the customer's answer) or `connecting` (after they
 * allowed). Dropping to `reconnecting` before the first frame does not restart the clock: the
 * join is still not live.
 */
export function nextWait(timing: 'waiting' | 'connecting' | null, status: AgentStatus): 'keep' | 'waiting' | 'connecting' | null {
  if (status === timing || (status === 'reconnecting' && timing !== null)) return 'keep';
  return status === 'waiting' || status === 'connecting' ? status : null;
}
