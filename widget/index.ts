import type { CoviewApi, HostState, StartOptions } from './coview.js';
import { coreEntry } from './core-entry.js';
import { noteCssSources } from './host/css-sources.js';
import type { PrivacyOptions } from './host/privacy.js';
import { parseTextOverrides } from './i18n/translate.js';
import { CoviewError } from './protocol/errors.js';
import { HOST_SLOT_KEY, RESUME_WITHIN_MS, resumeSlot } from './session/resume-store.js';
import type { Corner, WidgetTheme, WidgetUiOptions } from './ui/host-widget.js';
import { mountLoaderButton, type LoaderButton } from './ui/loader-button.js';
import { mergeUi } from './ui/merge-ui.js';

/**
 * The embeddable widget: `<script src="https://YOUR-SERVER/widget.js" async></script>`.
 * The server is the script's own origin unless `data-server` names another.
 *
 * widget.js is a loader, small enough for every page view of every visitor: it draws the share
 * button (loader-button.ts) and sets `window.Coview`, and loads the rest (capture, transport, the
 * full widget: widget-core.js from widget/core.ts, beside widget.js) only when it is needed: the
 * first click of the button, the first API call that needs it, or at once when this tab has a
 * session to resume. API calls made meanwhile wait for it and get what the full widget answers.
 */

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

/** The file beside widget.js that holds the rest of the widget. */
const CORE_FILE = 'widget-core.js';

interface Waiting {
  run(api: CoviewApi): void;
  fail(error: CoviewError): void;
}

function install(): void {
  if (window.Coview) return; // pasted twice (or imported from npm too): one widget is enough
  const script = document.currentScript as HTMLScriptElement | null;
  const serverUrl = serverUrlFrom(script);
  // Beside the loader's own file (a site may host both itself), else on the server.
  const coreUrl = new URL(CORE_FILE, script?.src ? new URL(script.src, location.href) : `${serverUrl}/`).href;
  // A cross-origin script without `crossorigin` has its errors muted: see wrapFetch.
  const wrapFetch = !script?.src || script.crossOrigin !== null || new URL(script.src, location.href).origin === location.origin;
  const privacy = privacyFrom(script);
  let ui = uiFrom(script);
  // From page load on: CSS-in-JS rules are inserted long before anyone shares (see css-sources.ts).
  noteCssSources();

  let core: CoviewApi | null = null;
  let state: HostState = { status: 'idle' };
  const listeners = new Set<(state: HostState) => void>();
  const publish = (next: HostState) => {
    state = next;
    if (!core) button.show(state, ui);
    for (const listener of listeners) listener(state);
  };

  let waiting: Waiting[] = [];
  let loading = false;
  let tag: HTMLScriptElement | null = null;
  const failed = (why: string) => {
    loading = false;
    tag?.remove();
    tag = null;
    const error = new CoviewError('ERR_LOAD_FAILED', `Coview could not load ${coreUrl} (${why}): check that the file is served beside widget.js and that the page's Content-Security-Policy allows it.`);
    const calls = waiting;
    waiting = [];
    publish({ status: 'error', message: error.message, errorCode: error.code });
    for (const call of calls) call.fail(error);
  };
  const loaded = () => {
    const entry = coreEntry();
    if (!entry) return failed('the file did not set up the widget');
    // A cache that kept one file of an older deploy: the two still meet through install(), but say so.
    if (entry.version !== __COVIEW_VERSION__) console.warn(`[coview] widget.js ${__COVIEW_VERSION__} loaded widget-core.js ${entry.version}: serve both files from the same deploy.`);
    loading = false;
    try {
      core = entry.install({ serverUrl, wrapFetch, privacy, ui, host: button.host });
    } catch (error) {
      return failed(`it could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    button.release();
    const api = core;
    // Calls made while loading, in order, before the full widget's states are passed on: a start
    // made meanwhile goes on from `starting` without a flash of idle.
    for (const call of waiting.splice(0)) call.run(api);
    let first = true;
    api.subscribe((next) => {
      const same = first && JSON.stringify(next) === JSON.stringify(state);
      first = false;
      if (!same) publish(next);
    });
  };
  const load = () => {
    if (core || loading) return;
    loading = true;
    if (coreEntry()) return loaded();
    tag = document.createElement('script');
    tag.src = coreUrl;
    tag.async = true;
    // The same rights as the loader's own tag: its CSP nonce, and unmuted errors when it has `crossorigin`.
    if (script?.nonce) tag.nonce = script.nonce;
    if (script && script.crossOrigin !== null) tag.crossOrigin = script.crossOrigin;
    tag.addEventListener('load', loaded);
    tag.addEventListener('error', () => failed('offline, not found, or refused'));
    (document.head ?? document.documentElement).append(tag);
  };
  /** `call` on the full widget, now or once it has loaded. */
  const withCore = <T>(call: (api: CoviewApi) => T | Promise<T>): Promise<T> => {
    if (core) {
      const api = core;
      return new Promise<T>((resolve) => resolve(call(api)));
    }
    return new Promise<T>((resolve, reject) => {
      waiting.push({
        run: (api) => {
          try {
            resolve(call(api));
          } catch (error) {
            reject(error);
          }
        },
        fail: reject,
      });
      load();
    });
  };

  const configure = (next: WidgetUiOptions = {}) => {
    if (core) return core.configure(next);
    ui = mergeUi(ui, next);
    button.show(state, ui);
  };
  const start = (options?: StartOptions): Promise<{ code: string }> => {
    if (core) return core.start(options);
    // As the full widget answers a second start while the first is under way.
    if (state.status === 'starting') return Promise.reject(new CoviewError('ERR_ALREADY_SHARING', 'Sharing is already starting.'));
    if (options && (options.locale !== undefined || options.texts !== undefined || options.theme !== undefined)) configure(options);
    publish({ status: 'starting' });
    return withCore((api) => api.start(options));
  };
  const api: CoviewApi = {
    version: __COVIEW_VERSION__,
    start,
    // Nothing to stop before the full widget is there, unless a start waits for it.
    stop: () => {
      if (core) return core.stop();
      // After the start that waits for it; a core that could not load has nothing to stop.
      if (loading) return withCore((api) => api.stop()).catch(() => {});
      if (state.status !== 'idle') publish({ status: 'idle' });
      return Promise.resolve();
    },
    get status() {
      return core ? core.status : state.status;
    },
    subscribe(listener) {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    },
    // Control exists only while sharing, i.e. with the full widget.
    revokeControl: () => core?.revokeControl(),
    invite: () => (core || loading ? withCore((api) => api.invite()) : Promise.reject(new CoviewError('ERR_NOT_IN_ROOM', 'Another agent can be invited only while sharing with one.'))),
    configure,
  };
  window.Coview = api;

  let prefetched = false;
  const button: LoaderButton = mountLoaderButton(document, {
    share: () => void start().catch(() => {}),
    close: () => void api.stop(),
    // Fetched, not run: running the core waits for the click, so a hover costs the page no main-thread time.
    intent: () => {
      if (prefetched || core || loading) return;
      prefetched = true;
      const link = document.createElement('link');
      link.rel = 'prefetch';
      link.href = coreUrl;
      (document.head ?? document.documentElement).append(link);
    },
  });
  const mount = () => {
    // A reload or a link on the same site carries on the session this tab was sharing: the full widget at once.
    const saved = resumeSlot<{ savedAt: number; serverUrl?: string }>(HOST_SLOT_KEY, RESUME_WITHIN_MS).load();
    if (saved?.serverUrl === serverUrl) load();
    if (core) return; // the full widget has taken the element over and placed it
    button.show(state, ui);
    if (!button.host.isConnected) document.body.append(button.host);
  };
  // In a task of its own, after the script's: a page's first sessionStorage read (the saved session,
  // the corner the customer chose) is a synchronous trip to the browser process, and the two together
  // must not make one long task.
  setTimeout(() => {
    if (document.body) mount();
    else document.addEventListener('DOMContentLoaded', mount, { once: true });
  }, 0);
}

try {
  install();
} catch (error) {
  // The host page must never break because of the widget.
  console.error('[coview] the widget could not start:', error);
}

declare const __COVIEW_VERSION__: string;
