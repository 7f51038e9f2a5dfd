import { CoviewError, decodeHostMessage, normalizeRoomCode, PROTOCOL_VERSION, type AgentMessage, type EndReason, type HostMessage, type IceServer, type PageInfo } from '../protocol/index.js';
import { FramedChannel } from '../transport/channel.js';
import { ObservableState } from './observable-state.js';
import { createPeer, type PeerLink } from '../transport/peer.js';
import { connectSignaling, request, type SignalingSocket } from '../transport/signaling-client.js';

/**
 * What the agent's join page shows. `status` is also published as `data-coview-state` on the
 * join page's <html> (the Automation API), and `reason` as `data-coview-reason`.
 */
export type AgentState =
  | { status: 'idle' }
  | { status: 'connecting'; code: string }
  | { status: 'waiting'; code: string }
  | { status: 'live'; code: string; page: PageInfo | null }
  | { status: 'ended'; reason: AgentEndReason; message: string }
  | { status: 'error'; message: string; errorCode: string };

export type AgentEndReason = 'declined' | 'stopped' | 'left' | 'disconnected' | 'expired' | 'host-left';

const END_MESSAGES: Record<AgentEndReason, string> = {
  declined: 'The customer declined your request to view their screen.',
  stopped: 'Session ended: the customer stopped sharing.',
  left: 'You left the session.',
  disconnected: 'Session ended: the connection to the customer was lost.',
  expired: 'Session ended: the share code expired.',
  'host-left': 'Session ended: the customer closed the page.',
};

export interface AgentSessionOptions {
  serverUrl: string;
  /** Receives every message from the customer's page, in order (the viewer). */
  onHostMessage: (message: HostMessage) => void;
}

export class AgentSession extends ObservableState<AgentState> {
  private socket: SignalingSocket | null = null;
  private peer: PeerLink | null = null;
  private channel: FramedChannel<AgentMessage, HostMessage> | null = null;
  private page: PageInfo | null = null;
  private iceServers: IceServer[] = [];

  constructor(private readonly options: AgentSessionOptions) {
    super({ status: 'idle' });
  }

  async join(rawCode: string, name: string): Promise<void> {
    if (this.state.status === 'connecting' || this.state.status === 'waiting' || this.state.status === 'live') return;
    const code = normalizeRoomCode(rawCode);
    if (!code) {
      return this.fail(new CoviewError('ERR_BAD_CODE', "That doesn't look like a share code: it has 9 digits, like 482-913-227."));
    }
    this.setState({ status: 'connecting', code });
    try {
      const socket = (this.socket = this.wireSocket(await connectSignaling(this.options.serverUrl), name));
      const { iceServers } = await request((s) => s.emitWithAck('agent:join', { code, name }), socket);
      this.iceServers = iceServers;
      // The customer may have answered already (join:accepted arrives before this ack resolves).
      if (this.statusNow() === 'connecting' && !this.peer) this.setState({ status: 'waiting', code });
    } catch (error) {
      this.closeAll();
      this.fail(error);
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
    this.socket?.emit('agent:leave');
    this.end('left');
  }

  private wireSocket(socket: SignalingSocket, name: string): SignalingSocket {
    socket.on('join:declined', () => this.end('declined'));
    socket.on('join:accepted', () => this.connectPeer(name));
    socket.on('signal', ({ data }) => this.peer?.signal(data));
    socket.on('session:ended', ({ reason }) => this.onSessionEnded(reason));
    return socket;
  }

  private onSessionEnded(reason: EndReason): void {
    // A live session runs peer to peer: losing the host's server connection alone does not end it.
    if (reason === 'host-left' && this.state.status === 'live' && this.peer?.connected) return;
    this.end(reason === 'host-stopped' || reason === 'locked' ? 'stopped' : reason);
  }

  private connectPeer(name: string): void {
    if (this.state.status !== 'waiting' && this.state.status !== 'connecting') return;
    const code = this.state.code;
    this.setState({ status: 'connecting', code });
    const peer = createPeer(
      { initiator: false, iceServers: this.iceServers },
      {
        signal: (data) => this.socket?.emit('signal', { data }),
        connect: () => {
          this.channel = new FramedChannel<AgentMessage, HostMessage>(peer, decodeHostMessage, {
            onMessage: (message) => this.onHostMessage(message),
            onError: (error) => console.warn('[coview] dropped a message from the customer:', error.message),
          });
          this.channel.send({ type: 'hello', v: PROTOCOL_VERSION, name });
        },
        data: (frame) => this.channel?.receive(frame),
        close: () => {
          if (this.peer === peer) this.end('disconnected');
        },
      },
    );
    this.peer = peer;
  }

  private onHostMessage(message: HostMessage): void {
    if (message.type === 'hello') {
      if (message.v !== PROTOCOL_VERSION) {
        this.closeAll();
        return this.fail(new CoviewError('ERR_PROTOCOL_VERSION', `The customer's widget speaks protocol v${message.v}; this page speaks v${PROTOCOL_VERSION}. Reload the join page.`));
      }
      this.page = message.page;
      return;
    }
    if (message.type === 'end') return this.end(message.reason === 'unloaded' ? 'host-left' : 'stopped');
    try {
      this.options.onHostMessage(message);
    } catch (error) {
      if (message.type !== 'snapshot') return console.warn('[coview] could not show a change:', error);
      // Without a first picture there is nothing to show: say so rather than sit on a blank view.
      this.closeAll();
      return this.fail(new CoviewError('ERR_MALFORMED_MESSAGE', "The customer's page could not be shown. Ask them to reload it and share again.", { cause: error }));
    }
    if (message.type === 'snapshot' && this.state.status === 'connecting') {
      this.setState({ status: 'live', code: this.state.code, page: this.page });
    }
  }

  private end(reason: AgentEndReason): void {
    if (this.state.status === 'ended') return;
    this.closeAll();
    this.setState({ status: 'ended', reason, message: END_MESSAGES[reason] });
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const errorCode = error instanceof CoviewError ? error.code : 'ERR_UNKNOWN';
    this.setState({ status: 'error', message, errorCode });
  }

  private closeAll(): void {
    const peer = this.peer;
    this.peer = null;
    this.channel = null;
    peer?.destroy();
    this.socket?.close();
    this.socket = null;
  }

  private statusNow(): AgentState['status'] {
    return this.state.status;
  }
}
