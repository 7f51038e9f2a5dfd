import { NodeIds } from '../host/node-ids.js';
import {
  CoviewError,
  decodeAgentMessage,
  deriveKeys,
  deriveRelayKeys,
  encodeHostMessage,
  fromBase64Url,
  isTamperedNotice,
  keysFromSecret,
  LEAVING_SITE_MS,
  MAX_AGENTS,
  openSignal,
  peerFailureIn,
  PROTOCOL_VERSION,
  randomRelaySalt,
  randomRoomCode,
  RelayCipher,
  relayNoticeIn,
  sealSignal,
  tamperedNotice,
  toBase64Url,
  type AgentMessage,
  type ControlState,
  type EndOfPage,
  type HandshakeKeys,
  type HandshakeSide,
  type HostMessage,
  type HostWireMessage,
  type IceConfig,
  type Transport,
} from '../protocol/index.js';
import { fetchPageAsset, pageFontUrls } from '../host/assets.js';
import { startCapture } from '../host/capture.js';
import { HostControl } from '../host/control.js';
import { startDevtoolsCapture } from '../host/devtools.js';
import { pageInfo, stopWarmingTimeZone, warmTimeZone } from '../host/page-info.js';
import { createPrivacy, maskText, redactText, type Privacy, type PrivacyOptions } from '../host/privacy.js';
import { WIDGET_EN } from '../i18n/widget-en.js';
import { ObservableState } from './observable-state.js';
import { HOST_SLOT_KEY, RESUME_WITHIN_MS, resumeSlot } from './resume-store.js';
import { FramedChannel, type StreamedSend } from '../transport/channel.js';
import { createPeer, webrtcSupported, type PeerLink } from '../transport/peer.js';
import { createRelayLink, isRelayLink } from '../transport/relay.js';
import { closeAfterLastWord, connectSignaling, onReconnect, request, type SignalingSocket } from '../transport/signaling-client.js';

/** Sent ahead of queued bulk data: the agent should see the pointer move even during a big snapshot. */
const PRIORITY_TYPES = new Set<HostMessage['type']>(['pointer', 'click', 'scroll', 'viewport']);

export interface Agent {
  id: string;
  name: string;
}

/** What the customer sees in the widget. */
export type HostState =
  | ({ status: 'idle' } & Partial<HostNotice>)
  | { status: 'starting' }
  | ({ status: 'waiting'; code: string } & Partial<HostNotice>)
  | { status: 'asking'; code: string; agent: Agent }
  | { status: 'connecting'; code: string; agent: Agent }
  | {
      status: 'sharing';
      code: string;
      /** The first agent watching (with several, `agents` lists them all). */
      agent: Agent;
      /** Everyone watching now, in the order they joined. */
      agents: Agent[];
      control?: ControlState;
      /** Who asks for or has control, when `control` is not off. */
      controlBy?: Agent;
      /** The code is open for one more agent ("Invite another agent"). */
      inviting?: boolean;
      /** Another agent asks to join: the customer decides as for the first one. */
      asking?: Agent;
      /** `relayed` when any agent watches through the server's encrypted relay (no peer connection came up), else `direct`. */
      transport?: Transport;
    }
  /** The connection to the agent dropped (network, reload on either side); a new one is on its way. */
  | { status: 'reconnecting'; code: string; agent: Agent }
  /** `errorCode`: the CoviewError's code when there is one (published as `data-coview-host-reason`). */
  | { status: 'error'; message: string; errorCode?: string };

/**
 * A line for the customer after something ended: `notice` in English (for the API and logs),
 * `noticeKey` for the widget to say it in the customer's language (`noticeName`: the agent meant).
 */
export interface HostNotice {
  notice: string;
  noticeKey: NoticeKey;
  noticeName?: string;
}
export type NoticeKey = 'noticeDeclined' | 'noticeStopped' | 'noticeResumeEnded' | 'noticeLost' | 'noticeExpired' | 'noticeLocked' | 'noticeEnded' | 'noticeLeft' | 'noticeCannotShare';

function notice(key: NoticeKey, name?: string): HostNotice {
  const english = WIDGET_EN[key].replace('{name}', name ?? '');
  return name === undefined ? { notice: english, noticeKey: key } : { notice: english, noticeKey: key, noticeName: name };
}

export interface StartOptions extends PrivacyOptions {
  /**
   * Decides join requests without showing the consent prompt (automation, kiosks, tests).
   * Return true to allow. Without it the customer is always asked.
   */
  onJoinRequest?: (agent: Agent) => boolean | Promise<boolean>;
  /** Decides the agent's request for remote control without the prompt. Return true to grant. */
  onControlRequest?: (agent: Agent) => boolean | Promise<boolean>;
  /**
   * Testing and debugging: at most this many nodes per snapshot part (parts then end anywhere,
   * right after the document node included). The default is time-based slices of 12 ms.
   */
  snapshotSliceNodes?: number;
}

/**
 * An agent's pointer, laser and drawing, for the widget's overlay (page coordinates), with who
 * made it; `clear` without an agent clears everyone's.
 */
export type AgentAnnotation = (Extract<AgentMessage, { type: 'pointer' | 'laser' | 'draw' }> | { type: 'clear' }) & { agent?: Agent };

export interface HostSessionOptions {
  serverUrl: string;
  /** The widget's own UI: never captured. */
  ignore: (node: Node) => boolean;
  /** See DevtoolsCaptureOptions.wrapFetch. */
  wrapFetch?: boolean;
  /** Privacy options from the script tag's data attributes; `start(options)` overrides them. */
  defaults?: PrivacyOptions;
}

/** What the next page in this tab needs to carry on sharing without a new code or consent. */
interface SavedHost {
  savedAt: number;
  serverUrl: string;
  code: string;
  /** The code's KDF output (see handshake.ts): the next page need not pay the KDF again. */
  secret?: string;
  hostId: string;
  hostKey: string;
  agent: Agent | null;
  /** Every agent let in (the first is `agent`), so all of them are reconnected. */
  agents?: Agent[];
  peer: number;
  /** The privacy rules `start()` was given: the next page masks exactly what this one did. */
  privacy: PrivacyOptions;
}

export { RESUME_WITHIN_MS };
/** How long an agent whose join page unloaded has to come back before they count as gone. */
const AGENT_RETURN_MS = 5_000;
const RETRY_MAX_MS = 5_000;
/** What the customer reads when their browser cannot share at all: no jargon, nothing to look up. */
const NO_WEBRTC_MESSAGE = "This browser can't share your screen. Open this page in another browser, such as Chrome, Firefox, Edge or Safari, and try again.";
/** What the customer reads when the connection to an agent was tampered with on the way (see handshake.ts). */
const TAMPERED_MESSAGE =
  'The connection to your support agent was tampered with on the way, so it was stopped before anything was shared. Contact your support team another way (for example by phone) before sharing again.';
/**
 * A peer connection that is not up this long after it was asked for (ICE failed, UDP blocked and
 * no TURN) gives way to the server's encrypted relay, when the server offers one.
 */
export const RELAY_AFTER_MS = 8_000;
/**
 * The customer's own bound on a first connection to an agent they allowed. The agent gives up
 * after 20 s (CONNECT_TIMEOUT_MS in agent-session.ts) and says so; this one, later, covers what
 * the agent's word cannot: the server gone meanwhile, or the word lost on the way.
 */
export const FIRST_CONNECT_TIMEOUT_MS = 30_000;
/** While relayed (and this browser has WebRTC), a peer connection is tried again this often: the first that connects takes over. */
export const PROBE_EVERY_MS = 15_000;
/** Fresh codes drawn when the server says one is taken (a 45-bit clash: practically never). */
const CREATE_ATTEMPTS = 5;

/** One approved agent: their peer connection, data channel and control permission. */
interface Live {
  agent: Agent;
  /** `live` once the data channel is open; `reconnecting` after it dropped. */
  phase: 'connecting' | 'live' | 'reconnecting';
  peer: PeerLink | null;
  /** The number of this agent's current peer connection; signals for older ones are stale. */
  number: number;
  channel: FramedChannel<HostWireMessage, AgentMessage> | null;
  control: HostControl | null;
  /** Files already sent on this peer (by URL); the agent caches them by content hash. */
  sentAssets: Set<string>;
  /** Signals to and from this agent, in order (each waits for its MAC to be made or checked). */
  outbox: Promise<void>;
  inbox: Promise<void>;
  retries: number;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  awayTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs while a peer connection is being tried: when it fires first, the relay takes over. */
  fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  /** This agent runs over the relay (once relayed, later links are relayed too). */
  relayed: boolean;
  /** Hands the agent's relay salt to the relay link waiting for it. */
  relaySalt: ((salt: Uint8Array) => void) | null;
  /** The transport last reported to the server's metrics for this agent. */
  reported: Transport | null;
  /** While relayed: a peer connection being tried on the side, which takes over once it connects. */
  probe: { peer: PeerLink; number: number } | null;
  probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Gives up a first connection that never came up (FIRST_CONNECT_TIMEOUT_MS). */
  connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** A channel to this agent was open at least once: later drops are reconnections, bounded by the agent. */
  everConnected: boolean;
}

/** A navigation's destination is on this page's origin (a page of this site may resume the session). */
function isSameSite(destination: string): boolean {
  try {
    return new URL(destination, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

function newLive(agent: Agent, phase: Live['phase']): Live {
  return { agent, phase, peer: null, number: 0, channel: null, control: null, sentAssets: new Set(), outbox: Promise.resolve(), inbox: Promise.resolve(), retries: 0, retryTimer: undefined, awayTimer: undefined, fallbackTimer: undefined, relayed: false, relaySalt: null, reported: null, probe: null, probeTimer: undefined, connectTimer: undefined, everConnected: false };
}

/**
 * The customer's side of a session: share code, consent, one peer per approved agent, and
 * capture that starts only once an agent's data channel is open. When a peer fails, a new one is
 * signaled (numbered, so both sides know which is current) and capture starts afresh, so the
 * agent resyncs from a new snapshot and nothing that changed meanwhile is lost.
 *
 * Several agents: "Invite another agent" re-opens the code for one more join; each agent the
 * customer allows gets their own peer. There is ONE capture for all of them (two would patch the
 * page's prototypes twice): it restarts when an agent joins, so everyone gets a fresh snapshot,
 * and every message goes to every open channel. Control goes to one agent at a time.
 */
export class HostSession extends ObservableState<HostState> {
  private socket: SignalingSocket | null = null;
  private ice: IceConfig = { iceServers: [] };
  private startOptions: StartOptions = {};
  private room: { code: string; keys: HandshakeKeys; hostId: string; hostKey: string } | null = null;
  /** The saved session being taken up by resume(), until it is live again or given up. */
  private resuming: Promise<boolean> | null = null;
  /** The agents let in, by agent id, in the order they joined. */
  private readonly lives = new Map<string, Live>();
  /** The number of the newest peer connection of any agent (numbers only grow). */
  private peerNumber = 0;
  /** Node ids shared by capture and the control executors; emptied when capture restarts. */
  private readonly mirror = new NodeIds();
  private stopCapture: (() => void) | null = null;
  private stopDevtools: (() => void) | null = null;
  /** The code is open for one more agent until this timer fires. */
  private inviting = false;
  private inviteTimer: ReturnType<typeof setTimeout> | undefined;
  /** Another agent waiting for the customer's answer while sharing. */
  private asking: Agent | null = null;
  private navigatingTo: string | null = null;
  /** Takes back a host:leaving-site if this page is still here a moment after the navigation began. */
  private stillHere: ReturnType<typeof setTimeout> | undefined;
  /** The server was told this page is leaving the site, and not told otherwise since. */
  private saidLeaving = false;
  private readonly saved = resumeSlot<SavedHost>(HOST_SLOT_KEY, RESUME_WITHIN_MS);
  private privacyOptions: PrivacyOptions = {};
  private privacy: Privacy = createPrivacy();
  private readonly annotationListeners = new Set<(annotation: AgentAnnotation) => void>();

  constructor(private readonly options: HostSessionOptions) {
    super({ status: 'idle' });
    addEventListener('pagehide', () => this.onPageHide());
    // The Navigation API (Chromium) says where a link or form is going: same site means "back in a
    // moment", another site means sharing ends. Without it, an unload may be a reload or a close.
    const navigation = (globalThis as { navigation?: EventTarget }).navigation;
    navigation?.addEventListener('navigate', (event) => {
      const navigate = event as Event & { destination?: { url?: string; sameDocument?: boolean }; downloadRequest?: string | null };
      // pushState, replaceState, a #hash: this document stays, whatever is pending. A download too.
      if (navigate.destination?.sameDocument || navigate.downloadRequest != null) return;
      this.navigatingTo = navigate.destination?.url ?? null;
      // Said now, while the page is alive: it may be torn down before pagehide can say more.
      if (!this.room || this.navigatingTo === null) return;
      if (isSameSite(this.navigatingTo)) return this.stayingAfterAll(false);
      clearTimeout(this.stillHere);
      this.sayLeaving(true);
      // Still here a moment later (a 204, "Stay on page", a slow site): the page did not leave. A
      // site slower than this that then tears the page down before pagehide is told as a close.
      this.stillHere = setTimeout(() => this.stayingAfterAll(true), LEAVING_SITE_MS / 2);
    });
    // A navigation the site's script or the browser cancelled.
    navigation?.addEventListener('navigateerror', () => this.stayingAfterAll(true));
  }

  /** A navigation to another site did not take this page away (or a same-site one replaced it): take back what was said. */
  private stayingAfterAll(forgetDestination: boolean): void {
    clearTimeout(this.stillHere);
    this.stillHere = undefined;
    if (forgetDestination) this.navigatingTo = null;
    if (this.saidLeaving) this.sayLeaving(false);
  }

  async start(options: StartOptions = {}): Promise<{ code: string }> {
    // A start while the saved session is still being taken up (a click during the reload, a page
    // that starts when idle): that session is the answer, not a second one beside it.
    if (this.resuming) await this.resuming;
    if ('code' in this.state) return { code: this.state.code };
    if (this.state.status === 'starting') throw new CoviewError('ERR_ALREADY_SHARING', 'Sharing is already starting.');
    // Bad privacy options fail here, before a code exists or anything could be captured.
    this.setPrivacy(stripUndefined({ maskSelector: options.maskSelector, blockSelector: options.blockSelector, maskAllInputs: options.maskAllInputs, privateByDefault: options.privateByDefault }));
    this.startOptions = options;
    this.setState({ status: 'starting' });
    try {
      const socket = await this.connect();
      const code = await this.newRoom(socket);
      // Without WebRTC only the server's relay can carry the session: a code handed out here could never connect.
      if (!webrtcSupported() && !this.ice.relay) {
        this.socket = null;
        this.room = null;
        this.saved.clear();
        closeAfterLastWord(socket, 'host:stop');
        throw new CoviewError('ERR_WEBRTC_UNSUPPORTED', NO_WEBRTC_MESSAGE);
      }
      this.setState({ status: 'waiting', code });
      warmTimeZone();
      return { code };
    } catch (error) {
      this.closeSocket();
      const message = error instanceof Error ? error.message : String(error);
      this.setState({ status: 'error', message, ...(error instanceof CoviewError ? { errorCode: error.code } : {}) });
      throw error;
    }
  }

  /**
   * Carries on a session that a previous page of this tab started (reload, or a link on the same
   * site): same code, same agents, no new consent. Returns false when there is nothing to resume.
   */
  /** Carries on the session this tab was sharing (saved by the page before), if any; see `resuming`. */
  resume(): Promise<boolean> {
    if (this.resuming) return this.resuming;
    const saved = this.saved.load();
    // Decided at once when there is nothing to take up: a start() right after must not wait a turn.
    if (!saved || saved.serverUrl !== this.options.serverUrl || 'code' in this.state) return Promise.resolve(false);
    this.resuming = this.resumeSaved(saved).finally(() => (this.resuming = null));
    return this.resuming;
  }

  private async resumeSaved(saved: SavedHost): Promise<boolean> {
    try {
      this.setPrivacy(saved.privacy ?? {});
    } catch {
      return false;
    }
    let keys: HandshakeKeys | null;
    try {
      keys = saved.secret ? await keysFromSecret(saved.secret) : await deriveKeys(saved.code);
    } catch {
      keys = null;
    }
    if (!keys) return false;
    this.room = { code: saved.code, keys, hostId: saved.hostId, hostKey: saved.hostKey };
    this.peerNumber = saved.peer;
    const agents = saved.agents ?? (saved.agent ? [saved.agent] : []);
    for (const agent of agents) this.lives.set(agent.id, newLive(agent, 'reconnecting'));
    if (agents.length > 0) this.publish();
    else this.setState({ status: 'starting' });
    try {
      await this.connect();
      await this.reRegister();
      return true;
    } catch {
      this.saved.clear();
      this.teardownLives();
      this.closeSocket();
      this.room = null;
      this.setState({ status: 'idle', ...notice('noticeResumeEnded') });
      return false;
    }
  }

  /** The customer's answer to the consent prompt (the first agent's, or another one's while sharing). */
  decide(allow: boolean): void {
    // An invited agent is asked about while sharing; the answer counts even if the state moved on.
    if (this.asking) {
      const agent = this.asking;
      this.asking = null;
      this.socket?.emit('host:decide', { agentId: agent.id, allow });
      // Declined: the code stays open (the server keeps it so) until the invitation lapses.
      if (allow) {
        this.stopInviting();
        this.connectTo(agent);
      }
      return this.publish();
    }
    if (this.state.status !== 'asking') return;
    const { agent, code } = this.state;
    this.socket?.emit('host:decide', { agentId: agent.id, allow });
    if (!allow) return this.setState({ status: 'waiting', code, ...notice('noticeDeclined', agent.name) });
    this.setState({ status: 'connecting', code, agent });
    this.connectTo(agent);
  }

  /** A first connection to an agent just allowed, given up with ERR_CONNECT_TIMEOUT if it is not up within FIRST_CONNECT_TIMEOUT_MS. */
  private connectTo(agent: Agent): void {
    stopWarmingTimeZone();
    const live = newLive(agent, 'connecting');
    this.lives.set(agent.id, live);
    // In a task of its own: the Allow, its render and the peer connection's creation together
    // were a 50–60 ms task at 4× CPU (npm run bench); each alone stays well under.
    setTimeout(() => this.startPeer(live), 0);
    // Whatever happened meanwhile (ICE failed and retried, a relay that closed with the server):
    // a channel that was never open by then is given up, and the agent told if it can be.
    live.connectTimer = setTimeout(() => {
      if (this.isCurrent(live) && !live.everConnected) this.peerFailed(live, new CoviewError('ERR_CONNECT_TIMEOUT', 'The connection to the agent did not come up in time.'));
    }, FIRST_CONNECT_TIMEOUT_MS);
  }

  /**
   * "Invite another agent": while sharing, re-opens this session's code for one more agent (the
   * code is single-use per join). The customer still allows or denies whoever asks.
   */
  async invite(): Promise<{ code: string }> {
    const socket = this.socket;
    if (this.state.status !== 'sharing' || !socket) throw new CoviewError('ERR_NOT_IN_ROOM', 'Another agent can be invited only while sharing with one.');
    if (this.lives.size >= MAX_AGENTS) throw new CoviewError('ERR_ROOM_BUSY', `At most ${MAX_AGENTS} agents can watch at once.`);
    const invited = await request((s) => s.emitWithAck('host:invite', {}), socket);
    const code = this.room?.code;
    if (!code) throw new CoviewError('ERR_NOT_IN_ROOM', 'Sharing ended meanwhile.');
    this.inviting = true;
    clearTimeout(this.inviteTimer);
    this.inviteTimer = setTimeout(() => {
      this.inviting = false;
      this.publish();
    }, Math.max(0, invited.expiresAt - Date.now()));
    this.publish();
    return { code };
  }

  /** Ends sharing for everyone, at once. */
  async stop(): Promise<void> {
    // A stop while the saved session is being taken up (a logout page that stops sharing) stops
    // that session once it is back, agents told: never one that resumes after the stop.
    if (this.resuming) await this.resuming;
    const wasSharing = this.lives.size > 0;
    this.saved.clear();
    await this.endLives('stopped');
    const socket = this.socket;
    this.socket = null;
    if (socket) closeAfterLastWord(socket, 'host:stop');
    this.room = null;
    this.setState(wasSharing ? { status: 'idle', ...notice('noticeStopped') } : { status: 'idle' });
  }

  /** The customer's answer to an agent's request for control. */
  decideControl(allow: boolean): void {
    this.controller()?.control?.decide(allow);
  }

  /** "Take back control": immediate; the agent is told at once. */
  revokeControl(): void {
    this.controller()?.control?.revoke();
  }

  /** Agents' pointers and drawings, for the overlay; returns the unsubscribe function. */
  onAnnotation(listener: (annotation: AgentAnnotation) => void): () => void {
    this.annotationListeners.add(listener);
    return () => this.annotationListeners.delete(listener);
  }

  private annotate(annotation: AgentAnnotation): void {
    for (const listener of this.annotationListeners) listener(annotation);
  }

  /** The agent who asks for or has control (at most one). */
  private controller(): Live | undefined {
    for (const live of this.lives.values()) if (live.control && live.control.current !== 'off') return live;
    return undefined;
  }

  private isCurrent(live: Live): boolean {
    return this.lives.get(live.agent.id) === live;
  }

  /** The widget's state, from the agents let in: sharing while anyone watches. */
  private publish(): void {
    const room = this.room;
    const lives = [...this.lives.values()];
    if (!room || lives.length === 0) return;
    const watching = lives.filter((live) => live.phase === 'live');
    const first = watching[0] ?? lives[0]!;
    if (watching.length === 0) return this.setState({ status: first.phase === 'reconnecting' ? 'reconnecting' : 'connecting', code: room.code, agent: first.agent });
    const controller = this.controller();
    this.setState({
      status: 'sharing',
      code: room.code,
      agent: first.agent,
      agents: watching.map((live) => live.agent),
      control: controller?.control?.current ?? 'off',
      ...(controller ? { controlBy: controller.agent } : {}),
      ...(this.inviting ? { inviting: true } : {}),
      ...(this.asking ? { asking: this.asking } : {}),
      transport: watching.some((live) => live.relayed) ? 'relayed' : 'direct',
    });
  }

  private stopInviting(): void {
    this.inviting = false;
    clearTimeout(this.inviteTimer);
  }

  /** Script-tag defaults, overridden by what the page passed to start(). */
  private setPrivacy(options: PrivacyOptions): void {
    this.privacy = createPrivacy({ ...this.options.defaults, ...options });
    this.privacyOptions = options;
  }

  private async connect(): Promise<SignalingSocket> {
    if (this.socket) return this.socket;
    const socket = await connectSignaling(this.options.serverUrl);
    this.socket = socket;
    this.wireSocket(socket);
    // Back from a dropped connection (network, server restart): say who we are again.
    onReconnect(socket, () => void this.reRegister().catch((error: unknown) => this.lostRoom(error)));
    return socket;
  }

  /**
   * Draws a share code here, in the customer's browser, and opens a room under the id derived
   * from it: the server never sees the code. A code whose room exists already is drawn again.
   */
  private async newRoom(socket: SignalingSocket): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const code = randomRoomCode();
      const keys = (await deriveKeys(code))!;
      try {
        const room = await request((s) => s.emitWithAck('host:create', { room: keys.roomId }), socket);
        this.ice = room;
        this.room = { code, keys, hostId: room.hostId, hostKey: room.hostKey };
        this.save();
        return code;
      } catch (error) {
        if (!(error instanceof CoviewError) || error.code !== 'ERR_ROOM_BUSY' || attempt >= CREATE_ATTEMPTS) throw error;
      }
    }
  }

  /** Tells the server (maybe a new one) about our room, and gets the agents back if there are any. */
  private async reRegister(): Promise<void> {
    const socket = this.socket;
    const room = this.room;
    if (!socket || !room) return;
    const agents = [...this.lives.values()].map((live) => live.agent);
    const resumed = await request((s) => s.emitWithAck('host:resume', { room: room.keys.roomId, hostId: room.hostId, hostKey: room.hostKey, agents }), socket);
    this.ice = resumed;
    if (agents.length > 0) {
      for (const live of [...this.lives.values()]) {
        if (!this.isCurrent(live)) continue;
        if (resumed.agents.some((a) => a.id === live.agent.id && a.status === 'accepted')) {
          if (!live.peer?.connected) this.startPeer(live);
        } else {
          await this.agentGone(live, notice('noticeLeft', live.agent.name));
        }
      }
      return;
    }
    if (this.state.status === 'starting') this.setState({ status: 'waiting', code: room.code });
  }

  private lostRoom(error: unknown): void {
    // The server no longer knows our room (it expired while we were away): live peers carry on
    // regardless; without one there is nothing left to share.
    if ([...this.lives.values()].some((live) => live.peer?.connected)) return;
    console.warn('[coview] could not resume sharing:', error);
    this.saved.clear();
    this.teardownLives();
    this.closeSocket();
    this.room = null;
    this.setState({ status: 'idle', ...notice('noticeLost') });
  }

  private wireSocket(socket: SignalingSocket): void {
    socket.on('agent:request', (agent) => void this.onAgentRequest({ id: agent.agentId, name: agent.name || 'Support agent' }));
    socket.on('agent:left', ({ agentId }) => {
      const live = this.lives.get(agentId);
      // After the signals before it: an agent who refused a tampered handshake says so, then leaves.
      if (live) live.inbox = live.inbox.then(() => this.agentGone(live, notice('noticeLeft', live.agent.name))).catch((error: unknown) => console.warn('[coview]', error));
      else if (this.state.status === 'asking' && this.state.agent.id === agentId) this.backToWaiting(notice('noticeLeft', this.state.agent.name));
      else if (this.asking?.id === agentId) {
        this.asking = null;
        this.publish();
      }
    });
    socket.on('signal', ({ from, data, peer }) => {
      const live = this.lives.get(from);
      // The agent gave up on a connection that never came up (whichever peer number it last saw):
      // say so here too. Only that: an agent's word cannot tell the customer to change browsers.
      if (live && peerFailureIn(data)?.code === 'ERR_CONNECT_TIMEOUT') {
        live.inbox = live.inbox.then(() => {
          if (this.isCurrent(live) && !live.everConnected) this.peerFailed(live, new CoviewError('ERR_CONNECT_TIMEOUT', 'The agent gave up on a connection that did not come up.'), false);
        }).catch((error: unknown) => console.warn('[coview]', error));
        return;
      }
      if (live?.probe && peer === live.probe.number) this.onProbeSignal(live, live.probe, data);
      else if (live && (peer === undefined || peer === live.number)) this.onSignal(live, data);
    });
    socket.on('relay', ({ from, peer, data }) => {
      const live = this.lives.get(from);
      const link = live?.peer;
      // A frame of a link we just replaced (a peer connection took over from the relay): dropped, not
      // refused, since the agent may not have seen its side of the new link come up yet, and a
      // refusal would make it drop that. Unacknowledged, the old link times out on its own.
      if (live && peer < live.number) return;
      if (!live || peer !== live.number || !isRelayLink(link)) return void this.socket?.emit('relay:ack', { to: from, peer, count: 0, refused: true });
      // Acknowledged once handled (relay.ts acknowledges every few frames): the agent's window moves on only as fast as we take its frames.
      void link.receive(data);
    });
    socket.on('relay:ack', ({ from, peer, count, refused }) => {
      const live = this.lives.get(from);
      if (live && peer === live.number && isRelayLink(live.peer)) live.peer.acknowledged({ count, refused });
    });
    socket.on('peer:restart', ({ from, peer }) => {
      const live = this.lives.get(from);
      if (!live) return;
      // 0: the agent reloaded and has no peer. Older numbers ask about a peer we already replaced,
      // unless ours has not connected either.
      if (peer === 0 || peer >= live.number || !live.peer?.connected) this.startPeer(live);
    });
    socket.on('session:ended', ({ reason }) => {
      void this.endLives('stopped');
      this.saved.clear();
      this.closeSocket();
      this.room = null;
      this.setState({ status: 'idle', ...notice(reason === 'expired' ? 'noticeExpired' : reason === 'locked' ? 'noticeLocked' : 'noticeEnded') });
    });
  }

  private async onAgentRequest(agent: Agent): Promise<void> {
    const state = this.state;
    if (state.status === 'waiting') {
      this.setState({ status: 'asking', code: state.code, agent });
    } else if (state.status === 'sharing' && this.inviting && !this.asking) {
      // An invited agent: the same question, asked while the others keep watching.
      this.asking = agent;
      this.publish();
    } else {
      // One request at a time: others are turned away while someone is being asked or connected.
      return void this.socket?.emit('host:decide', { agentId: agent.id, allow: false });
    }
    if (this.startOptions.onJoinRequest) {
      let allow = false;
      try {
        allow = (await this.startOptions.onJoinRequest(agent)) === true;
      } catch {
        allow = false;
      }
      this.decide(allow);
    }
  }

  /** A new peer connection to this agent, replacing whatever was there. */
  private startPeer(live: Live): void {
    if (!this.isCurrent(live)) return;
    // No WebRTC here (or this agent already runs relayed): straight to the relay, when the server has one.
    if (this.ice.relay && (live.relayed || !webrtcSupported())) return this.startRelay(live);
    clearTimeout(live.retryTimer);
    clearTimeout(live.awayTimer);
    this.dropPeer(live);
    const number = ++this.peerNumber;
    live.number = number;
    this.save();
    const { agent } = live;
    const keys = this.room?.keys;
    if (!keys) return;
    const side: HandshakeSide = { role: 'host', agentId: agent.id, peer: number };
    let peer: PeerLink;
    try {
      peer = createPeer(
        { initiator: true, ...this.ice },
        {
          // Each SDP goes with the MAC of its fingerprints; candidates wait their turn behind it.
          signal: (data) => {
            live.outbox = live.outbox
              .then(() => sealSignal(keys, side, data))
              .then((sealed) => {
                if (live.peer === peer) this.socket?.emit('signal', { to: agent.id, data: sealed, peer: number });
              })
              .catch((error: unknown) => console.warn('[coview] could not send a signal:', error));
          },
          connect: () => this.onPeerConnected(live, peer),
          data: (frame) => {
            if (live.peer === peer) live.channel?.receive(frame);
          },
          close: (error) => {
            if (!this.isCurrent(live) || live.peer !== peer) return;
            // No WebRTC here: retrying would fail the same way, forever (unless the relay can carry it).
            if (error?.code === 'ERR_WEBRTC_UNSUPPORTED') this.noPeer(live, error);
            else this.peerLost(live);
          },
        },
      );
    } catch (error) {
      return this.noPeer(live, error);
    }
    live.peer = peer;
    // A peer connection that does not come up in time gives way to the relay (the timer runs across retries).
    if (this.ice.relay && live.fallbackTimer === undefined) {
      live.fallbackTimer = setTimeout(() => {
        live.fallbackTimer = undefined;
        if (this.isCurrent(live) && live.phase !== 'live') this.startRelay(live);
      }, RELAY_AFTER_MS);
    }
  }

  /** While this agent runs relayed, tries a peer connection again in a while (when this browser has WebRTC). */
  private scheduleProbe(live: Live): void {
    clearTimeout(live.probeTimer);
    if (!live.relayed || !webrtcSupported()) return;
    live.probeTimer = setTimeout(() => this.startProbe(live), PROBE_EVERY_MS);
  }

  /**
   * A peer connection tried beside the live relay, under its own number and the same authenticated
   * handshake. If it connects it takes over (a fresh channel and snapshot, as after any new peer);
   * if it does not within RELAY_AFTER_MS it is dropped and the relay carries on undisturbed.
   */
  private startProbe(live: Live): void {
    const room = this.room;
    if (!room || !this.isCurrent(live) || live.phase !== 'live' || !isRelayLink(live.peer) || live.probe) return;
    const number = ++this.peerNumber;
    const agent = live.agent;
    const side: HandshakeSide = { role: 'host', agentId: agent.id, peer: number };
    let peer: PeerLink;
    const giveUp = () => {
      if (live.probe?.peer !== peer) return;
      live.probe = null;
      peer.destroy();
      this.scheduleProbe(live);
    };
    try {
      peer = createPeer(
        { initiator: true, ...this.ice },
        {
          signal: (data) => {
            live.outbox = live.outbox
              .then(() => sealSignal(room.keys, side, data))
              .then((sealed) => {
                if (live.probe?.peer === peer) this.socket?.emit('signal', { to: agent.id, data: sealed, peer: number });
              })
              .catch((error: unknown) => console.warn('[coview] could not send a signal:', error));
          },
          connect: () => {
            if (live.probe?.peer !== peer || !this.isCurrent(live)) return;
            // The peer connection takes over from the relay.
            live.probe = null;
            this.dropPeer(live);
            live.peer = peer;
            live.number = number;
            this.save();
            this.onPeerConnected(live, peer);
          },
          data: (frame) => {
            if (live.peer === peer) live.channel?.receive(frame);
          },
          close: () => {
            if (live.probe?.peer === peer) return giveUp();
            if (this.isCurrent(live) && live.peer === peer) this.peerLost(live);
          },
        },
      );
    } catch {
      return;
    }
    live.probe = { peer, number };
    setTimeout(giveUp, RELAY_AFTER_MS);
  }

  /** A signal for the probe: checked like any (handshake.ts); a tampered one just ends the probe, the relay stays. */
  private onProbeSignal(live: Live, probe: { peer: PeerLink; number: number }, data: unknown): void {
    const room = this.room;
    if (!room) return;
    const from: HandshakeSide = { role: 'agent', agentId: live.agent.id, peer: probe.number };
    live.inbox = live.inbox
      .then(async () => {
        const opened = (await isTamperedNotice(room.keys, from, data)) ? ({ kind: 'tampered' } as const) : await openSignal(room.keys, from, data);
        if (live.probe !== probe) return;
        if (opened.kind === 'signal') return probe.peer.signal(opened.data);
        if (opened.kind === 'tampered') {
          console.warn('[coview] refused a tampered handshake for a direct connection; the session stays relayed');
          live.probe = null;
          probe.peer.destroy();
        }
      })
      .catch((error: unknown) => console.warn('[coview] could not check a signal:', error));
  }

  /** No peer connection can be made for this agent: the relay carries the session, or it fails plainly. */
  private noPeer(live: Live, error: unknown): void {
    if (this.ice.relay) return this.startRelay(live);
    this.peerFailed(live, error);
  }

  /**
   * Runs this agent's session over the server's relay (transport/relay.ts), sealed end to end with
   * keys from the code and both sides' fresh salts (relay-crypto.ts). Our salt goes in a relay
   * notice (a signal); the link opens once the agent's comes back the same way.
   */
  private startRelay(live: Live): void {
    const room = this.room;
    if (!this.isCurrent(live) || !room) return;
    clearTimeout(live.retryTimer);
    clearTimeout(live.awayTimer);
    clearTimeout(live.fallbackTimer);
    live.fallbackTimer = undefined;
    this.dropPeer(live);
    live.relayed = true;
    const number = ++this.peerNumber;
    live.number = number;
    this.save();
    const agent = live.agent;
    const salt = randomRelaySalt();
    const agentSalt = new Promise<Uint8Array>((resolve) => (live.relaySalt = resolve));
    const cipher = agentSalt.then(async (theirs) => new RelayCipher(await deriveRelayKeys(room.keys.secret, { role: 'host', agentId: agent.id, peer: number }, { host: salt, agent: theirs })));
    const link = createRelayLink(
      {
        cipher,
        send: (data) => this.socket?.emit('relay', { to: agent.id, peer: number, data }),
        acknowledge: (count) => this.socket?.emit('relay:ack', { to: agent.id, peer: number, count }),
      },
      {
        connect: () => this.onPeerConnected(live, link),
        data: (frame) => {
          if (live.peer === link) live.channel?.receive(frame);
        },
        close: (error) => {
          if (!this.isCurrent(live) || live.peer !== link) return;
          if (error) console.warn('[coview] the relay to the agent ended:', error.code, error.message);
          this.peerLost(live);
        },
      },
    );
    live.peer = link;
    this.socket?.emit('signal', { to: agent.id, data: { type: 'coview:relay', salt: toBase64Url(salt) }, peer: number });
  }

  /**
   * A signal from this agent, checked in order: an SDP must carry the MAC of its fingerprints
   * under the code's key (handshake.ts), else the connection is refused as tampered.
   */
  private onSignal(live: Live, data: unknown): void {
    const room = this.room;
    if (!room) return;
    const number = live.number;
    const from: HandshakeSide = { role: 'agent', agentId: live.agent.id, peer: number };
    live.inbox = live.inbox
      .then(async () => {
        if (await isTamperedNotice(room.keys, from, data)) return await this.tampered(live, number, false);
        // The agent's part of the relay keys. Whoever forges one only gets frames that fail their check.
        const relay = relayNoticeIn(data);
        if (relay) {
          if (!this.isCurrent(live) || live.number !== number) return;
          try {
            const salt = fromBase64Url(relay.salt);
            live.relaySalt?.(salt);
          } catch {
            console.warn('[coview] ignored a malformed relay notice');
          }
          return;
        }
        const opened = await openSignal(room.keys, from, data);
        if (!this.isCurrent(live) || live.number !== number) return;
        if (opened.kind === 'signal') live.peer?.signal(opened.data);
        else if (opened.kind === 'tampered') await this.tampered(live, number, true);
      })
      .catch((error: unknown) => console.warn('[coview] could not check a signal:', error));
  }

  /**
   * The handshake with this agent was tampered with (we saw it, or the agent did and said so):
   * this peer is refused and never goes live; the agent is told (authenticated) when we saw it.
   */
  private async tampered(live: Live, number: number, tellAgent: boolean): Promise<void> {
    if (!this.isCurrent(live) || live.number !== number || !this.room) return;
    // The peer must not connect on a fingerprint nobody vouched for.
    this.dropPeer(live);
    const keys = this.room.keys;
    // Told before peerFailed stops sharing: the server relays nothing from a host that stopped.
    if (tellAgent) {
      const notice = await tamperedNotice(keys, { role: 'host', agentId: live.agent.id, peer: number });
      this.socket?.emit('signal', { to: live.agent.id, data: notice, peer: number });
    }
    this.peerFailed(live, new CoviewError('ERR_HANDSHAKE_TAMPERED', TAMPERED_MESSAGE));
  }

  /**
   * No peer can be made for this agent: their attempt ends with a clear error on both sides
   * (the agent is told in place of an offer) instead of "connecting" forever.
   */
  private peerFailed(live: Live, error: unknown, tellAgent = true): void {
    if (!this.isCurrent(live)) return;
    console.error('[coview] could not open a connection to the agent:', error);
    const tampered = error instanceof CoviewError && error.code === 'ERR_HANDSHAKE_TAMPERED';
    const kept = ['ERR_HANDSHAKE_TAMPERED', 'ERR_WEBRTC_UNSUPPORTED', 'ERR_CONNECT_TIMEOUT'] as const;
    const code = error instanceof CoviewError ? (kept.find((known) => known === error.code) ?? 'ERR_PEER') : 'ERR_PEER';
    // A tampered handshake is told to the agent with a MAC (see tampered()), not in plain words the
    // server could forge; an agent that gave up (tellAgent false) knows already.
    if (!tampered && tellAgent) this.socket?.emit('signal', { to: live.agent.id, data: { type: 'coview:peer-failed', code }, peer: live.number });
    // Others watching carry on; the agent who could not connect is let go.
    if (this.lives.size > 1) return void this.agentGone(live, null);
    this.saved.clear();
    void this.endLives('stopped');
    this.socket?.emit('host:stop');
    // The socket stays open (Close or Try again reuse or close it): closing it now would cut off
    // the two packets above before the server relays them, and leave the agent waiting.
    this.room = null;
    const message = tampered ? TAMPERED_MESSAGE : code === 'ERR_WEBRTC_UNSUPPORTED' ? NO_WEBRTC_MESSAGE : "Couldn't connect to your support agent. Try again, or try another browser.";
    this.setState({ status: 'error', message, errorCode: code });
  }

  /** The peer failed: say so, and try a new one (backing off) until the agent answers or leaves. */
  private peerLost(live: Live): void {
    this.dropPeer(live);
    live.phase = 'reconnecting';
    this.publish();
    const delay = Math.min(RETRY_MAX_MS, 250 * 2 ** live.retries++);
    clearTimeout(live.retryTimer);
    live.retryTimer = setTimeout(() => this.startPeer(live), delay);
  }

  /** Closes this agent's peer; capture stops when nobody is left to send it to. */
  private dropPeer(live: Live): void {
    const peer = live.peer;
    live.peer = null;
    live.channel = null;
    live.relaySalt = null;
    clearTimeout(live.probeTimer);
    live.probe?.peer.destroy();
    live.probe = null;
    // Control ends with the connection; the agent asks again on the next one.
    const hadControl = live.control !== null && live.control.current !== 'off';
    live.control = null;
    this.annotate({ type: 'clear', agent: live.agent });
    if (![...this.lives.values()].some((other) => other.channel)) this.stopCaptures();
    peer?.destroy();
    if (hadControl) this.publish();
  }

  /** Capture and devtools serve every agent: they stop only when nobody is connected. */
  private stopCaptures(): void {
    this.stopCapture?.();
    this.stopCapture = null;
    this.stopDevtools?.();
    this.stopDevtools = null;
  }

  /** Every captured message goes to every agent whose channel is open. */
  private broadcast(message: HostMessage, lane: 'priority' | 'bulk' = 'bulk'): void {
    const streamed = snapshotStream(message);
    const wire = encodeHostMessage(message);
    for (const live of this.lives.values()) live.channel?.send(wire, lane, streamed);
  }

  private onPeerConnected(live: Live, peer: PeerLink): void {
    if (!this.isCurrent(live) || live.peer !== peer || !this.room) return;
    live.retries = 0;
    clearTimeout(live.fallbackTimer);
    live.fallbackTimer = undefined;
    const transport: Transport = isRelayLink(peer) ? 'relayed' : 'direct';
    live.relayed = transport === 'relayed';
    // Counted once per agent and transport (a renewed link is the same session).
    if (live.reported !== transport) this.socket?.emit('host:transport', { agentId: live.agent.id, transport });
    live.reported = transport;
    this.scheduleProbe(live);
    const channel = new FramedChannel<HostWireMessage, AgentMessage>(
      peer,
      decodeAgentMessage,
      {
        onMessage: (message) => this.onAgentMessage(live, message),
        onError: (error) => console.warn('[coview] dropped a message from the agent:', error.message),
      },
      // The default codec: the browser's own deflate (none without CompressionStream), and no
      // inflater, as the agent sends as it is.
    );
    live.channel = channel;
    live.sentAssets = new Set();
    // The address can carry tokens (reset links, OAuth): its query values are redacted like any URL.
    const info = pageInfo();
    const page = { ...info, url: this.privacy.url(info.url, document), title: this.privacy.options.privateByDefault ? maskText(info.title) : info.title };
    channel.send({ type: 'hello', v: PROTOCOL_VERSION, page });
    live.control = new HostControl({
      mirror: this.mirror,
      privacy: this.privacy,
      ignore: this.options.ignore,
      onState: (control) => {
        channel.send({ type: 'control', state: control });
        if (this.isCurrent(live)) this.publish();
      },
      onRefused: (action, reason) => channel.send({ type: 'control-refused', action: action.type, reason }),
    });
    live.phase = 'live';
    live.everConnected = true;
    clearTimeout(live.connectTimer);
    this.publish();
    this.save();
    // The snapshot and the devtools capture start in the next task: with the channel, the hello
    // and the widget's render, they made one 50–75 ms task at 4× CPU (npm run bench).
    setTimeout(() => {
      if (live.channel === channel && this.isCurrent(live)) this.startSharing(live);
    }, 0);
  }

  /** What a newly connected agent gets after the hello: a fresh snapshot, devtools capture, the page's fonts. */
  private startSharing(live: Live): void {
    // A fresh capture whenever an agent connects: they start from a new snapshot, and the agents
    // already watching simply resync from it.
    if (!this.startCapture()) return;
    // The Console and Network panels: the widget's own signaling requests are not the page's.
    // One devtools capture for everyone: an agent joining later sees entries from then on.
    if (!this.stopDevtools) {
      const signalingPath = new URL('/socket.io/', this.options.serverUrl).href;
      const privacy = this.privacy;
      this.stopDevtools = startDevtoolsCapture({
        emit: (message) => this.broadcast(message),
        ignoreUrl: (url) => url.startsWith(signalingPath),
        wrapFetch: this.options.wrapFetch,
        // Console text is the page's own words: the site's masking rules and secret patterns apply.
        redactText: (text) => redactText(text, { secrets: privacy.secretValues(document) }),
        loadedPrivately: (url) => privacy.loadedPrivately(url, document),
      });
    }
    // Fonts the agent may not be able to load: an agent cannot tell that a font failed, so send them now.
    // Keyed by the wire URL (resource role), the one the agent's stylesheets name.
    for (const url of pageFontUrls(document, this.privacy)) void this.sendAsset(live, this.privacy.url(url, document, 'resource'));
  }

  /** (Re)starts capture from a full snapshot; false if this page cannot be captured at all. */
  private startCapture(): boolean {
    this.stopCapture?.();
    this.stopCapture = null;
    this.mirror.reset();
    try {
      this.stopCapture = startCapture({
        emit: (message) => this.broadcast(message, PRIORITY_TYPES.has(message.type) ? 'priority' : 'bulk'),
        ignore: this.options.ignore,
        privacy: this.privacy,
        mirror: this.mirror,
        ...(this.startOptions.snapshotSliceNodes ? { sliceNodes: Math.max(1, Math.floor(this.startOptions.snapshotSliceNodes)) } : {}),
        onError: (error) => console.warn('[coview] capture error:', error),
      });
      return true;
    } catch (error) {
      // A page the snapshot cannot read must not break: the agents are told, the page goes on.
      console.error('[coview] could not capture this page:', error);
      void this.endLives('stopped', notice('noticeCannotShare'));
      return false;
    }
  }

  private async sendAsset(live: Live, url: string): Promise<void> {
    const channel = live.channel;
    if (!channel || live.sentAssets.has(url)) return;
    live.sentAssets.add(url);
    try {
      const asset = await fetchPageAsset(document, url, this.privacy);
      if (live.channel === channel) channel.send(asset);
    } catch (error) {
      console.warn('[coview] could not send a file to the agent:', error);
    }
  }

  private onAgentMessage(live: Live, message: AgentMessage): void {
    switch (message.type) {
      case 'bye':
        return void this.agentGone(live, notice('noticeLeft', live.agent.name));
      case 'away':
        return this.agentAway(live);
      case 'pointer':
      case 'laser':
      case 'draw':
        return this.annotate({ ...message, agent: live.agent });
      case 'control-request': {
        // One agent controls at a time: the others are told who has it.
        const other = this.controller();
        if (other && other !== live && other.control) {
          live.channel?.send({ type: 'control-busy', by: other.agent.name, state: other.control.current === 'on' ? 'on' : 'asking' });
          return;
        }
        live.control?.request();
        if (live.control?.current === 'asking' && this.startOptions.onControlRequest) {
          void Promise.resolve()
            .then(() => this.startOptions.onControlRequest!(live.agent))
            .then((allow) => allow === true, () => false)
            .then((allow) => live.control?.decide(allow));
        }
        return;
      }
      case 'control-release':
        return live.control?.revoke();
      case 'act':
        return live.control?.act(message.action);
      case 'resync':
        // The agent's copy may be stale (it lost a message, or asked): start again from a snapshot.
        this.startCapture();
        return;
      case 'asset-request':
        return void this.sendAsset(live, message.url);
      case 'hello':
        return;
    }
  }

  /** The agent's page is unloading: a reload is back in a moment, a closed tab is not. */
  private agentAway(live: Live): void {
    this.dropPeer(live);
    live.phase = 'reconnecting';
    this.publish();
    clearTimeout(live.awayTimer);
    live.awayTimer = setTimeout(() => {
      if (!this.isCurrent(live) || live.peer?.connected) return;
      this.socket?.emit('host:decide', { agentId: live.agent.id, allow: false });
      void this.agentGone(live, notice('noticeLeft', live.agent.name));
    }, AGENT_RETURN_MS);
  }

  /**
   * An agent is gone for good. The others carry on; when it was the last one, the code was
   * single-use, so the customer gets a fresh one.
   */
  private async agentGone(live: Live, said: HostNotice | null): Promise<void> {
    if (!this.isCurrent(live)) return;
    if (this.lives.size > 1) {
      this.lives.delete(live.agent.id);
      clearTimeout(live.retryTimer);
      clearTimeout(live.awayTimer);
      clearTimeout(live.fallbackTimer);
      clearTimeout(live.connectTimer);
      this.dropPeer(live);
      this.save();
      return this.publish();
    }
    await this.endLives('stopped');
    const socket = this.socket;
    if (!socket) return;
    try {
      const code = await this.newRoom(socket);
      this.setState({ status: 'waiting', code, ...said });
    } catch (error) {
      this.setState({ status: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  private sayLeaving(leaving: boolean): void {
    this.saidLeaving = leaving;
    this.socket?.emit('host:leaving-site', { leaving });
  }

  private onPageHide(): void {
    const destination = this.navigatingTo;
    this.navigatingTo = null;
    if (!this.room) return;
    const sameSite = destination !== null && isSameSite(destination);
    if (destination !== null && !sameSite) {
      // Leaving the site ends sharing: the agents are told plainly, and nothing resumes.
      this.saved.clear();
      void this.endLives('left-site');
      // The server says so too, at once: the page may be gone before a relayed goodbye (sealed, async) is out.
      this.socket?.emit('host:left-site');
      return;
    }
    // A page of this site (or this page, reloaded) may pick up where this one leaves off.
    this.save();
    void this.endLives(sameSite ? 'navigating' : 'unloaded');
  }

  /** Tells every agent (best effort, over the data channel) and closes their peers. */
  private async endLives(reason: EndOfPage, said?: HostNotice): Promise<void> {
    if (this.lives.size === 0) return;
    const links = [...this.lives.values()].map(({ channel, peer }) => ({ channel, peer }));
    this.teardownLives();
    await Promise.all(
      links.map(async ({ channel, peer }) => {
        if (channel) {
          try {
            channel.send({ type: 'end', reason });
            // Let the goodbye reach the data channel before it closes, but never hang on it.
            await Promise.race([channel.flushed(), new Promise((resolve) => setTimeout(resolve, 300))]);
          } catch {
            // The channel may already be gone; the server still tells the agent.
          }
        }
        peer?.destroy();
        // The relay seals the goodbye asynchronously: let it reach the socket, bounded like the flush.
        if (isRelayLink(peer)) await Promise.race([peer.emitted(), new Promise((resolve) => setTimeout(resolve, 300))]);
      }),
    );
    if (said) this.backToWaiting(said);
  }

  private teardownLives(): void {
    // Whatever this page said about leaving belonged to the sessions ending here.
    clearTimeout(this.stillHere);
    this.stillHere = undefined;
    this.saidLeaving = false;
    for (const live of this.lives.values()) {
      clearTimeout(live.retryTimer);
      clearTimeout(live.awayTimer);
      clearTimeout(live.fallbackTimer);
      clearTimeout(live.probeTimer);
      clearTimeout(live.connectTimer);
      live.probe?.peer.destroy();
      live.probe = null;
      live.control = null;
    }
    this.lives.clear();
    this.stopInviting();
    this.asking = null;
    this.stopCaptures();
    this.annotate({ type: 'clear' });
  }

  private save(): void {
    if (!this.room) return;
    const agents = [...this.lives.values()].map((live) => live.agent);
    const { code, keys, hostId, hostKey } = this.room;
    this.saved.save({ savedAt: Date.now(), serverUrl: this.options.serverUrl, code, secret: keys.secret, hostId, hostKey, agent: agents[0] ?? null, agents, peer: this.peerNumber, privacy: this.privacyOptions });
  }

  private backToWaiting(said: HostNotice): void {
    if (!('code' in this.state)) return;
    this.setState({ status: 'waiting', code: this.state.code, ...said });
  }

  private closeSocket(): void {
    this.socket?.close();
    this.socket = null;
  }
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * A snapshot's parts after the first share one deflate stream (each compressed against the page's
 * text so far), ended by the last part. The first goes on its own, so the top of the page shows at
 * once instead of waiting in the compressor for more input.
 */
function snapshotStream(message: HostMessage): StreamedSend | undefined {
  if (message.type !== 'snapshot-part') return undefined;
  if (message.viewport && !message.done) return { streamed: false };
  return { streamed: true, last: message.done };
}
