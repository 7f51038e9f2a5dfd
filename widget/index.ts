import type { CoviewApi, HostState, StartOptions } from './coview.js';
import { coreEntry } from './core-entry.js';
import { checkSelector } from './host/check-selector.js';
import { noteCssSources } from './host/css-sources.js';
import type { PrivacyOptions } from './host/privacy.js';
import { textsUrl } from './i18n/text-source.js';
import { parseTextOverrides, widgetLocale } from './i18n/translate.js';
import { CoviewError } from './protocol/errors.js';
import { HOST_SLOT_KEY, RESUME_WITHIN_MS, resumeSlot, UI_SLOT_KEY } from './session/resume-store.js';
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

/** The file beside widget.js that holds the rest of the widget (its version in the query: a cache never pairs two deploys). */
const CORE_FILE = `widget-core.js?v=${encodeURIComponent(__COVIEW_VERSION__)}`;
/** A core that has not loaded by then will not (a stalled network, a captive portal): say so rather than wait forever. */
const CORE_LOAD_TIMEOUT_MS = 30_000;

interface Waiting {
  run(api: CoviewApi): void;
  fail(error: CoviewError): void;
}

function install(): void {
  if (window.Coview) return; // pasted twice (or imported from npm too): one widget is enough
  const script = document.currentScript as HTMLScriptElement | null;
  const serverUrl = serverUrlFrom(script);
  // Beside the loader's own file (a site may host both itself), else, or when that one fails (a CDN
  // that was given only widget.js), on the server.
  const serverCoreUrl = new URL(CORE_FILE, `${serverUrl}/`).href;
  const coreUrls = [...new Set([script?.src ? new URL(CORE_FILE, new URL(script.src, location.href)).href : serverCoreUrl, serverCoreUrl])];
  // A cross-origin script without `crossorigin` has its errors muted: see wrapFetch.
  const wrapFetch = !script?.src || script.crossOrigin !== null || new URL(script.src, location.href).origin === location.origin;
  const privacy = privacyFrom(script);
  let ui = uiFrom(script);
  /** What the page asked for by configure() (or start()) before the full widget was there: it wins over what a resumed session carries. */
  let configured: WidgetUiOptions | null = null;
  // From page load on: CSS-in-JS rules are inserted long before anyone shares (see css-sources.ts).
  noteCssSources();

  let core: CoviewApi | null = null;
  let state: HostState = { status: 'idle' };
  const listeners = new Set<(state: HostState) => void>();
  const publish = (next: HostState) => {
    state = next;
    if (!core) button.show(state, ui);
    for (const listener of listeners) {
      // A page's listener that throws must not stop the widget (nor the calls waiting for it).
      try {
        listener(state);
      } catch (error) {
        console.error('[coview] a subscribe() listener threw:', error);
      }
    }
  };

  let waiting: Waiting[] = [];
  let loading = false;
  /** The page stopped while the core was loading: if it cannot load, that is no error to show. */
  let stopWhileLoading = false;
  let tag: HTMLScriptElement | null = null;
  /** The customer's texts, preloaded (see preloadTexts) until the core is in. */
  let textsHint: HTMLLinkElement | null = null;
  let giveUp: ReturnType<typeof setTimeout> | undefined;
  const failed = (why: string) => {
    loading = false;
    clearTimeout(giveUp);
    tag?.remove();
    tag = null;
    textsHint?.remove();
    textsHint = null;
    const error = new CoviewError('ERR_LOAD_FAILED', `Coview could not load ${coreUrls.join(' or ')} (${why}): check that the file is served beside widget.js and that the page's Content-Security-Policy allows it.`);
    const calls = waiting;
    waiting = [];
    for (const call of calls) call.fail(error);
    publish(stopWhileLoading ? { status: 'idle' } : { status: 'error', message: error.message, errorCode: error.code });
    stopWhileLoading = false;
  };
  const loaded = () => {
    clearTimeout(giveUp);
    if (!loading) return; // given up on already (timed out); a later load() finds it set up
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
    // The core asked for its texts as it started (and got the preloaded answer): the page's DOM is the site's again.
    textsHint?.remove();
    textsHint = null;
    button.release();
    const api = core;
    if (configured) api.configure(configured);
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
  /** Adds the core's script tag for the `at`-th of its addresses; the next one is tried if it fails. */
  const fetchCore = (at: number) => {
    tag?.remove();
    tag = document.createElement('script');
    // May throw (Trusted Types, a patched DOM): load() turns that into ERR_LOAD_FAILED.
    tag.src = coreUrls[at]!;
    tag.async = true;
    // The same rights as the loader's own tag: its CSP nonce, and unmuted errors when it has `crossorigin`.
    if (script?.nonce) tag.nonce = script.nonce;
    if (script && script.crossOrigin !== null) tag.crossOrigin = script.crossOrigin;
    tag.addEventListener('load', loaded);
    tag.addEventListener('error', () => {
      if (!loading) return;
      if (at + 1 < coreUrls.length) return fetchCore(at + 1);
      failed('offline, not found, or refused');
    });
    (document.head ?? document.documentElement).append(tag);
  };
  /**
   * Asks for the customer's texts (widget-text/<locale>.json beside the core, which carries English
   * only) alongside the core rather than once it runs: the core's own fetch of them then takes this
   * answer, so its panel is in the customer's language from the start.
   */
  const preloadTexts = () => {
    // As the core will pick it: what this page configured, else what the session being resumed carried, else the page's own.
    const carried = savedSession() ? resumeSlot<{ savedAt: number; ui: WidgetUiOptions }>(UI_SLOT_KEY, RESUME_WITHIN_MS).load()?.ui : undefined;
    const locale = widgetLocale(configured?.locale ?? carried?.locale ?? ui.locale, document);
    if (locale === 'en') return;
    textsHint = document.createElement('link');
    textsHint.rel = 'preload';
    textsHint.as = 'fetch';
    // fetch()'s own mode (CORS, credentials for the same origin only): a preload of another mode would not be taken.
    textsHint.crossOrigin = 'anonymous';
    textsHint.href = textsUrl('widget-text', locale, coreUrls[0]!);
    (document.head ?? document.documentElement).append(textsHint);
  };
  const load = () => {
    if (core || loading) return;
    loading = true;
    try {
      if (coreEntry()) return loaded();
      giveUp = setTimeout(() => failed(`not loaded within ${CORE_LOAD_TIMEOUT_MS / 1000} s`), CORE_LOAD_TIMEOUT_MS);
      preloadTexts();
      fetchCore(0);
    } catch (error) {
      failed(error instanceof Error ? error.message : String(error));
    }
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
    configured = mergeUi(configured ?? {}, next);
    button.show(state, ui);
  };
  const start = (options?: StartOptions): Promise<{ code: string }> => {
    if (core) return core.start(options);
    // As the full widget answers a second start while the first is under way.
    if (state.status === 'starting') return Promise.reject(new CoviewError('ERR_ALREADY_SHARING', 'Sharing is already starting.'));
    // As the full widget: bad privacy options fail before anything starts (no `starting` to take back).
    try {
      checkSelector(options?.maskSelector, 'maskSelector');
      checkSelector(options?.blockSelector, 'blockSelector');
    } catch (error) {
      return Promise.reject(error);
    }
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
      // After the start that waits for it (or the saved session this tab would resume, not yet
      // mounted); a core that could not load has nothing to stop.
      if (loading || savedSession()) {
        stopWhileLoading = true;
        return withCore((api) => api.stop()).catch(() => {});
      }
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
  /** This tab was sharing with this server a moment ago (a reload, a link on the same site). */
  const savedSession = () => resumeSlot<{ savedAt: number; serverUrl?: string }>(HOST_SLOT_KEY, RESUME_WITHIN_MS).load()?.serverUrl === serverUrl;
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
      link.href = coreUrls[0]!;
      // Fetched in the same mode as the script tag will be, or the browser fetches it again.
      if (script && script.crossOrigin !== null) link.crossOrigin = script.crossOrigin;
      (document.head ?? document.documentElement).append(link);
    },
  });
  // Only once the button exists: a widget that could not draw it sets no window.Coview (setup() from npm may still build one).
  window.Coview = api;
  const mount = () => {
    // A reload or a link on the same site carries on the session this tab was sharing: the full widget at once.
    if (savedSession()) load();
    if (core) return; // the full widget has taken the element over and placed it
    button.show(state, ui);
    if (!button.host.isConnected) document.body.append(button.host);
  };
  // In a task of its own, after the script's: a page's first sessionStorage read (the saved session,
  // the corner the customer chose) is a synchronous trip to the browser process, and the two together
  // must not make one long task.
  const safely = () => {
    try {
      mount();
    } catch (error) {
      console.error('[coview] the widget could not start:', error);
    }
  };
  setTimeout(() => {
    if (document.body) safely();
    else document.addEventListener('DOMContentLoaded', safely, { once: true });
  }, 0);
}

try {
  install();
} catch (error) {
  // The host page must never break because of the widget.
  console.error('[coview] the widget could not start:', error);
}

declare const __COVIEW_VERSION__: string;
