import { noteCssSources } from './host/css-sources.js';
import type { PrivacyOptions } from './host/privacy.js';
import { HostSession, RESUME_WITHIN_MS, type Agent, type HostState, type StartOptions as SessionStartOptions } from './session/host-session.js';
import { resumeSlot } from './session/resume-store.js';
import { parseTextOverrides } from './i18n/translate.js';
import { mountHostWidget, WidgetUi, type Corner, type WidgetTexts, type WidgetTheme, type WidgetUiOptions } from './ui/host-widget.js';

/** `start()` takes the session's options and the widget's words and look. */
export type StartOptions = SessionStartOptions & WidgetUiOptions;

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
  /** The widget's language, texts and theme, at once (before or during sharing); merged into what was set before. */
  configure(options: WidgetUiOptions): void;
}
export type { Agent, Corner, HostState, WidgetTexts, WidgetTheme, WidgetUiOptions };

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

/**
 * Words and look on the script tag: data-locale, data-texts (JSON), data-accent, data-radius,
 * data-font, data-position, data-color-scheme.
 */
export function uiFrom(script: HTMLScriptElement | null): WidgetUiOptions {
  const data = script?.dataset ?? {};
  const theme: WidgetTheme = {};
  if (data.accent) theme.accent = data.accent;
  if (data.radius) theme.radius = data.radius;
  if (data.font) theme.font = data.font;
  if (data.position && ['bottom-right', 'bottom-left', 'top-right', 'top-left'].includes(data.position)) theme.position = data.position as Corner;
  if (data.colorScheme === 'light' || data.colorScheme === 'dark' || data.colorScheme === 'auto') theme.colorScheme = data.colorScheme;
  const options: WidgetUiOptions = { theme };
  if (data.locale) options.locale = data.locale;
  if (data.texts) options.texts = parseTextOverrides(data.texts);
  return options;
}

function mergeUi(base: WidgetUiOptions, next: WidgetUiOptions): WidgetUiOptions {
  return {
    ...base,
    ...(next.locale !== undefined ? { locale: next.locale } : {}),
    ...(next.texts !== undefined ? { texts: { ...base.texts, ...next.texts } } : {}),
    ...(next.theme !== undefined ? { theme: { ...base.theme, ...next.theme } } : {}),
  };
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
  // The words and look chosen while sharing (`start`, `configure`) go with the session to the next page of this tab.
  const carried = resumeSlot<{ savedAt: number; ui: WidgetUiOptions }>('coview.ui.v1', RESUME_WITHIN_MS);
  const fromScript = uiFrom(script);
  const carriedUi = carried.load()?.ui;
  const ui = new WidgetUi(carriedUi ? mergeUi(fromScript, carriedUi) : fromScript);
  const configure = (options: WidgetUiOptions = {}) => ui.set(mergeUi(ui.current, options));
  let inSession = false;
  session.subscribe((state) => {
    // Back to idle (stopped, ended, not resumed) or failed: the next page starts from the site's own choices.
    if (state.status === 'idle' || state.status === 'error') {
      if (inSession) carried.clear();
      inSession = false;
    } else inSession = true;
  });
  addEventListener('pagehide', () => {
    if (inSession) carried.save({ savedAt: Date.now(), ui: ui.current });
  });
  window.Coview = {
    version: __COVIEW_VERSION__,
    start: (options) => {
      if (options && (options.locale !== undefined || options.texts !== undefined || options.theme !== undefined)) configure(options);
      return session.start(options);
    },
    configure,
    stop: () => session.stop(),
    get status() {
      return session.current.status;
    },
    subscribe: (listener) => session.subscribe(listener),
    revokeControl: () => session.revokeControl(),
    invite: () => session.invite(),
  };
  const mount = () => {
    widgetRoot = mountHostWidget(session, document, ui);
    document.body.append(widgetRoot);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
  // A reload or a link on the same site carries on the session this tab was sharing.
  void session.resume().then((resumed) => {
    if (!resumed && !inSession) carried.clear();
  });
}

declare const __COVIEW_VERSION__: string;

try {
  install();
} catch (error) {
  // The host page must never break because of the widget.
  console.error('[coview] the widget could not start:', error);
}
