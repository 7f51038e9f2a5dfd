import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { MAX_AGENTS, type HostSession, type HostState } from '../session/host-session.js';
import { WIDGET_CSS } from './host-widget-css.js';
import { mountHostOverlay } from './host-overlay.js';

/**
 * The customer's widget, inside a shadow root so the host page's CSS cannot reach it and the
 * capture never sees it. Its state is mirrored on the host element as `data-coview-host-state`.
 */
export function mountHostWidget(session: HostSession, doc: Document = document): HTMLElement {
  const host = doc.createElement('div');
  host.setAttribute('data-coview-widget', '');
  const shadow = host.attachShadow({ mode: 'open' });
  const style = doc.createElement('style');
  style.textContent = WIDGET_CSS;
  const mount = doc.createElement('div');
  shadow.append(style, mount);
  session.subscribe((state) => {
    host.setAttribute('data-coview-host-state', state.status);
    // Automation API: off | asking | on, while sharing.
    host.setAttribute('data-coview-control', (state.status === 'sharing' && state.control) || 'off');
    // Several agents: how many watch now, and whether the code is open for one more (asking: one asks to join).
    host.setAttribute('data-coview-agents', String(state.status === 'sharing' ? state.agents.length : 0));
    host.setAttribute('data-coview-invite', state.status !== 'sharing' ? 'off' : state.asking ? 'asking' : state.inviting ? 'open' : 'off');
    // Why sharing failed, as a stable error code (ERR_WEBRTC_UNSUPPORTED, ERR_SIGNALING_UNREACHABLE, …).
    if (state.status === 'error' && state.errorCode) host.setAttribute('data-coview-host-reason', state.errorCode);
    else host.removeAttribute('data-coview-host-reason');
  });
  mountHostOverlay(shadow, session);
  render(<HostWidget session={session} />, mount);
  return host;
}

function HostWidget({ session }: { session: HostSession }) {
  const [state, setState] = useState<HostState>(session.current);
  useEffect(() => session.subscribe(setState), [session]);
  const start = () => void session.start().catch(() => {});
  const stop = () => void session.stop();

  switch (state.status) {
    case 'idle':
      return (
        <div class="dock">
          {state.notice && <p class="notice" role="status">{state.notice}</p>}
          <button class="primary fab" onClick={start}>
            <span aria-hidden="true">🖥</span> Share my screen
          </button>
        </div>
      );
    case 'starting':
      return (
        <div class="dock">
          <button class="primary fab" disabled>Getting a code…</button>
        </div>
      );
    case 'waiting':
      return (
        <section class="panel" aria-label="Screen sharing">
          <h2>Your share code</h2>
          <p class="code" data-coview-code>{state.code}</p>
          <p class="hint">Read this code to your support agent. Nobody sees your screen until you allow it.</p>
          {state.notice && <p class="notice" role="status">{state.notice}</p>}
          <div class="actions">
            <button class="secondary" onClick={stop}>Cancel</button>
          </div>
        </section>
      );
    case 'asking':
      return (
        <section class="panel" role="alertdialog" aria-label="Allow screen sharing?">
          <h2>Allow {state.agent.name} to see this page?</h2>
          <p class="hint">They will see this tab only, live, until you stop. Passwords, card numbers and hidden fields are never shown.</p>
          <div class="actions">
            <button class="secondary" onClick={() => session.decide(false)}>Deny</button>
            <button class="primary" onClick={() => session.decide(true)}>Allow</button>
          </div>
        </section>
      );
    case 'connecting':
      return (
        <section class="panel" aria-label="Screen sharing">
          <h2>Connecting to {state.agent.name}…</h2>
          <div class="actions">
            <button class="danger" onClick={stop}>Stop sharing</button>
          </div>
        </section>
      );
    case 'reconnecting':
      return (
        <section class="panel" role="status" aria-label="Screen sharing">
          <h2>Reconnecting to {state.agent.name}…</h2>
          <p class="hint">The connection dropped. Sharing carries on by itself as soon as it is back.</p>
          <div class="actions">
            <button class="danger" onClick={stop}>Stop sharing</button>
          </div>
        </section>
      );
    case 'sharing': {
      const controller = state.controlBy ?? state.agent;
      const invite = () => void session.invite().catch((error: unknown) => console.warn('[coview] could not invite another agent:', error));
      return (
        <>
        {state.control === 'on' && (
          <div class="control-banner" role="status">
            <span>Agent {controller.name} is controlling this page</span>
            <button onClick={() => session.revokeControl()}>Take back control</button>
          </div>
        )}
        <section class="panel sharing" aria-label="Screen sharing">
          <h2>
            <span class="dot" aria-hidden="true" /> You are sharing this page with {names(state.agents)}
          </h2>
          {state.agents.length > 1 && (
            <ul class="agents" aria-label="Watching now">
              {state.agents.map((agent) => (
                <li key={agent.id} data-coview-agent={agent.name}>{agent.name}</li>
              ))}
            </ul>
          )}
          <p class="hint">Code {state.code}</p>
          {state.asking ? (
            <div class="control-ask" role="alertdialog" aria-label="Allow screen sharing?">
              <p class="notice">Allow {state.asking.name} to see this page too?</p>
              <div class="actions">
                <button class="secondary" onClick={() => session.decide(false)}>Deny</button>
                <button class="primary" onClick={() => session.decide(true)}>Allow</button>
              </div>
            </div>
          ) : state.inviting ? (
            <p class="notice" role="status" data-coview-invite-code>Another agent can join with code {state.code} now. You will be asked before they see anything.</p>
          ) : null}
          {state.control === 'asking' && !state.asking && (
            <div class="control-ask" role="alertdialog" aria-label="Allow remote control?">
              <p class="notice">{controller.name} asks to control this page: click, type and scroll for you. You can take control back at any time. Passwords and private fields stay out of reach.</p>
              <div class="actions">
                <button class="secondary" onClick={() => session.decideControl(false)}>Deny</button>
                <button class="primary" onClick={() => session.decideControl(true)}>Allow control</button>
              </div>
            </div>
          )}
          <div class="actions">
            {!state.inviting && !state.asking && state.agents.length < MAX_AGENTS && <button class="secondary" onClick={invite}>Invite another agent</button>}
            <button class="danger" onClick={stop}>Stop sharing</button>
          </div>
        </section>
        </>
      );
    }
    case 'error': {
      // Trying again in a browser without WebRTC would fail the same way.
      const canRetry = state.errorCode !== 'ERR_WEBRTC_UNSUPPORTED';
      return (
        <section class="panel" role="alert" aria-label="Screen sharing">
          <h2>Sharing could not start</h2>
          <p class="hint">{state.message}</p>
          <div class="actions">
            <button class="secondary" onClick={stop}>Close</button>
            {canRetry && <button class="primary" onClick={start}>Try again</button>}
          </div>
        </section>
      );
    }
  }
}

/** "Alex", "Alex and Bo", "Alex, Bo and Cy". */
function names(agents: { name: string }[]): string {
  const all = agents.map((agent) => agent.name);
  return all.length <= 1 ? (all[0] ?? '') : `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`;
}
