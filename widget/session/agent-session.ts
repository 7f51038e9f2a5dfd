import {
  CoviewError,
  decodeHostMessage,
  deriveKeys,
  deriveRelayKeys,
  fromBase64Url,
  EXAMPLE_ROOM_CODE,
  isTamperedNotice,
  keysFromSecret,
  normalizeRoomCode,
  openSignal,
  peerFailureIn,
  PROTOCOL_VERSION,
  READABLE_PROTOCOL_VERSIONS,
  randomRelaySalt,
  RELAY_SALT_BYTES,
  RelayCipher,
  relayNoticeIn,
  sealSignal,
  tamperedNotice,
  toBase64Url,
  type AgentMessage,
  type EndReason,
  type HandshakeKeys,
  type HandshakeSide,
  type HostMessage,
  type IceConfig,
  type PageInfo,
  type ResyncReason,
  type Transport,
} from '../protocol/index.js';
import { JOIN_EN } from '../i18n/join-en.js';
import { SnapshotAssembler } from '../agent/snapshot-assembly.js';
import { FramedChannel } from '../transport/channel.js';
import { fflateReader } from '../transport/inflate.js';
import { nextWait } from './join-decisions.js';
import { ObservableState } from './observable-state.js';
import { resumeSlot } from './resume-store.js';
import { createPeer, webrtcSupported, type PeerLink } from '../transport/peer.js';
import { createRelayLink, isRelayLink } from '../transport/relay.js';
import { closeAfterLastWord, connectSignaling, onReconnect, request, type SignalingSocket } from '../transport/signaling-client.js';

/**
 * What the agent's join page shows. `status` is also published as `data-coview-state` on the
 * join page's <html> (the Automation API), and `reason` as `data-coview-reason`.
 */
export type AgentState =
  | { status: 'idle' }
  | { status: 'connecting'; code: string }
  | { status: 'waiting'; code: string }
  /**
   * `resyncing`: the view was out of step and a fresh copy is on its way (shown quietly).
   * `transport`: `direct` (WebRTC, peer to peer) or `relayed` (end-to-end encrypted through the server).
   */
  | { status: 'live'; code: string; page: PageInfo | null; resyncing?: boolean; transport?: Transport }
  /** The customer's page is reloading or the connection dropped; the last frame stays on screen. */
  | { status: 'reconnecting'; code: string; page: PageInfo | null; message: string; messageKey: ReconnectKey }
  /** `messageKey`: the join page's catalogue key for `message` (which is in English, for the API). */
  | { status: 'ended'; reason: AgentEndReason; message: string; messageKey: EndKey }
  | { status: 'error'; message: string; errorCode: string };

export type AgentEndReason = 'declined' | 'stopped' | 'left' | 'disconnected' | 'expired' | 'host-left';

export type ReconnectKey = 'reconnectingResume' | 'reconnectingDropped' | 'reconnectingNavigating' | 'reconnectingReloading';
export type EndKey = 'endDeclined' | 'endStopped' | 'endLeft' | 'endDisconnected' | 'endExpired' | 'endHostLeft' | 'endLeftSite';
const END_KEYS: Record<AgentEndReason, EndKey> = {
  declined: 'endDeclined',
  stopped: 'endStopped',
  left: 'endLeft',
  disconnected: 'endDisconnected',
  expired: 'endExpired',
  'host-left': 'endHostLeft',
};

export interface AgentSessionOptions {
  serverUrl: string;
  /** Receives every message from the customer's page, in order (the viewer). */
  onHostMessage: (message: HostMessage) => void;
  /** Sees every decoded host message first, hello and end included (the agent's timeline). */
  record?: (message: HostMessage) => void;
  /** The signed agent token, when the server requires one (AGENT_TOKEN_SECRET). */
  token?: string;
}

interface SavedAgent {
  savedAt: number;
  serverUrl: string;
  code: string;
  /** The code's KDF output (see handshake.ts), so a reload need not pay the KDF again. */
  secret?: string;
  agentId: string;
  agentKey: string;
  name: string;
}

const RESUME_WITHIN_MS = 10 * 60_000;
/** A customer's page that reloads (or closes: we cannot tell) has this long to come back. */
const HOST_RELOAD_WAIT_MS = 3_000;
/** A customer following a link on the same site has this long to load the next page. */
const HOST_NAVIGATION_WAIT_MS = 30_000;
/** How long a "stopped" from the server waits for the customer's own, more precise word over the data channel. */
const STOP_DETAIL_WAIT_MS = 400;
/** While reconnecting, the host is asked for a new peer this often (its socket may have been down). */
const ASK_AGAIN_MS = 3_000;
/**
 * Automatic resyncs (a lost message, a view that diverged) wait at least this long after the
 * previous one, doubling while they keep coming (up to AUTO_RESYNC_MAX_GAP_MS): a page that
 * keeps diverging costs a snapshot now and then, never a storm of them.
 */
const AUTO_RESYNC_MIN_GAP_MS = 1_000;
const AUTO_RESYNC_MAX_GAP_MS = 60_000;
/** How long a resync waits for its snapshot before another may be asked for. */
const RESYNC_ANSWER_MS = 30_000;
/**
 * The agent never waits forever. Once the customer allowed, their page is on screen within a few
 * seconds or something is in the way (a firewall, no TURN server): say so after this long.
 */
export const CONNECT_TIMEOUT_MS = 20_000;
/** A customer who has not answered the consent prompt in this long is not going to. */
export const APPROVAL_TIMEOUT_MS = 3 * 60_000;

const connectTimeout = () => new CoviewError('ERR_CONNECT_TIMEOUT', "Couldn't connect to the customer's browser. Ask them to check their connection and share again.");
const approvalTimeout = () => new CoviewError('ERR_APPROVAL_TIMEOUT', "The customer didn't answer your request to see their screen. Ask them to look for it on their page, then join again.");
/** What the agent reads when the customer's fingerprint did not match its MAC (see handshake.ts). */
const tamperedError = () =>
  new CoviewError(
    'ERR_HANDSHAKE_TAMPERED',
    "The connection to the customer's browser was tampered with on the way (by the Coview server or the network), so it was refused before anything was shown. Tell your Coview administrator, and reach the customer another way.",
  );
/** What the agent reads when the customer's browser could not create a peer (it says so instead of an offer). */
const PEER_FAILED_MESSAGES = {
  ERR_WEBRTC_UNSUPPORTED: "The customer's browser can't share their screen. Ask them to open the page in another browser, such as Chrome, Firefox, Edge or Safari.",
  ERR_PEER: "Couldn't connect to the customer's browser. Ask them to check their connection and share again.",
  ERR_CONNECT_TIMEOUT: connectTimeout().message,
} as const;

export class AgentSession extends ObservableState<AgentState> {
  private socket: SignalingSocket | null = null;
  private peer: PeerLink | null = null;
  /** While relayed: the customer's page tries a peer connection beside the relay; it takes over once it connects. */
  private pending: { peer: PeerLink; number: number } | null = null;
  private channel: FramedChannel<AgentMessage, HostMessage> | null = null;
  private page: PageInfo | null = null;
  private ice: IceConfig = { iceServers: [] };
  private me: (Omit<SavedAgent, 'savedAt' | 'serverUrl' | 'secret'> & { keys: HandshakeKeys }) | null = null;
  /** Signals from the host, and session:ended, in order: each SDP's MAC is checked before the next. */
  private inbox: Promise<void> = Promise.resolve();
  /** Our signals, in order: each SDP waits for its MAC. */
  private outbox: Promise<void> = Promise.resolve();
  /** The number of the current peer connection; the host numbers each new one. */
  private peerNumber = 0;
  /** Who sends the relay frames we get (the host's id, from their `from`): our acks name it, so the server finds the link they settle. */
  private relayHostId = '';
  private askTimer: ReturnType<typeof setInterval> | undefined;
  private giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly saved = resumeSlot<SavedAgent>('coview.agent.v1', RESUME_WITHIN_MS);
  private readonly assembler = new SnapshotAssembler();
  /** A resync was asked for and its snapshot has not arrived yet. */
  private awaitingSnapshot = false;
  /** Automatic resyncs this session (the Automation API's data-coview-resyncs). */
  automaticResyncs = 0;
  private lastAutoResync = 0;
  private autoResyncGap = AUTO_RESYNC_MIN_GAP_MS;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  private requestedAssets = new Set<string>();
  /** The wait being timed before live (see CONNECT_TIMEOUT_MS), if any. */
  private wait: { status: 'waiting' | 'connecting'; timer: ReturnType<typeof setTimeout> } | null = null;
  /** Counts closeAll(): an await that comes back to another number belongs to a session that is over. */
  private generation = 0;

  constructor(private readonly options: AgentSessionOptions) {
    super({ status: 'idle' });
    // Every way into and out of a wait goes through setState: time the waits there, in one place.
    this.subscribe((state) => this.timeWaits(state.status));
  }

  async join(rawCode: string, name: string): Promise<void> {
    if (this.state.status === 'connecting' || this.state.status === 'waiting' || this.state.status === 'live' || this.state.status === 'reconnecting') return;
    const code = normalizeRoomCode(rawCode);
    if (!code) {
      return this.fail(new CoviewError('ERR_BAD_CODE', `That doesn't look like a share code: it has 9 letters and digits, like ${EXAMPLE_ROOM_CODE}.`));
    }
    // A session before this one in the same tab leaves nothing behind: the new host numbers its peers from 1.
    this.peerNumber = 0;
    this.page = null;
    this.requestedAssets.clear();
    this.automaticResyncs = 0;
    this.lastAutoResync = 0;
    this.autoResyncGap = AUTO_RESYNC_MIN_GAP_MS;
    this.setState({ status: 'connecting', code });
    const generation = this.generation;
    try {
      // The server only ever sees the room id; the code stays in this page.
      const [keys, socket] = await Promise.all([deriveKeys(code), this.connect()]);
      if (generation !== this.generation) return;
      const token = this.options.token;
      const joined = await request((s) => s.emitWithAck('agent:join', { room: keys!.roomId, name, ...(token ? { token } : {}) }), socket);
      // Left, timed out or failed meanwhile: this attempt is over.
      if (generation !== this.generation) return;
      this.ice = joined;
      // Without WebRTC only the server's relay could carry the session; without it, the customer's Allow could never lead anywhere.
      if (!webrtcSupported() && !joined.relay) {
        return this.giveUp(new CoviewError('ERR_WEBRTC_UNSUPPORTED', "This browser can't show the customer's screen: WebRTC is missing or turned off. Open the join page in another browser."));
      }
      this.me = { code, keys: keys!, agentId: joined.agentId, agentKey: joined.agentKey, name: joined.name };
      this.save();
      // The customer may have answered already (join:accepted arrives before this ack resolves).
      if (this.statusNow() === 'connecting' && !this.peer) this.setState({ status: 'waiting', code });
    } catch (error) {
      if (generation !== this.generation) return;
      this.closeAll();
      this.fail(withCode(error, code));
    }
  }

  /** Back to the start screen after a session ended or failed (the join page's "Join another session"). */
  reset(): void {
    if (this.state.status === 'ended' || this.state.status === 'error') this.setState({ status: 'idle' });
  }

  /** Sends to the customer's page while live (pointer, drawing, control); false when it could not. */
  send(message: AgentMessage): boolean {
    if (this.state.status !== 'live' || !this.channel) return false;
    try {
      this.channel.send(message);
      return true;
    } catch {
      return false;
    }
  }

  /** Carries on the session this tab had before a reload (or a crash). Returns false when there is none. */
  async resume(): Promise<boolean> {
    const saved = this.saved.load();
    if (!saved || saved.serverUrl !== this.options.serverUrl || this.state.status !== 'idle') return false;
    let keys: HandshakeKeys | null;
    try {
      keys = saved.secret ? await keysFromSecret(saved.secret) : await deriveKeys(saved.code);
    } catch {
      keys = null;
    }
    if (!keys || this.state.status !== 'idle') return false;
    this.me = { code: saved.code, keys, agentId: saved.agentId, agentKey: saved.agentKey, name: saved.name };
    this.setState({ status: 'reconnecting', code: saved.code, page: null, message: JOIN_EN.reconnectingResume, messageKey: 'reconnectingResume' });
    try {
      await this.connect();
      await this.reRegister();
      return true;
    } catch {
      this.saved.clear();
      this.closeAll();
      this.me = null;
      this.setState({ status: 'idle' });
      return false;
    }
  }

  /** The agent leaves; the customer is told at once, over the data channel and the server. */
  leave(): void {
    if (this.state.status === 'ended' || this.state.status === 'idle') return;
    try {
      this.channel?.send({ type: 'bye' });
    } catch {
      // The channel may be closed already; the server tells the customer too.
    }
    this.end('left');
  }

  /** The join page is unloading: it may be a reload, so the session is kept for the next page. */
  away(): void {
    if (this.state.status !== 'live' && this.state.status !== 'reconnecting') return;
    try {
      this.channel?.send({ type: 'away' });
    } catch {
      // Best effort: the customer's side notices the dropped peer anyway.
    }
    this.save();
  }

  private async connect(): Promise<SignalingSocket> {
    if (this.socket) return this.socket;
    const generation = this.generation;
    const socket = await connectSignaling(this.options.serverUrl);
    // The session was left while the socket opened (a new one may be opening its own): drop this one.
    if (generation !== this.generation) {
      socket.close();
      throw new CoviewError('ERR_CHANNEL_CLOSED', 'The session was closed while connecting.');
    }
    this.socket = socket;
    this.wireSocket(socket);
    onReconnect(socket, () => {
      if (!this.me) return;
      void this.reRegister().catch(() => {
        // A live peer carries on without the server; otherwise there is nothing to go back to.
        if (!this.peer?.connected) this.end('disconnected');
      });
    });
    return socket;
  }

  /** Tells the server (maybe a new one) who we are; after a restart the host may not be back yet. */
  private async reRegister(): Promise<void> {
    const me = this.me;
    const socket = this.socket;
    if (!me || !socket) return;
    let resumed;
    for (let attempt = 0; ; attempt++) {
      try {
        resumed = await request((s) => s.emitWithAck('agent:resume', { room: me.keys.roomId, agentId: me.agentId, agentKey: me.agentKey }), socket);
        break;
      } catch (error) {
        if (!(error instanceof CoviewError) || error.code !== 'ERR_ROOM_NOT_FOUND' || attempt >= 15) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    this.ice = resumed;
    if (resumed.status === 'pending') return this.setState({ status: 'waiting', code: me.code });
    if (!this.peer?.connected) this.askForPeer();
  }

  private wireSocket(socket: SignalingSocket): void {
    socket.on('join:declined', () => this.end('declined'));
    socket.on('join:accepted', () => {
      if (this.state.status === 'waiting') this.setState({ status: 'connecting', code: this.state.code });
    });
    socket.on('signal', ({ data, peer }) => this.queue(() => this.onSignal(data, peer ?? 1)));
    socket.on('relay', ({ from, peer, data }) => {
      const link = this.peer;
      // A frame of a link we just replaced: dropped, not refused (see host-session.ts).
      if (peer < this.peerNumber) return;
      if (!isRelayLink(link) || peer !== this.peerNumber) return void this.socket?.emit('relay:ack', { to: from, peer, count: 0, refused: true });
      this.relayHostId = from;
      // Acknowledged once handled (relay.ts acknowledges every few frames): the customer's window moves on only as fast as we take its frames.
      void link.receive(data);
    });
    socket.on('relay:ack', ({ peer, count, refused }) => {
      const link = this.peer;
      if (isRelayLink(link) && peer === this.peerNumber) link.acknowledged({ count, refused });
    });
    // After the signals before it: a host that refused a tampered handshake says so, then stops.
    socket.on('session:ended', ({ reason }) => this.queue(async () => this.onSessionEnded(reason)));
  }

  /** Runs `task` after everything queued before it, unless this session is over by then. */
  private queue(task: () => Promise<void>): void {
    const generation = this.generation;
    this.inbox = this.inbox
      .then(() => (generation === this.generation ? task() : undefined))
      .catch((error: unknown) => console.warn('[coview] could not handle a signal:', error));
  }

  /**
   * A signal from the host for peer `number`: an SDP must carry the MAC of its fingerprints under
   * the code's key (handshake.ts), else the connection is refused as tampered and never goes live.
   */
  private async onSignal(data: unknown, number: number): Promise<void> {
    const me = this.me;
    if (!me) return;
    // The customer's browser could not create a peer: no offer is coming.
    const failure = peerFailureIn(data);
    if (failure) return this.giveUp(new CoviewError(failure.code, PEER_FAILED_MESSAGES[failure.code]));
    const from: HandshakeSide = { role: 'host', agentId: me.agentId, peer: number };
    if (await isTamperedNotice(me.keys, from, data)) return this.giveUp(tamperedError());
    if (number < this.peerNumber) return;
    const relay = relayNoticeIn(data);
    if (relay) return this.newRelay(number, relay.salt);
    // No WebRTC here: the customer's page gives up on its offer and turns to the relay in a few seconds.
    if (!webrtcSupported() && this.ice.relay) return;
    const opened = await openSignal(me.keys, from, data);
    if (this.me !== me || number < this.peerNumber || opened.kind === 'ignored') return;
    // A live relay is not dropped for an offer that may never connect: the new peer waits beside it.
    if (opened.kind === 'signal' && number > this.peerNumber && isRelayLink(this.peer) && this.peer.connected && this.state.status === 'live') {
      try {
        if (this.pending?.number !== number) this.newPending(number);
      } catch {
        return;
      }
      return this.pending?.peer.signal(opened.data);
    }
    if (opened.kind === 'tampered') {
      const notice = await tamperedNotice(me.keys, { role: 'agent', agentId: me.agentId, peer: number });
      this.socket?.emit('signal', { data: notice, peer: number });
      return this.giveUp(tamperedError());
    }
    try {
      if (number > this.peerNumber) this.newPeer(number);
    } catch (error) {
      return this.giveUp(error);
    }
    this.peer?.signal(opened.data);
  }

  private onSessionEnded(reason: EndReason): void {
    if (reason === 'host-left-site') return this.end('host-left', 'endLeftSite');
    // A live session runs peer to peer: losing the host's server connection alone does not end it (a relayed one it does).
    if (reason === 'host-left' && this.state.status === 'live' && this.peer?.connected && !isRelayLink(this.peer)) return;
    // The customer's page says why over the data channel too ("left the site"), and that word can
    // arrive a moment after the server's: give it a moment before ending as plainly "stopped".
    if (reason === 'host-stopped' && this.state.status === 'live' && this.peer?.connected) {
      setTimeout(() => this.end('stopped'), STOP_DETAIL_WAIT_MS);
      return;
    }
    this.end(reason === 'host-stopped' || reason === 'locked' ? 'stopped' : reason);
  }

  /**
   * Peer number `number` (a WebRTC offer or a relay link) takes the place of whatever we had. The
   * customer's page is back: the handshake gets its own time, not the reload wait.
   */
  private replacePeer(number: number): void {
    if (this.giveUpTimer !== undefined) this.giveUpAfter(HOST_NAVIGATION_WAIT_MS);
    this.dropPending();
    const old = this.peer;
    this.peer = null;
    this.channel = null;
    old?.destroy();
    this.peerNumber = number;
  }

  /** The host offers peer number `number`: it replaces whatever peer we had. */
  private newPeer(number: number): void {
    this.replacePeer(number);
    const name = this.me?.name ?? 'Support agent';
    const keys = this.me?.keys;
    if (!keys) throw new CoviewError('ERR_NOT_IN_ROOM', 'The session was closed.');
    const side: HandshakeSide = { role: 'agent', agentId: this.me!.agentId, peer: number };
    const peer = createPeer(
      { initiator: false, ...this.ice },
      {
        // Each SDP goes with the MAC of its fingerprints; candidates wait their turn behind it.
        signal: (data) => {
          this.outbox = this.outbox
            .then(() => sealSignal(keys, side, data))
            .then((sealed) => {
              if (this.peer === peer) this.socket?.emit('signal', { data: sealed, peer: number });
            })
            .catch((error: unknown) => console.warn('[coview] could not send a signal:', error));
        },
        connect: () => {
          if (this.peer === peer) this.linkUp(peer, name);
        },
        data: (frame) => {
          if (this.peer === peer) this.channel?.receive(frame);
        },
        close: () => {
          if (this.peer === peer) this.peerLost('reconnectingDropped');
        },
      },
    );
    this.peer = peer;
  }

  /** A peer connection tried beside the live relay (see onSignal): when it connects, it replaces the relay. */
  private newPending(number: number): void {
    const me = this.me;
    if (!me) return;
    this.dropPending();
    const side: HandshakeSide = { role: 'agent', agentId: me.agentId, peer: number };
    const peer = createPeer(
      { initiator: false, ...this.ice },
      {
        signal: (data) => {
          this.outbox = this.outbox
            .then(() => sealSignal(me.keys, side, data))
            .then((sealed) => {
              if (this.pending?.peer === peer || this.peer === peer) this.socket?.emit('signal', { data: sealed, peer: number });
            })
            .catch((error: unknown) => console.warn('[coview] could not send a signal:', error));
        },
        connect: () => {
          if (this.pending?.peer !== peer) return;
          const relay = this.peer;
          this.pending = null;
          this.peer = peer;
          this.peerNumber = number;
          relay?.destroy();
          this.linkUp(peer, me.name);
        },
        data: (frame) => {
          if (this.peer === peer) this.channel?.receive(frame);
        },
        close: () => {
          if (this.pending?.peer === peer) this.pending = null;
          else if (this.peer === peer) this.peerLost('reconnectingDropped');
        },
      },
    );
    this.pending = { peer, number };
  }

  private dropPending(): void {
    const pending = this.pending;
    this.pending = null;
    pending?.peer.destroy();
  }

  /** A peer connection or relay link is up: a fresh channel on it, and hello. */
  private linkUp(link: PeerLink, name: string): void {
    this.assembler.reset();
    this.awaitingSnapshot = false;
    this.channel = new FramedChannel<AgentMessage, HostMessage>(link, decodeHostMessage, {
      onMessage: (message) => this.onHostMessage(message),
      onError: (error) => console.warn('[coview] dropped a message from the customer:', error.message),
      // A lost change leaves the view wrong in ways no later change repairs: start again from a snapshot.
      onGap: (lane) => {
        if (lane === 'bulk') this.resync('gap');
      },
    },
    // The customer's side reads nothing compressed (its code carries no inflate): what the agent
    // sends is small (pointer, input, drawing) and goes as it is.
    { compress: null, streamCompressor: null, reader: fflateReader });
    this.channel.send({ type: 'hello', v: PROTOCOL_VERSION, name });
  }

  /**
   * The customer's page runs peer `number` over the server's relay (no peer connection came up
   * there): it replaces whatever peer we had, sealed end to end with keys from the code and both
   * sides' salts (relay-crypto.ts). Our salt goes back first; the customer's page waits for it
   * before it opens our frames.
   */
  private newRelay(number: number, hostSalt: string): void {
    const me = this.me;
    if (!me || !this.ice.relay) return;
    let host: Uint8Array;
    try {
      host = fromBase64Url(hostSalt);
    } catch {
      return;
    }
    if (host.length !== RELAY_SALT_BYTES) return;
    this.replacePeer(number);
    const salt = randomRelaySalt();
    const cipher = deriveRelayKeys(me.keys.secret, { role: 'agent', agentId: me.agentId, peer: number }, { host, agent: salt }).then((keys) => new RelayCipher(keys));
    const link = createRelayLink(
      {
        cipher,
        send: (data) => this.socket?.emit('relay', { peer: number, data }),
        acknowledge: (count) => this.socket?.emit('relay:ack', { to: this.relayHostId, peer: number, count }),
      },
      {
        connect: () => {
          if (this.peer === link) this.linkUp(link, me.name);
        },
        data: (frame) => {
          if (this.peer === link) this.channel?.receive(frame);
        },
        close: (error) => {
          if (this.peer !== link) return;
          if (error) console.warn('[coview] the relay to the customer ended:', error.code, error.message);
          this.peerLost('reconnectingDropped');
        },
      },
    );
    this.peer = link;
    this.socket?.emit('signal', { data: { type: 'coview:relay', salt: toBase64Url(salt) }, peer: number });
  }

  /**
   * Asks the customer's page for a fresh full snapshot: at once for the agent's Resync button;
   * rate-limited when automatic (a lost message, a view that diverged), counted, shown quietly as
   * "Re-syncing…" and noted in the console panel.
   */
  resync(reason: ResyncReason = 'requested'): void {
    if (this.state.status !== 'live' || !this.channel) return;
    if (reason === 'requested') {
      this.awaitingSnapshot = true;
      return this.channel.send({ type: 'resync', reason });
    }
    // A burst of gaps or divergences needs one snapshot, not one each.
    if (this.awaitingSnapshot || this.resyncTimer !== undefined) return;
    const now = Date.now();
    // Quiet for a while: back to the shortest wait.
    if (now - this.lastAutoResync > AUTO_RESYNC_MAX_GAP_MS) this.autoResyncGap = AUTO_RESYNC_MIN_GAP_MS;
    const wait = Math.max(0, this.lastAutoResync + this.autoResyncGap - now);
    this.setState({ ...this.state, resyncing: true });
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.state.status !== 'live' || !this.channel) return;
      this.lastAutoResync = Date.now();
      this.autoResyncGap = Math.min(AUTO_RESYNC_MAX_GAP_MS, this.autoResyncGap * 2);
      this.automaticResyncs++;
      this.awaitingSnapshot = true;
      // A customer's page that cannot answer must not silence every later resync.
      setTimeout(() => {
        if (this.awaitingSnapshot) this.snapshotArrived();
      }, RESYNC_ANSWER_MS);
      this.options.record?.({ type: 'console', level: 'warn', text: `[Coview] The view was out of step with the customer's page (${reason === 'gap' ? 'a message was lost' : 'a change could not be shown'}): fetching a fresh copy.` });
      this.channel.send({ type: 'resync', reason });
    }, wait);
  }

  /** The view no longer matches the customer's page (the viewer says so): heal it with a resync. */
  diverged(): void {
    this.resync('diverged');
  }

  /** A whole snapshot is in: any resync that was asked for is answered. */
  private snapshotArrived(): void {
    this.awaitingSnapshot = false;
    if (this.state.status === 'live' && this.state.resyncing && this.resyncTimer === undefined) this.setState({ ...this.state, resyncing: false });
  }

  /** Asks the customer's browser for a file the agent's browser could not load. */
  requestAsset(url: string): void {
    if (this.state.status !== 'live' || !this.channel || this.requestedAssets.has(url)) return;
    this.requestedAssets.add(url);
    this.channel.send({ type: 'asset-request', url });
  }

  /** Shows "Reconnecting…" over the last frame and asks the host for a new peer until one comes. */
  private peerLost(messageKey: ReconnectKey, ask = true): void {
    this.dropPending();
    const peer = this.peer;
    this.peer = null;
    this.channel = null;
    peer?.destroy();
    const state = this.state;
    if (state.status === 'live' || state.status === 'connecting' || state.status === 'reconnecting') {
      this.setState({ status: 'reconnecting', code: state.code, page: this.page, message: JOIN_EN[messageKey], messageKey });
      if (ask) this.askForPeer();
    }
  }

  private askForPeer(): void {
    clearInterval(this.askTimer);
    const ask = () => {
      if (this.peer?.connected && this.state.status === 'live') return clearInterval(this.askTimer);
      this.socket?.emit('peer:restart', { peer: this.peerNumber });
    };
    ask();
    this.askTimer = setInterval(ask, ASK_AGAIN_MS);
  }

  private onHostMessage(message: HostMessage): void {
    // The view shows parts as they come; the assembler checks they fit together and gives the
    // timeline (which keeps whole snapshots as keyframes) the whole page.
    let toRecord: HostMessage[];
    try {
      toRecord = this.assembler.forRecord(message);
    } catch (error) {
      console.warn('[coview] a snapshot arrived broken; asking for another:', error);
      return this.resync('gap');
    }
    if (toRecord.some((each) => each.type === 'snapshot')) this.snapshotArrived();
    toRecord.forEach((each) => this.options.record?.(each));
    if (message.type === 'hello') {
      // An older widget (a cached copy, a site's own bundle) speaks a subset of this page's protocol.
      if (!READABLE_PROTOCOL_VERSIONS.includes(message.v)) {
        this.closeAll();
        return this.fail(new CoviewError('ERR_PROTOCOL_VERSION', `The customer's widget speaks protocol v${message.v}; this page speaks v${PROTOCOL_VERSION}. Reload the join page.`));
      }
      this.page = message.page;
      return;
    }
    if (message.type === 'end') return this.onHostEnd(message.reason);
    try {
      this.options.onHostMessage(message);
    } catch (error) {
      if (!startsSnapshot(message)) return console.warn('[coview] could not show a change:', error);
      // Without a first picture there is nothing to show: say so rather than sit on a blank view.
      this.closeAll();
      return this.fail(new CoviewError('ERR_MALFORMED_MESSAGE', "The customer's page could not be shown. Ask them to reload it and share again.", { cause: error }));
    }
    const state = this.state;
    if (startsSnapshot(message) && (state.status === 'connecting' || state.status === 'reconnecting')) {
      clearTimeout(this.giveUpTimer);
      this.giveUpTimer = undefined;
      clearInterval(this.askTimer);
      this.setState({ status: 'live', code: state.code, page: this.page, transport: isRelayLink(this.peer) ? 'relayed' : 'direct' });
    } else if (startsSnapshot(message) && state.status === 'live') {
      // A new link while live (the relay gave way to a peer connection): say so.
      const transport = isRelayLink(this.peer) ? 'relayed' : 'direct';
      if (state.transport !== transport) this.setState({ ...state, transport });
    }
  }

  private onHostEnd(reason: Extract<HostMessage, { type: 'end' }>['reason']): void {
    switch (reason) {
      case 'stopped':
        return this.end('stopped');
      case 'left-site':
        return this.end('host-left', 'endLeftSite');
      case 'navigating':
        return this.hostAway('reconnectingNavigating', HOST_NAVIGATION_WAIT_MS);
      case 'unloaded':
        return this.hostAway('reconnectingReloading', HOST_RELOAD_WAIT_MS);
    }
  }

  /** The customer's page went away; if it comes back in time (a new peer), the session goes on. */
  private hostAway(messageKey: ReconnectKey, waitMs: number): void {
    // Nobody to ask yet: the customer's next page offers a new peer itself.
    this.peerLost(messageKey, false);
    this.giveUpAfter(waitMs);
  }

  private giveUpAfter(ms: number): void {
    clearTimeout(this.giveUpTimer);
    this.giveUpTimer = setTimeout(() => {
      this.giveUpTimer = undefined;
      if (this.state.status === 'reconnecting') this.end('host-left');
    }, ms);
  }

  private end(reason: AgentEndReason, messageKey: EndKey = END_KEYS[reason]): void {
    if (this.state.status === 'ended') return;
    this.saved.clear();
    // Whatever ended it, the server can forget us now.
    this.leaveServer();
    this.closeAll();
    this.me = null;
    this.setState({ status: 'ended', reason, message: JOIN_EN[messageKey], messageKey });
  }

  /** Times the waits before live: 'waiting' by APPROVAL_TIMEOUT_MS, 'connecting' by CONNECT_TIMEOUT_MS. */
  private timeWaits(status: AgentState['status']): void {
    const next = nextWait(this.wait?.status ?? null, status);
    if (next === 'keep') return;
    clearTimeout(this.wait?.timer);
    this.wait = null;
    if (!next) return;
    const [ms, error] = next === 'waiting' ? [APPROVAL_TIMEOUT_MS, approvalTimeout] : [CONNECT_TIMEOUT_MS, connectTimeout];
    const timer = setTimeout(() => {
      this.wait = null;
      // The customer allowed and waits on "Connecting…" too: they are told why, not only that we left.
      if (next === 'connecting') this.socket?.emit('signal', { data: { type: 'coview:peer-failed', code: 'ERR_CONNECT_TIMEOUT' }, peer: this.peerNumber });
      this.giveUp(error());
    }, ms);
    this.wait = { status: next, timer };
  }

  /** Gives up on this session with a clear error; the server forgets us, so the customer is not left asking. */
  private giveUp(error: unknown): void {
    this.saved.clear();
    this.leaveServer();
    this.closeAll();
    this.me = null;
    this.fail(error);
  }

  /** Tells the server this agent is gone (the customer then gets a new code at once) and lets go of the socket. */
  private leaveServer(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) closeAfterLastWord(socket, 'agent:leave');
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const errorCode = error instanceof CoviewError ? error.code : 'ERR_UNKNOWN';
    this.setState({ status: 'error', message, errorCode });
  }

  private save(): void {
    if (!this.me) return;
    const { keys, ...me } = this.me;
    this.saved.save({ savedAt: Date.now(), serverUrl: this.options.serverUrl, ...me, secret: keys.secret });
  }

  /** The status now, after awaits (TypeScript would keep the narrowed one from before them). */
  private statusNow(): AgentState['status'] {
    return this.state.status;
  }

  private closeAll(): void {
    this.generation++;
    clearInterval(this.askTimer);
    clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    clearTimeout(this.giveUpTimer);
    this.giveUpTimer = undefined;
    this.dropPending();
    const peer = this.peer;
    this.peer = null;
    this.channel = null;
    peer?.destroy();
    this.socket?.close();
    this.socket = null;
  }
}

/** The server no longer knows the code it was asked about: the agent reads which one it was. */
function withCode(error: unknown, code: string): unknown {
  if (!(error instanceof CoviewError) || error.code !== 'ERR_ROOM_NOT_FOUND') return error;
  return new CoviewError(error.code, error.message.replace('this code', `the code ${code}`), { cause: error });
}

/** The message that puts the customer's page on screen: a whole snapshot, or the first part of one. */
function startsSnapshot(message: HostMessage): boolean {
  return message.type === 'snapshot' || (message.type === 'snapshot-part' && message.nodes[0]?.parentId === null);
}
