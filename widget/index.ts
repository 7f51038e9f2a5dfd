import { noteCssSources } from './host/css-sources.js';
import type { PrivacyOptions } from './host/privacy.js';
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
  /** Takes remote control back from the agent at once (same as the widget's "Take back control"). */
  revokeControl(): void;
  /** While sharing: re-opens the share code for one more agent (same as "Invite another agent"). */
  invite(): Promise<{ code: string }>;
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

/**
 * Privacy options on the script tag, for sites that only paste the tag:
 * data-mask-selector, data-block-selector, data-mask-all-inputs, data-private-by-default.
 */
export function privacyFrom(script: HTMLScriptElement | null): PrivacyOptions {
  const data = script?.dataset ?? {};
  const flag = (value: string | undefined) => value !== undefined && value !== 'false';
  const options: PrivacyOptions = {};
  if (data.maskSelector) options.maskSelector = data.maskSelector;
  if (data.blockSelector) options.blockSelector = data.blockSelector;
  if (flag(data.maskAllInputs)) options.maskAllInputs = true;
  if (flag(data.privateByDefault)) options.privateByDefault = true;
  return options;
}

function install(): void {
  if (window.Coview) return; // pasted twice: one widget is enough
  // From page load on: CSS-in-JS rules are inserted long before anyone shares (see css-sources.ts).
  noteCssSources();
  const script = document.currentScript as HTMLScriptElement | null;
  let widgetRoot: HTMLElement | null = null;
  const session = new HostSession({
    serverUrl: serverUrlFrom(script),
    ignore: (node) => widgetRoot !== null && (node === widgetRoot || widgetRoot.contains(node)),
    // A cross-origin script without `crossorigin` has its errors muted: see wrapFetch.
    wrapFetch: !script?.src || script.crossOrigin !== null || new URL(script.src, location.href).origin === location.origin,
    defaults: privacyFrom(script),
  });
  window.Coview = {
    version: __COVIEW_VERSION__,
    start: (options) => session.start(options),
    stop: () => session.stop(),
    get status() {
      return session.current.status;
    },
    subscribe: (listener) => session.subscribe(listener),
    revokeControl: () => session.revokeControl(),
    invite: () => session.invite(),
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
