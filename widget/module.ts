import { installCoview, type CoviewApi, type StartOptions } from './coview.js';
import type { PrivacyOptions } from './host/privacy.js';
import type { HostState } from './session/host-session.js';
import type { WidgetUiOptions } from './ui/host-widget.js';
import { CoviewError } from './protocol/errors.js';
import { WIDGET_MESSAGES, type WidgetMessages } from './i18n/widget-messages.js';
import { bundledTexts } from './i18n/text-source.js';

/**
 * `import { start, stop, invite, subscribe } from 'coview'`: the Automation API of `window.Coview`
 * for sites that build with npm. Importing does nothing (server-side rendering can import it); the
 * widget is built by `setup()`, or by the first call that needs it, and is the same `window.Coview`
 * as the `<script>` tag's: a page that has both gets one widget.
 */

export interface SetupOptions extends WidgetUiOptions, PrivacyOptions {
  /** The Coview server's URL. Default: the page's own origin. */
  server?: string;
  /**
   * Wrap `fetch` to list methods and failed requests in the agent's Network tab. Default true (a
   * bundled widget is the page's own script, so the page's errors are never muted by it).
   */
  wrapFetch?: boolean;
}

/**
 * Builds the widget with these options (its button, and a session this tab was sharing carried on),
 * or returns the widget already on the page, with the words and look of `options` applied.
 */
export function setup(options: SetupOptions = {}): CoviewApi {
  if (typeof window === 'undefined' || typeof document === 'undefined') {
    throw new CoviewError('ERR_BAD_OPTIONS', 'Coview runs in a browser: call it from code that runs on the page, not during server-side rendering.');
  }
  const { server, wrapFetch = true, locale, texts, theme, ...privacy } = options;
  const ui: WidgetUiOptions = { ...(locale !== undefined ? { locale } : {}), ...(texts !== undefined ? { texts } : {}), ...(theme !== undefined ? { theme } : {}) };
  if (window.Coview) {
    window.Coview.configure(ui);
    return window.Coview;
  }
  // A bundler puts this module anywhere, so no file beside it can be found: every language comes bundled.
  const api = installCoview({ serverUrl: server === undefined ? location.origin : serverOrigin(server), wrapFetch, privacy, ui }, bundledTexts<WidgetMessages>(WIDGET_MESSAGES));
  window.Coview = api;
  return api;
}

/** An absolute http(s) URL only: a bare host name would otherwise resolve against the page, silently. */
function serverOrigin(server: unknown): string {
  let url: URL | null = null;
  try {
    url = new URL(String(server));
  } catch {
    // said below
  }
  if (typeof server !== 'string' || !url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new CoviewError('ERR_BAD_OPTIONS', `setup({ server }) needs the Coview server's full URL, such as "https://coview.example.com"; got ${JSON.stringify(server)}.`);
  }
  return url.origin;
}

/** The widget already on the page, if any (none during server-side rendering). */
const onPage = (): CoviewApi | undefined => (typeof window === 'undefined' ? undefined : window.Coview);
const widget = (): CoviewApi => onPage() ?? setup();

/** Starts sharing; resolves with the share code. */
export const start = (options?: StartOptions): Promise<{ code: string }> => {
  try {
    return widget().start(options);
  } catch (error) {
    return Promise.reject(error);
  }
};
/** Stops sharing for everyone. */
export const stop = (): Promise<void> => onPage()?.stop() ?? Promise.resolve();
/** While sharing: re-opens the share code for one more agent. */
export const invite = (): Promise<{ code: string }> => {
  try {
    return widget().invite();
  } catch (error) {
    return Promise.reject(error);
  }
};
/** Calls `listener` with every state change (and once now); returns the unsubscribe function. */
export const subscribe = (listener: (state: HostState) => void): (() => void) => widget().subscribe(listener);
/** Takes remote control back from the agent at once. */
export const revokeControl = (): void => widget().revokeControl();
/** The widget's language, texts and theme, merged into what was set before. */
export const configure = (options: WidgetUiOptions): void => widget().configure(options);
/** The widget's current state (`window.Coview.status`). */
export const status = (): HostState['status'] => onPage()?.status ?? 'idle';
/** This package's version. */
export const version: string = __COVIEW_VERSION__;

export { CoviewError };
export type { CoviewErrorCode } from './protocol/errors.js';
export type { Agent, Corner, CoviewApi, HostState, PrivacyOptions, StartOptions, WidgetTexts, WidgetTheme, WidgetUiOptions } from './coview.js';

declare const __COVIEW_VERSION__: string;
