import { HostSession, type Agent, type HostState, type StartOptions } from './session/host-session.js';
import { mountHostWidget } from './ui/host-widget.js';

/**
 * The embeddable widget: `<script src="https://YOUR-SERVER/widget.js" async></script>`.
 * The server is the script's own origin unless `data-server` names another.
 *
 * Automation API (stable): window.Coview.start(options?) → Promise<{ code }>, window.Coview.stop().
 */
export interface CoviewApi {
  readonly version: string;
  start(options?: StartOptions): Promise<{ code: string }>;
  stop(): Promise<void>;
  /** The widget's current state: idle | starting | waiting | asking | connecting | sharing | reconnecting | error. */
  readonly status: HostState['status'];
  /** Calls `listener` with every state change (and once now); returns the unsubscribe function. */
  subscribe(listener: (state: HostState) => void): () => void;
}
export type { Agent, HostState, StartOptions };

declare global {
  interface Window {
    Coview?: CoviewApi;
  }
}

function serverUrlFrom(script: HTMLScriptElement | null): string {
  if (script?.dataset.server) return script.dataset.server;
  if (script?.src) return new URL(script.src, location.href).origin;
  return location.origin;
}

function install(): void {
  if (window.Coview) return; // pasted twice: one widget is enough
  const script = document.currentScript as HTMLScriptElement | null;
  let widgetRoot: HTMLElement | null = null;
  const session = new HostSession({
    serverUrl: serverUrlFrom(script),
    ignore: (node) => widgetRoot !== null && (node === widgetRoot || widgetRoot.contains(node)),
  });
  window.Coview = {
    version: __COVIEW_VERSION__,
    start: (options) => session.start(options),
    stop: () => session.stop(),
    get status() {
      return session.current.status;
    },
    subscribe: (listener) => session.subscribe(listener),
  };
  const mount = () => {
    widgetRoot = mountHostWidget(session);
    document.body.append(widgetRoot);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
  // A reload or a link on the same site carries on the session this tab was sharing.
  void session.resume();
}

declare const __COVIEW_VERSION__: string;

try {
  install();
} catch (error) {
  // The host page must never break because of the widget.
  console.error('[coview] the widget could not start:', error);
}
