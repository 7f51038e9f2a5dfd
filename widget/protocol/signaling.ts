import { bool, literal, object, optional, str, type Decoder } from './decode.js';
import type { CoviewErrorCode } from './errors.js';

/**
 * Socket.IO events between the signaling server and both clients. The server relays `signal`
 * payloads (SDP and ICE candidates) without reading them, and never sees page content.
 */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type Ack<T extends object> = ({ ok: true } & T) | { ok: false; error: { code: CoviewErrorCode; message: string } };

export interface RoomCreated { code: string; expiresAt: number; iceServers: IceServer[] }
export interface JoinRequest { code: string; name: string }
export interface AgentRequest { agentId: string; name: string }
export interface HostDecision { agentId: string; allow: boolean }
export interface SignalOut { to?: string; data: unknown }
export interface SignalIn { from: string; data: unknown }
export type EndReason = 'host-stopped' | 'host-left' | 'expired';

export interface ClientToServerEvents {
  'host:create': (ack: (res: Ack<RoomCreated>) => void) => void;
  'host:decide': (decision: HostDecision) => void;
  'host:stop': () => void;
  'agent:join': (request: JoinRequest, ack: (res: Ack<{ iceServers: IceServer[] }>) => void) => void;
  'agent:leave': () => void;
  signal: (message: SignalOut) => void;
}

export interface ServerToClientEvents {
  'agent:request': (request: AgentRequest) => void;
  'agent:left': (info: { agentId: string }) => void;
  'join:accepted': () => void;
  'join:declined': () => void;
  'session:ended': (info: { reason: EndReason }) => void;
  signal: (message: SignalIn) => void;
}

/** The largest signal payload relayed; SDP offers with many candidates stay well under it. */
export const MAX_SIGNAL_BYTES = 64 * 1024;

export const decodeJoinRequest: Decoder<JoinRequest> = object<JoinRequest>({ code: str(64), name: str(100) });
export const decodeHostDecision: Decoder<HostDecision> = object<HostDecision>({ agentId: str(100), allow: bool });
export const decodeSignalOut: Decoder<SignalOut> = (input, path) => {
  const { to } = object<{ to?: string }>({ to: optional(str(100)) })(input, path);
  return { to, data: (input as { data: unknown }).data };
};
export const decodeEndReason: Decoder<EndReason> = literal('host-stopped', 'host-left', 'expired');
