import { createMirror } from 'rrweb-snapshot';
import { CoviewError, decodeAgentMessage, PROTOCOL_VERSION, type AgentMessage, type ControlState, type HostMessage, type IceServer } from '../protocol/index.js';
import { fetchPageAsset, pageFontUrls } from '../host/assets.js';
import { startCapture } from '../host/capture.js';
import { HostControl } from '../host/control.js';
import { startDevtoolsCapture } from '../host/devtools.js';
import { pageInfo } from '../host/page-info.js';
import { createPrivacy, maskText, redactUrl, type Privacy, type PrivacyOptions } from '../host/privacy.js';
import { ObservableState } from './observable-state.js';
import { FramedChannel } from '../transport/channel.js';
import { createPeer, type PeerLink } from '../transport/peer.js';
import { connectSignaling, request, type SignalingSocket } from '../transport/signaling-client.js';

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

/**
 * The customer's side of a session: share code, consent, one peer per approved agent, and
 * capture that starts only once that agent's data channel is open.
 */
export class HostSession extends ObservableState<HostState> {
  private socket: SignalingSocket | null = null;
  private iceServers: IceServer[] = [];
  private startOptions: StartOptions = {};
  /** Files already sent to this agent (by URL); the agent caches them by content hash. */
  private sentAssets = new Set<string>();
  private live: {
    agent: Agent;
    peer: PeerLink;
    channel: FramedChannel<HostMessage, AgentMessage> | null;
    /** Node ids shared by capture and the control executor; emptied when capture restarts. */
    mirror: ReturnType<typeof createMirror>;
    stopCapture: (() => void) | null;
    stopDevtools: (() => void) | null;
    control: HostControl | null;
  } | null = null;
  private privacy: Privacy = createPrivacy();
  private readonly annotationListeners = new Set<(annotation: AgentAnnotation) => void>();

  constructor(private readonly options: HostSessionOptions) {
    super({ status: 'idle' });
    // Leaving the page ends what it shared; the agent is told rather than left waiting.
    addEventListener('pagehide', () => this.endLive('unloaded'));
  }

  async start(options: StartOptions = {}): Promise<{ code: string }> {
    if ('code' in this.state) return { code: this.state.code };
    if (this.state.status === 'starting') throw new CoviewError('ERR_ALREADY_SHARING', 'Sharing is already starting.');
    // Bad privacy options fail here, before a code exists or anything could be captured.
    this.privacy = createPrivacy({ ...this.options.defaults, ...stripUndefined(options) });
    this.startOptions = options;
    this.setState({ status: 'starting' });
    try {
      const socket = this.socket ?? (this.socket = this.wireSocket(await connectSignaling(this.options.serverUrl)));
      const room = await request((s) => s.emitWithAck('host:create'), socket);
      this.iceServers = room.iceServers;
      this.setState({ status: 'waiting', code: room.code });
      return { code: room.code };
    } catch (error) {
      this.closeSocket();
      const message = error instanceof Error ? error.message : String(error);
      this.setState({ status: 'error', message });
      throw error;
    }
  }

  /** The customer's answer to the consent prompt. */
  decide(allow: boolean): void {
    if (this.state.status !== 'asking') return;
    const { agent, code } = this.state;
    this.socket?.emit('host:decide', { agentId: agent.id, allow });
    if (!allow) return this.setState({ status: 'waiting', code, notice: `You declined ${agent.name}.` });
    this.setState({ status: 'connecting', code, agent });
    this.connectPeer(agent);
  }

  /** Ends sharing for everyone, at once. */
  async stop(): Promise<void> {
    const wasSharing = this.live !== null;
    await this.endLive('stopped');
    this.socket?.emit('host:stop');
    this.closeSocket();
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

  private onAgentMessage(message: AgentMessage): void {
    const live = this.live;
    if (!live) return;
    switch (message.type) {
      case 'bye':
        return void this.endLive('stopped', `${live.agent.name} left.`);
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
        this.startCapture();
        return;
      case 'asset-request':
        return void this.sendAsset(message.url);
      case 'hello':
        return;
    }
  }

  private wireSocket(socket: SignalingSocket): SignalingSocket {
    socket.on('agent:request', (agent) => void this.onAgentRequest({ id: agent.agentId, name: agent.name || 'Support agent' }));
    socket.on('agent:left', ({ agentId }) => {
      if (this.live?.agent.id === agentId) void this.endLive('stopped', `${this.live.agent.name} left.`);
      else if (this.state.status === 'asking' && this.state.agent.id === agentId) this.backToWaiting(`${this.state.agent.name} left.`);
    });
    socket.on('signal', ({ from, data }) => {
      if (this.live?.agent.id === from) this.live.peer.signal(data);
    });
    socket.on('session:ended', ({ reason }) => {
      void this.endLive('stopped');
      this.closeSocket();
      this.setState({ status: 'idle', notice: reason === 'expired' ? 'Your share code expired. Start again for a new one.' : 'Sharing ended.' });
    });
    return socket;
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

  private connectPeer(agent: Agent): void {
    const peer = createPeer(
      { initiator: true, iceServers: this.iceServers },
      {
        signal: (data) => this.socket?.emit('signal', { to: agent.id, data }),
        connect: () => this.onPeerConnected(),
        data: (frame) => this.live?.channel?.receive(frame),
        close: (error) => {
          if (this.live?.peer !== peer) return;
          this.teardownLive();
          this.backToWaiting(error ? `The connection to ${agent.name} was lost.` : `${agent.name} left.`);
        },
      },
    );
    this.live = { agent, peer, channel: null, mirror: createMirror(), stopCapture: null, stopDevtools: null, control: null };
    this.sentAssets = new Set();
  }

  private onPeerConnected(): void {
    const live = this.live;
    if (!live || this.state.status !== 'connecting') return;
    const channel = new FramedChannel<HostMessage, AgentMessage>(live.peer, decodeAgentMessage, {
      onMessage: (message) => this.onAgentMessage(message),
      onError: (error) => console.warn('[coview] dropped a message from the agent:', error.message),
    });
    live.channel = channel;
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
    if (!this.startCapture()) return;
    // The Console and Network panels: the widget's own signaling requests are not the page's.
    const signalingPath = new URL('/socket.io/', this.options.serverUrl).href;
    live.stopDevtools = startDevtoolsCapture({ emit: (message) => channel.send(message), ignoreUrl: (url) => url.startsWith(signalingPath), wrapFetch: this.options.wrapFetch });
    // Fonts the agent may not be able to load: an agent cannot tell that a font failed, so send them now.
    for (const url of pageFontUrls(document)) void this.sendAsset(url);
    this.setState({ status: 'sharing', code: this.state.code, agent: live.agent });
  }

  /** (Re)starts capture from a full snapshot; false if this page cannot be captured at all. */
  private startCapture(): boolean {
    const live = this.live;
    const channel = live?.channel;
    if (!live || !channel) return false;
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



  private async sendAsset(url: string): Promise<void> {
    const channel = this.live?.channel;
    if (!channel || this.sentAssets.has(url)) return;
    this.sentAssets.add(url);
    try {
      channel.send(await fetchPageAsset(document, url));
    } catch (error) {
      console.warn('[coview] could not send a file to the agent:', error);
    }
  }

  /** Tells the agent (best effort, over the data channel) and closes the peer. */
  private async endLive(reason: 'stopped' | 'unloaded', notice?: string): Promise<void> {
    const live = this.live;
    if (!live) return;
    this.teardownLive();
    if (live.channel) {
      try {
        live.channel.send({ type: 'end', reason });
        // Let the goodbye reach the data channel before it closes, but never hang on it.
        await Promise.race([live.channel.flushed(), new Promise((resolve) => setTimeout(resolve, 300))]);
      } catch {
        // The channel may already be gone; the server still tells the agent.
      }
    }
    live.peer.destroy();
    if (notice) this.backToWaiting(notice);
  }

  private teardownLive(): void {
    const live = this.live;
    if (!live) return;
    this.live = null;
    live.stopCapture?.();
    live.stopDevtools?.();
    // Control ends with the session; the agent learns it from the end of the session itself.
    live.control = null;
    this.annotate({ type: 'clear' });
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
