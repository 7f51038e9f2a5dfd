import { useEffect, useRef, useState } from 'preact/hooks';
import { Viewer } from '../agent/viewer.js';
import { AgentSession, type AgentState } from '../session/agent-session.js';
import { joinAction } from '../session/join-decisions.js';
import { TimelinePlayer, type HistoryOptions, type TimelineEntry } from '../agent/timeline.js';
import { decodeRecording, recordingProblem, withAssets } from '../agent/recording.js';
import { CoviewError } from '../protocol/index.js';
import { Toolbox } from './toolbox.js';
import { AgentTools } from '../agent/tools.js';
import { AgentToolbar } from './agent-toolbar.js';
import { useJoinText } from './join-text.js';
import type { JoinMessages } from '../i18n/join-en.js';
import type { Translator } from '../i18n/translate.js';
import { EXAMPLE_ROOM_CODE, normalizeRoomCode } from '../protocol/index.js';
import { webrtcSupported } from '../transport/peer.js';

/** What one session is shown with: the mirror, its timeline and the agent's tools over it. */
interface View {
  viewer: Viewer;
  player: TimelinePlayer;
  tools: AgentTools;
  close(): void;
}

/**
 * The agent's page: type the customer's code, wait for their consent, then see their page live.
 * Publishes the Automation API markers on <html>: data-coview-state and data-coview-reason.
 * Every session starts on a fresh View, so nothing of an earlier one (a frozen mirror, its
 * timeline) is left in the next; the tab never needs a reload to join again.
 */
export function JoinPage({ serverUrl, timeTravel = {} }: { serverUrl: string; timeTravel?: HistoryOptions }) {
  const tr = useJoinText();
  const { t } = tr;
  const codeRef = useRef<HTMLInputElement>(null);
  const joinAnotherRef = useRef<HTMLButtonElement>(null);
  const stageRef = useRef<HTMLDivElement>(null);
  const sessionRef = useRef<AgentSession | null>(null);
  const playerRef = useRef<TimelinePlayer | null>(null);
  const freshViewRef = useRef<() => void>(() => {});
  // The toolbox re-renders at most every 100 ms however fast the page changes.
  const [, setToolsVersion] = useState(0);
  const [recording, setRecording] = useState<string | null>(null);
  const [recordingError, setRecordingError] = useState<CoviewError | null>(null);
  const pendingRecording = useRef<TimelineEntry[] | null>(null);
  const [state, setState] = useState<AgentState>({ status: 'idle' });
  const [tools, setTools] = useState<AgentTools | null>(null);
  const [code, setCode] = useState(() => decodeURIComponent(location.hash.slice(1)));
  const [name, setName] = useState(() => localStorage.getItem('coview.agentName') ?? '');
  const nameRef = useRef(name);
  nameRef.current = name;

  useEffect(() => {
    const stage = stageRef.current!;
    let redraw: ReturnType<typeof setTimeout> | undefined;
    const rerender = () => {
      redraw ??= setTimeout(() => {
        redraw = undefined;
        setToolsVersion((v) => v + 1);
      }, 100);
    };
    let view: View | null = null;
    const freshView = () => {
      view?.close();
      const viewer = new Viewer(
        stage,
        undefined,
        (url) => sessionRef.current?.requestAsset(url),
        undefined,
        // A change the view could not apply, or a digest that disagrees: heal with a resync.
        () => sessionRef.current?.diverged(),
        t('frameTitle'),
      );
      const player = new TimelinePlayer(viewer, undefined, timeTravel);
      const unsubscribePlayer = player.subscribe(() => {
        document.documentElement.setAttribute('data-coview-timeline', player.live ? 'live' : 'past');
        rerender();
      });
      const tools = new AgentTools(stage, viewer, (message) => sessionRef.current?.send(message) ?? false, t('selectMenuLabel'));
      view = {
        viewer,
        player,
        tools,
        close() {
          unsubscribePlayer();
          tools.destroy();
          viewer.destroy();
        },
      };
      playerRef.current = player;
      document.documentElement.removeAttribute('data-coview-timeline');
      setTools(tools);
      rerender();
    };
    freshViewRef.current = freshView;
    freshView();
    const session = new AgentSession({
      serverUrl,
      token: agentToken(),
      onHostMessage: (message) => {
        view?.player.onLive(message);
        view?.tools.handle(message);
      },
      record: (message) => view?.player.record(message),
    });
    sessionRef.current = session;
    const unsubscribe = session.subscribe((next) => {
      setState(next);
      const html = document.documentElement;
      html.setAttribute('data-coview-state', next.status);
      // Automation API: how often the view healed itself, and whether it is doing so now.
      html.setAttribute('data-coview-resyncs', String(session.automaticResyncs));
      html.toggleAttribute('data-coview-resyncing', next.status === 'live' && next.resyncing === true);
      // direct | relayed while live (relayed: through the server, end-to-end encrypted).
      if (next.status === 'live' && next.transport) html.setAttribute('data-coview-transport', next.transport);
      else html.removeAttribute('data-coview-transport');
      if (next.status === 'ended') html.setAttribute('data-coview-reason', next.reason);
      else if (next.status === 'error') html.setAttribute('data-coview-reason', next.errorCode);
      else html.removeAttribute('data-coview-reason');
      // The last frame stays on screen when a session ends: the agent may still need to read it.
      if (next.status === 'ended') {
        view?.viewer.freeze();
        view?.tools.reset();
      }
      // A failed join shows the form again: nothing half-built or frozen waits behind it.
      if (next.status === 'error') freshView();
    });
    // Unloading may be a reload: the session is kept for the next page, which resumes it.
    const onUnload = () => session.away();
    addEventListener('pagehide', onUnload);
    void session.resume();
    return () => {
      removeEventListener('pagehide', onUnload);
      clearTimeout(redraw);
      unsubscribe();
      session.leave();
      view?.close();
    };
  }, [serverUrl]);

  /** Joins `rawCode` on a fresh view; another session on screen is left first, the same one is kept. */
  // The code of the last join asked for: a failed join names it (the field may be edited meanwhile).
  const triedCode = useRef('');
  const joinCode = (rawCode: string) => {
    const session = sessionRef.current;
    if (!session || recording) return;
    triedCode.current = rawCode;
    const action = joinAction(rawCode, session.current);
    if (action === 'ignore' || action === 'stay') return;
    if (action === 'switch') session.leave();
    freshViewRef.current();
    void session.join(rawCode, nameRef.current.trim() || t('namePlaceholder'));
  };
  const joinCodeRef = useRef(joinCode);
  joinCodeRef.current = joinCode;

  // Opening /join#K7Q-M2X-9FD joins straight away (links pasted into a ticket or chat), and so
  // does a new #CODE in this tab later: the page is not reloaded for it, only its hash changes.
  useEffect(() => {
    const fromHash = () => decodeURIComponent(location.hash.slice(1));
    if (fromHash()) joinCodeRef.current(fromHash());
    const onHashChange = () => {
      if (!fromHash()) return;
      setCode(fromHash());
      joinCodeRef.current(fromHash());
    };
    addEventListener('hashchange', onHashChange);
    return () => removeEventListener('hashchange', onHashChange);
  }, []);

  const join = (event: Event) => {
    event.preventDefault();
    localStorage.setItem('coview.agentName', name.trim());
    joinCode(code);
  };
  /** "Join another session": back to the form in this page (the name stays), on a fresh view. */
  const joinAnother = () => {
    freshViewRef.current();
    setCode('');
    // The old #CODE would not fire hashchange if opened again.
    if (location.hash) history.replaceState(null, '', `${location.pathname}${location.search}`);
    sessionRef.current?.reset();
  };
  // "Open recording": a saved session, checked by the protocol decoders, shown without a server.
  const openRecording = async (file: File | undefined) => {
    if (!file || !playerRef.current) return;
    setRecordingError(null);
    try {
      const { entries, assets } = await decodeRecording(file);
      // Shown once the stage is on screen: a hidden iframe has no layout to scroll.
      pendingRecording.current = withAssets(entries, assets);
      setRecording(file.name);
    } catch (error) {
      setRecordingError(error instanceof CoviewError ? error : new CoviewError('ERR_BAD_RECORDING', String(error), { cause: error }));
    }
  };
  useEffect(() => {
    if (!pendingRecording.current) return;
    playerRef.current?.load(pendingRecording.current);
    pendingRecording.current = null;
  }, [recording]);
  const inSession = state.status === 'connecting' || state.status === 'waiting' || state.status === 'live' || state.status === 'reconnecting';
  const showForm = !recording && (state.status === 'idle' || state.status === 'error');
  const player = playerRef.current;
  const showTools = player !== null && player.timeline.firstShowable >= 0 && !showForm;

  // The code field has focus whenever the form is there (on load, after an error, after "Join another session").
  useEffect(() => {
    if (showForm) codeRef.current?.focus();
  }, [showForm]);
  // A failed join is mostly a mistyped code: back to the field, ready to correct it (the error is read out by role="alert").
  useEffect(() => {
    if (state.status === 'error') codeRef.current?.select();
  }, [state]);
  // The button pressed (Leave) is gone once the session ended: focus goes to what comes next, never <body>.
  useEffect(() => {
    if (state.status === 'ended' && (document.activeElement === document.body || document.activeElement === null)) joinAnotherRef.current?.focus();
  }, [state.status]);
  const waiting = !recording && (state.status === 'waiting' || state.status === 'connecting');

  return (
    <div class="join">
      <header class="bar">
        <strong class="brand">Coview</strong>
        <span class={`status status-${state.status}`} role="status" data-coview-status>
          {recording ? t('statusRecording', { file: recording }) : statusText(state, tr)}
        </span>
        {state.status === 'live' && state.page && (
          <span class="page-info" title={state.page.url}>
            {state.page.title || state.page.url}
          </span>
        )}
        {state.status === 'live' && (
          <button class="resync" title={t('resyncTitle')} onClick={() => sessionRef.current?.resync()} data-coview-resync>
            {t('resync')}
          </button>
        )}
        {inSession && (
          <button class="leave" onClick={() => sessionRef.current?.leave()}>
            {t('leave')}
          </button>
        )}
        {state.status === 'ended' && (
          <button class="again" ref={joinAnotherRef} onClick={joinAnother}>
            {t('joinAnother')}
          </button>
        )}
      </header>
      <main class="main">
        {!showForm && <h1 class="sr-only">{t('screenHeading')}</h1>}
        {state.status === 'live' && tools && <AgentToolbar tools={tools} />}
        {showForm && (
          <form class="join-form" onSubmit={join}>
            <h1>{t('title')}</h1>
            <p>{t('intro')}</p>
            <label>
              {t('codeLabel')}
              <input ref={codeRef} name="code" autoComplete="off" autoCapitalize="characters" spellcheck={false} placeholder={EXAMPLE_ROOM_CODE} value={code} onInput={(e) => setCode(e.currentTarget.value)} required />
            </label>
            <label>
              {t('nameLabel')}
              <input name="name" autoComplete="name" placeholder={t('namePlaceholder')} maxLength={60} value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            {state.status === 'error' && (
              <p class="error" role="alert">
                {errorText(state, triedCode.current, tr)}
              </p>
            )}
            <button type="submit">{t('join')}</button>
          </form>
        )}
        {showForm && (
          <div class="open-recording">
            {t('savedSession')}{' '}
            <label>
              {t('openRecording')}
              <input type="file" accept=".coview,application/gzip" data-coview-open-recording onChange={(e) => void openRecording(e.currentTarget.files?.[0])} />
            </label>
            {recordingError && (
              <p class="error" role="alert" data-coview-recording-error={recordingError.code}>
                {t('badRecording')}
                {/* What exactly, in the decoder's words (like a console message): for a bug report. */}
                {recordingProblem(recordingError) && <small class="why"> ({recordingProblem(recordingError)})</small>}
              </p>
            )}
          </div>
        )}
        <Toolbox player={player} show={showTools} recording={recording !== null} transport={state.status === 'live' ? state.transport : undefined}>
          <div class={`stage ${showForm ? 'hidden' : ''}`} ref={stageRef} />
          {waiting && 'code' in state && <WaitingCard status={state.status} code={state.code} name={name.trim() || t('namePlaceholder')} />}
        </Toolbox>
      </main>
    </div>
  );
}

/** What the agent sees until the customer's page is on screen: what is happening, and what the customer is asked. */
function WaitingCard({ status, code, name }: { status: string; code: string; name: string }) {
  const { t } = useJoinText();
  return (
    <section class="waiting-card" aria-labelledby="waiting-title" data-coview-waiting>
      <span class="spinner" aria-hidden="true" />
      <h2 id="waiting-title">{status === 'waiting' ? t('waitingTitle') : t('connectingTitle')}</h2>
      {status === 'waiting' && <p>{t('waitingBody', { name })}</p>}
      <p class="waiting-code">{t('waitingCode', { code })}</p>
      {status === 'waiting' && <p class="waiting-hint">{t('waitingHint')}</p>}
    </section>
  );
}

/** The agent's words for a failed join, in their language; the code stays in data-coview-reason. */
function errorText(state: Extract<AgentState, { status: 'error' }>, code: string, { t }: Translator<JoinMessages>): string {
  switch (state.errorCode) {
    case 'ERR_BAD_CODE':
      return t('errBadCode', { example: EXAMPLE_ROOM_CODE });
    case 'ERR_ROOM_NOT_FOUND':
      return t('errNoRoom', { code: normalizeRoomCode(code) ?? code.trim() });
    case 'ERR_CONNECT_TIMEOUT':
    case 'ERR_PEER':
      return t('errConnect');
    case 'ERR_APPROVAL_TIMEOUT':
      return t('errApproval');
    case 'ERR_WEBRTC_UNSUPPORTED':
      return webrtcSupported() ? t('errCustomerNoWebrtc') : t('errHereNoWebrtc');
    case 'ERR_MALFORMED_MESSAGE':
    case 'ERR_MESSAGE_TOO_LARGE':
      return t('errMalformed');
    case 'ERR_HANDSHAKE_TAMPERED':
      return t('errTampered');
    case 'ERR_PROTOCOL_VERSION':
      return t('errProtocol');
    case 'ERR_ROOM_BUSY':
      return t('errBusy');
    case 'ERR_RATE_LIMITED':
      return t('errRateLimited');
    case 'ERR_ORIGIN_NOT_ALLOWED':
      return t('errOrigin');
    case 'ERR_AGENT_TOKEN':
      return t('errAgentToken');
    case 'ERR_SIGNALING_UNREACHABLE':
      return t('errUnreachable');
    case 'ERR_SIGNALING_TIMEOUT':
      return t('errServerTimeout');
    case 'ERR_ALREADY_SHARING':
      return t('errAlreadySharing');
    case 'ERR_CHANNEL_CLOSED':
    case 'ERR_NOT_IN_ROOM':
      return t('errClosed');
    default:
      return t('errGeneric');
  }
}

function statusText(state: AgentState, { t }: Translator<JoinMessages>): string {
  switch (state.status) {
    case 'idle':
      return t('statusIdle');
    case 'connecting':
      return t('statusConnecting', { code: state.code });
    case 'waiting':
      return t('statusWaiting');
    case 'live': {
      const live = state.resyncing ? t('statusResyncing') : t('statusLive');
      return state.transport ? `${live} · ${t(state.transport === 'relayed' ? 'transportRelayed' : 'transportDirect')}` : live;
    }
    case 'reconnecting':
      return t(state.messageKey);
    case 'ended':
      return t(state.messageKey);
    case 'error':
      return t('statusError');
  }
}

/**
 * The signed agent token (servers with AGENT_TOKEN_SECRET): the helpdesk opens
 * `/join?token=…`; it is kept for this tab only and removed from the address bar.
 */
function agentToken(): string | undefined {
  try {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get('token');
    if (fromUrl) {
      sessionStorage.setItem('coview.agentToken', fromUrl);
      params.delete('token');
      const query = params.toString();
      history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
      return fromUrl;
    }
    return sessionStorage.getItem('coview.agentToken') ?? undefined;
  } catch {
    return undefined;
  }
}
