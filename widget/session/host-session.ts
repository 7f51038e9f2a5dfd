import { NodeIds } from '../host/node-ids.js';
import { CoviewError, decodeAgentMessage, PROTOCOL_VERSION, type AgentMessage, type ControlState, type EndOfPage, type HostMessage, type IceConfig } from '../protocol/index.js';
import { fetchPageAsset, pageFontUrls } from '../host/assets.js';
import { startCapture } from '../host/capture.js';
import { HostControl } from '../host/control.js';
import { startDevtoolsCapture } from '../host/devtools.js';
import { pageInfo } from '../host/page-info.js';
import { createPrivacy, maskText, redactText, redactUrl, type Privacy, type PrivacyOptions } from '../host/privacy.js';
import { ObservableState } from './observable-state.js';
import { resumeSlot } from './resume-store.js';
import { FramedChannel } from '../transport/channel.js';
import { createPeer, type PeerLink } from '../transport/peer.js';
import { connectSignaling, onReconnect, request, type SignalingSocket } from '../transport/signaling-client.js';

/** Sent ahead of queued bulk data: the agent should see the pointer move even during a big snapshot. */
const PRIORITY_TYPES = new Set<HostMessage['type']>(['pointer', 'click', 'scroll', 'viewport']);

export interface Agent {
  id: string;
  name: string;
}

/** What the customer sees in the widget. */
export type HostState =
  | { status: 'idle'; notice?: string }
  | { status: 'starting' }
  | { status: 'waiting'; code: string; notice?: string }
  | { status: 'asking'; code: string; agent: Agent }
  | { status: 'connecting'; code: string; agent: Agent }
  | { status: 'sharing'; code: string; agent: Agent; control?: ControlState }
  /** The connection to the agent dropped (network, reload on either side); a new one is on its way. */
  | { status: 'reconnecting'; code: string; agent: Agent }
  | { status: 'error'; message: string };

export interface StartOptions extends PrivacyOptions {
  /**
   * Decides join requests without showing the consent prompt (automation, kiosks, tests).
   * Return true to allow. Without it the customer is always asked.
   */
  onJoinRequest?: (agent: Agent) => boolean | Promise<boolean>;
  /** Decides the agent's request for remote control without the prompt. Return true to grant. */
  onControlRequest?: (agent: Agent) => boolean | Promise<boolean>;
}

/** The agent's pointer, laser and drawing, for the widget's overlay (page coordinates). */
export type AgentAnnotation = Extract<AgentMessage, { type: 'pointer' | 'laser' | 'draw' }> | { type: 'clear' };

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
  hostId: string;
  hostKey: string;
  agent: Agent | null;
  peer: number;
  /** The privacy rules `start()` was given: the next page masks exactly what this one did. */
  privacy: PrivacyOptions;
}

/** A page load in the same tab within this long resumes; longer, and the customer starts again. */
const RESUME_WITHIN_MS = 10 * 60_000;
/** How long an agent whose join page unloaded has to come back before they count as gone. */
const AGENT_RETURN_MS = 5_000;
const RETRY_MAX_MS = 5_000;

interface Live {
  agent: Agent;
  peer: PeerLink | null;
  channel: FramedChannel<HostMessage, AgentMessage> | null;
  /** Node ids shared by capture and the control executor; emptied when capture restarts. */
  mirror: NodeIds;
  stopCapture: (() => void) | null;
  stopDevtools: (() => void) | null;
  control: HostControl | null;
  /** Files already sent on this peer (by URL); the agent caches them by content hash. */
  sentAssets: Set<string>;
}

function newLive(agent: Agent): Live {
  return { agent, peer: null, channel: null, mirror: new NodeIds(), stopCapture: null, stopDevtools: null, control: null, sentAssets: new Set() };
}

/**
 * The customer's side of a session: share code, consent, one peer per approved agent, and
 * capture that starts only once that agent's data channel is open. When the peer fails, a new
 * one is signaled (numbered, so both sides know which is current) and capture starts afresh, so
 * the agent resyncs from a new snapshot and nothing that changed meanwhile is lost.
 */
export class HostSession extends ObservableState<HostState> {
  private socket: SignalingSocket | null = null;
  private ice: IceConfig = { iceServers: [] };
  private startOptions: StartOptions = {};
  private room: { code: string; hostId: string; hostKey: string } | null = null;
  private live: Live | null = null;
  /** The number of the newest peer connection; signals for older ones are stale. */
  private peerNumber = 0;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private awayTimer: ReturnType<typeof setTimeout> | undefined;
  private navigatingTo: string | null = null;
  private readonly saved = resumeSlot<SavedHost>('coview.host.v1', RESUME_WITHIN_MS);
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
      this.navigatingTo = (event as Event & { destination?: { url?: string } }).destination?.url ?? null;
    });
  }

  async start(options: StartOptions = {}): Promise<{ code: string }> {
    if ('code' in this.state) return { code: this.state.code };
    if (this.state.status === 'starting') throw new CoviewError('ERR_ALREADY_SHARING', 'Sharing is already starting.');
    // Bad privacy options fail here, before a code exists or anything could be captured.
    this.setPrivacy(stripUndefined({ maskSelector: options.maskSelector, blockSelector: options.blockSelector, maskAllInputs: options.maskAllInputs, privateByDefault: options.privateByDefault }));
    this.startOptions = options;
    this.setState({ status: 'starting' });
    try {
      const socket = await this.connect();
      const code = await this.newRoom(socket);
      this.setState({ status: 'waiting', code });
      return { code };
    } catch (error) {
      this.closeSocket();
      const message = error instanceof Error ? error.message : String(error);
      this.setState({ status: 'error', message });
      throw error;
    }
  }

  /**
   * Carries on a session that a previous page of this tab started (reload, or a link on the same
   * site): same code, same agent, no new consent. Returns false when there is nothing to resume.
   */
  async resume(): Promise<boolean> {
    const saved = this.saved.load();
    if (!saved || saved.serverUrl !== this.options.serverUrl || 'code' in this.state) return false;
    try {
      this.setPrivacy(saved.privacy ?? {});
    } catch {
      return false;
    }
    this.room = { code: saved.code, hostId: saved.hostId, hostKey: saved.hostKey };
    this.peerNumber = saved.peer;
    if (saved.agent) {
      this.live = newLive(saved.agent);
      this.setState({ status: 'reconnecting', code: saved.code, agent: saved.agent });
    } else {
      this.setState({ status: 'starting' });
    }
    try {
      await this.connect();
      await this.reRegister();
      return true;
    } catch {
      this.saved.clear();
      this.teardownLive();
      this.closeSocket();
      this.room = null;
      this.setState({ status: 'idle', notice: 'Your sharing session has ended. Start again if you need help.' });
      return false;
    }
  }

  /** The customer's answer to the consent prompt. */
  decide(allow: boolean): void {
    if (this.state.status !== 'asking') return;
    const { agent, code } = this.state;
    this.socket?.emit('host:decide', { agentId: agent.id, allow });
    if (!allow) return this.setState({ status: 'waiting', code, notice: `You declined ${agent.name}.` });
    this.setState({ status: 'connecting', code, agent });
    this.live = newLive(agent);
    this.startPeer();
  }

  /** Ends sharing for everyone, at once. */
  async stop(): Promise<void> {
    const wasSharing = this.live !== null;
    this.saved.clear();
    await this.endLive('stopped');
    this.socket?.emit('host:stop');
    this.closeSocket();
    this.room = null;
    this.setState(wasSharing ? { status: 'idle', notice: 'You stopped sharing.' } : { status: 'idle' });
  }

  /** The customer's answer to the agent's request for control. */
  decideControl(allow: boolean): void {
    this.live?.control?.decide(allow);
  }

  /** "Take back control": immediate; the agent is told at once. */
  revokeControl(): void {
    this.live?.control?.revoke();
  }

  /** The agent's pointer and drawings, for the overlay; returns the unsubscribe function. */
  onAnnotation(listener: (annotation: AgentAnnotation) => void): () => void {
    this.annotationListeners.add(listener);
    return () => this.annotationListeners.delete(listener);
  }

  private annotate(annotation: AgentAnnotation): void {
    for (const listener of this.annotationListeners) listener(annotation);
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

  private async newRoom(socket: SignalingSocket): Promise<string> {
    const room = await request((s) => s.emitWithAck('host:create'), socket);
    this.ice = room;
    this.room = { code: room.code, hostId: room.hostId, hostKey: room.hostKey };
    this.save();
    return room.code;
  }

  /** Tells the server (maybe a new one) about our room, and gets the agent back if there is one. */
  private async reRegister(): Promise<void> {
    const socket = this.socket;
    const room = this.room;
    if (!socket || !room) return;
    const agent = this.live?.agent ?? null;
    const resumed = await request((s) => s.emitWithAck('host:resume', { ...room, agents: agent ? [agent] : [] }), socket);
    this.ice = resumed;
    if (agent && this.live) {
      if (resumed.agents.some((a) => a.id === agent.id && a.status === 'accepted')) {
        if (!this.live.peer?.connected) this.startPeer();
      } else {
        await this.agentGone(`${agent.name} left.`);
      }
      return;
    }
    if (this.state.status === 'starting') this.setState({ status: 'waiting', code: room.code });
  }

  private lostRoom(error: unknown): void {
    // The server no longer knows our room (it expired while we were away): a live peer carries on
    // regardless; without one there is nothing left to share.
    if (this.live?.peer?.connected) return;
    console.warn('[coview] could not resume sharing:', error);
    this.saved.clear();
    this.teardownLive();
    this.closeSocket();
    this.room = null;
    this.setState({ status: 'idle', notice: 'Sharing ended: the connection was lost for too long.' });
  }

  private wireSocket(socket: SignalingSocket): void {
    socket.on('agent:request', (agent) => void this.onAgentRequest({ id: agent.agentId, name: agent.name || 'Support agent' }));
    socket.on('agent:left', ({ agentId }) => {
      if (this.live?.agent.id === agentId) void this.agentGone(`${this.live.agent.name} left.`);
      else if (this.state.status === 'asking' && this.state.agent.id === agentId) this.backToWaiting(`${this.state.agent.name} left.`);
    });
    socket.on('signal', ({ from, data, peer }) => {
      if (this.live?.agent.id === from && (peer === undefined || peer === this.peerNumber)) this.live.peer?.signal(data);
    });
    socket.on('peer:restart', ({ from, peer }) => {
      const live = this.live;
      if (live?.agent.id !== from) return;
      // 0: the agent reloaded and has no peer. Older numbers ask about a peer we already replaced,
      // unless ours has not connected either.
      if (peer === 0 || peer >= this.peerNumber || !live.peer?.connected) this.startPeer();
    });
    socket.on('session:ended', ({ reason }) => {
      void this.endLive('stopped');
      this.saved.clear();
      this.closeSocket();
      this.room = null;
      const notice =
        reason === 'expired'
          ? 'Your share code expired. Start again for a new one.'
          : reason === 'locked'
            ? 'Too many attempts to join with your code, so it was locked. Start again for a new one.'
            : 'Sharing ended.';
      this.setState({ status: 'idle', notice });
    });
  }

  private async onAgentRequest(agent: Agent): Promise<void> {
    const state = this.state;
    // One agent at a time: others are turned away while someone is being asked or connected.
    if (state.status !== 'waiting') return void this.socket?.emit('host:decide', { agentId: agent.id, allow: false });
    this.setState({ status: 'asking', code: state.code, agent });
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

  /** A new peer connection to the live agent, replacing whatever was there. */
  private startPeer(): void {
    const live = this.live;
    if (!live) return;
    clearTimeout(this.retryTimer);
    clearTimeout(this.awayTimer);
    this.dropPeer(live);
    const number = ++this.peerNumber;
    this.save();
    const { agent } = live;
    const peer = createPeer(
      { initiator: true, ...this.ice },
      {
        signal: (data) => this.socket?.emit('signal', { to: agent.id, data, peer: number }),
        connect: () => this.onPeerConnected(peer),
        data: (frame) => {
          if (live.peer === peer) live.channel?.receive(frame);
        },
        close: () => {
          if (this.live === live && live.peer === peer) this.peerLost(live);
        },
      },
    );
    live.peer = peer;
  }

  /** The peer failed: say so, and try a new one (backing off) until the agent answers or leaves. */
  private peerLost(live: Live): void {
    this.dropPeer(live);
    if (this.room) this.setState({ status: 'reconnecting', code: this.room.code, agent: live.agent });
    const delay = Math.min(RETRY_MAX_MS, 250 * 2 ** this.retries++);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.startPeer(), delay);
  }

  private dropPeer(live: Live): void {
    const peer = live.peer;
    live.peer = null;
    live.channel = null;
    this.stopCaptures(live);
    peer?.destroy();
  }

  /** Capture, devtools and control belong to one peer: a new peer starts them afresh. */
  private stopCaptures(live: Live): void {
    live.stopCapture?.();
    live.stopCapture = null;
    live.stopDevtools?.();
    live.stopDevtools = null;
    if (live.control) {
      live.control = null;
      // Control ends with the connection; the agent asks again on the next one.
      if (this.state.status === 'sharing' && this.live === live) this.setState({ ...this.state, control: 'off' });
    }
    this.annotate({ type: 'clear' });
  }

  private onPeerConnected(peer: PeerLink): void {
    const live = this.live;
    if (!live || live.peer !== peer || !this.room) return;
    this.retries = 0;
    const channel = new FramedChannel<HostMessage, AgentMessage>(peer, decodeAgentMessage, {
      onMessage: (message) => this.onAgentMessage(live, message),
      onError: (error) => console.warn('[coview] dropped a message from the agent:', error.message),
    });
    live.channel = channel;
    live.sentAssets = new Set();
    // The address can carry tokens (reset links, OAuth): its query values are redacted like any URL.
    const info = pageInfo();
    const page = { ...info, url: redactUrl(info.url), title: this.privacy.options.privateByDefault ? maskText(info.title) : info.title };
    channel.send({ type: 'hello', v: PROTOCOL_VERSION, page });
    live.control = new HostControl({
      mirror: live.mirror,
      privacy: this.privacy,
      ignore: this.options.ignore,
      onState: (control) => {
        channel.send({ type: 'control', state: control });
        if (this.state.status === 'sharing' && this.live === live) this.setState({ ...this.state, control });
      },
      onRefused: (action, reason) => channel.send({ type: 'control-refused', action: action.type, reason }),
    });
    // A fresh capture for every new peer: the agent resyncs from a new snapshot.
    if (!this.startCapture(live)) return;
    // The Console and Network panels: the widget's own signaling requests are not the page's.
    const signalingPath = new URL('/socket.io/', this.options.serverUrl).href;
    const privacy = this.privacy;
    live.stopDevtools = startDevtoolsCapture({
      emit: (message) => channel.send(message),
      ignoreUrl: (url) => url.startsWith(signalingPath),
      wrapFetch: this.options.wrapFetch,
      // Console text is the page's own words: the site's masking rules and secret patterns apply.
      redactText: (text) => redactText(text, { secrets: privacy.secretValues(document) }),
    });
    // Fonts the agent may not be able to load: an agent cannot tell that a font failed, so send them now.
    for (const url of pageFontUrls(document)) void this.sendAsset(live, url);
    this.setState({ status: 'sharing', code: this.room.code, agent: live.agent });
    this.save();
  }

  /** (Re)starts capture from a full snapshot; false if this page cannot be captured at all. */
  private startCapture(live: Live): boolean {
    const channel = live.channel;
    if (!channel) return false;
    live.stopCapture?.();
    live.mirror.reset();
    try {
      live.stopCapture = startCapture({
        emit: (message) => channel.send(message, PRIORITY_TYPES.has(message.type) ? 'priority' : 'bulk'),
        ignore: this.options.ignore,
        privacy: this.privacy,
        mirror: live.mirror,
        onError: (error) => console.warn('[coview] capture error:', error),
      });
      return true;
    } catch (error) {
      // A page the snapshot cannot read must not break: the agent is told, the page goes on.
      console.error('[coview] could not capture this page:', error);
      void this.endLive('stopped', 'This page could not be shared.');
      return false;
    }
  }

  private async sendAsset(live: Live, url: string): Promise<void> {
    const channel = live.channel;
    if (!channel || live.sentAssets.has(url)) return;
    live.sentAssets.add(url);
    try {
      const asset = await fetchPageAsset(document, url);
      if (live.channel === channel) channel.send(asset);
    } catch (error) {
      console.warn('[coview] could not send a file to the agent:', error);
    }
  }

  private onAgentMessage(live: Live, message: AgentMessage): void {
    switch (message.type) {
      case 'bye':
        return void this.agentGone(`${live.agent.name} left.`);
      case 'away':
        return this.agentAway(live);
      case 'pointer':
      case 'laser':
      case 'draw':
        return this.annotate(message);
      case 'control-request':
        live.control?.request();
        if (live.control?.current === 'asking' && this.startOptions.onControlRequest) {
          void Promise.resolve()
            .then(() => this.startOptions.onControlRequest!(live.agent))
            .then((allow) => allow === true, () => false)
            .then((allow) => live.control?.decide(allow));
        }
        return;
      case 'control-release':
        return live.control?.revoke();
      case 'act':
        return live.control?.act(message.action);
      case 'resync':
        // The agent's copy may be stale (it lost a message, or asked): start again from a snapshot.
        this.startCapture(live);
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
    if (this.room) this.setState({ status: 'reconnecting', code: this.room.code, agent: live.agent });
    clearTimeout(this.awayTimer);
    this.awayTimer = setTimeout(() => {
      if (this.live !== live || live.peer?.connected) return;
      this.socket?.emit('host:decide', { agentId: live.agent.id, allow: false });
      void this.agentGone(`${live.agent.name} left.`);
    }, AGENT_RETURN_MS);
  }

  /** The agent is gone for good: the code was single-use, so the customer gets a fresh one. */
  private async agentGone(notice: string): Promise<void> {
    await this.endLive('stopped');
    const socket = this.socket;
    if (!socket) return;
    try {
      const code = await this.newRoom(socket);
      this.setState({ status: 'waiting', code, notice });
    } catch (error) {
      this.setState({ status: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  private onPageHide(): void {
    const destination = this.navigatingTo;
    this.navigatingTo = null;
    if (!this.room) return;
    let sameSite = false;
    try {
      sameSite = destination !== null && new URL(destination, location.href).origin === location.origin;
    } catch {
      sameSite = false;
    }
    if (destination !== null && !sameSite) {
      // Leaving the site ends sharing: the agent is told plainly, and nothing resumes.
      this.saved.clear();
      void this.endLive('left-site');
      this.socket?.emit('host:stop');
      return;
    }
    // A page of this site (or this page, reloaded) may pick up where this one leaves off.
    this.save();
    void this.endLive(sameSite ? 'navigating' : 'unloaded');
  }

  /** Tells the agent (best effort, over the data channel) and closes the peer. */
  private async endLive(reason: EndOfPage, notice?: string): Promise<void> {
    const live = this.live;
    if (!live) return;
    const channel = live.channel;
    const peer = live.peer;
    this.teardownLive();
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
    if (notice) this.backToWaiting(notice);
  }

  private teardownLive(): void {
    const live = this.live;
    if (!live) return;
    this.live = null;
    clearTimeout(this.retryTimer);
    clearTimeout(this.awayTimer);
    this.stopCaptures(live);
  }

  private save(): void {
    if (!this.room) return;
    this.saved.save({ savedAt: Date.now(), serverUrl: this.options.serverUrl, ...this.room, agent: this.live?.agent ?? null, peer: this.peerNumber, privacy: this.privacyOptions });
  }

  private backToWaiting(notice: string): void {
    if (!('code' in this.state)) return;
    this.setState({ status: 'waiting', code: this.state.code, notice });
  }

  private closeSocket(): void {
    this.socket?.close();
    this.socket = null;
  }
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
