import { noteCssSources } from './host/css-sources.js';
import type { PrivacyOptions } from './host/privacy.js';
import { HostSession, RESUME_WITHIN_MS, type Agent, type HostState, type StartOptions as SessionStartOptions } from './session/host-session.js';
import { resumeSlot, UI_SLOT_KEY } from './session/resume-store.js';
import { mergeUi } from './ui/merge-ui.js';
import { mountHostWidget, WidgetUi, type Corner, type WidgetTexts, type WidgetTheme, type WidgetUiOptions } from './ui/host-widget.js';
import { widgetLocale } from './i18n/translate.js';
import { WidgetText, type WidgetTextSource } from './ui/widget-text.js';

/**
 * The widget on a page, whichever way it came: the `<script>` tag (widget/index.ts, the loader,
 * which calls this from widget-core.js once it is needed) or `import … from 'coview'`
 * (widget/module.ts). Both get the same API here and make it `window.Coview`.
 */

/** `start()` takes the session's options and the widget's words and look. */
export type StartOptions = SessionStartOptions & WidgetUiOptions;

/**
 * Automation API (stable): the same object is `window.Coview` and what `import … from 'coview'` calls.
 * See README's Automation API.
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
export type { Agent, Corner, HostState, PrivacyOptions, WidgetTexts, WidgetTheme, WidgetUiOptions };

declare global {
  interface Window {
    Coview?: CoviewApi;
  }
}

export interface InstallOptions {
  /** The Coview server (signaling, join page). */
  serverUrl: string;
  /** See DevtoolsCaptureOptions.wrapFetch. */
  wrapFetch: boolean;
  /** Privacy rules every start() begins from. */
  privacy: PrivacyOptions;
  ui: WidgetUiOptions;
  /** The loader's `[data-coview-widget]` element (widget.js): the widget takes it over instead of adding its own. */
  host?: HTMLElement;
}

/**
 * Builds the widget, mounts its button and carries on a saved session; returns the API (the caller
 * makes it `window.Coview`). `texts`: where its texts in languages other than English come from,
 * which the entry point knows (fetched beside widget-core.js, bundled in the npm module).
 */
export function installCoview(options: InstallOptions, texts: WidgetTextSource): CoviewApi {
  // From page load on: CSS-in-JS rules are inserted long before anyone shares (see css-sources.ts).
  noteCssSources();
  let widgetRoot: HTMLElement | null = null;
  const session = new HostSession({
    serverUrl: options.serverUrl,
    ignore: (node) => widgetRoot !== null && (node === widgetRoot || widgetRoot.contains(node)),
    wrapFetch: options.wrapFetch,
    defaults: options.privacy,
  });
  // The words and look chosen while sharing (`start`, `configure`) go with the session to the next page of this tab.
  const carried = resumeSlot<{ savedAt: number; ui: WidgetUiOptions }>(UI_SLOT_KEY, RESUME_WITHIN_MS);
  const carriedUi = carried.load()?.ui;
  const ui = new WidgetUi(carriedUi ? mergeUi(options.ui, carriedUi) : options.ui);
  const configure = (next: WidgetUiOptions = {}) => ui.set(mergeUi(ui.current, next));
  // The customer's language is asked for now and whenever it changes, alongside everything else, so the consent prompt is in it.
  const text = new WidgetText(texts);
  ui.subscribe((current) => text.request(widgetLocale(current.locale, document)));
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
  const api: CoviewApi = {
    version: __COVIEW_VERSION__,
    start: (startOptions) => {
      if (startOptions && (startOptions.locale !== undefined || startOptions.texts !== undefined || startOptions.theme !== undefined)) configure(startOptions);
      return session.start(startOptions);
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
    widgetRoot = mountHostWidget(session, text, document, ui, options.host);
    if (!widgetRoot.isConnected) document.body.append(widgetRoot);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
  // A reload or a link on the same site carries on the session this tab was sharing.
  void session.resume().then((resumed) => {
    if (!resumed && !inSession) carried.clear();
  });
  return api;
}

declare const __COVIEW_VERSION__: string;
