import type { ConsoleLevel, HostMessage, NetworkEntry } from '../protocol/index.js';
import { redactUrl } from './privacy.js';

/**
 * The host page's console errors and network requests, for the agent's Console and Network
 * panels. Started only once the customer has allowed an agent; returns its stop function.
 *
 * The host page must never notice: every wrapper calls the original first and returns exactly
 * what it returned, nothing here can throw into the page, and stop() puts everything back.
 */
export interface DevtoolsCaptureOptions {
  emit: (message: HostMessage) => void;
  /** Requests never reported (the widget's own signaling traffic). */
  ignoreUrl?: (url: string) => boolean;
  /**
   * Wrap fetch (method, status, failures). Only when the widget's script may report errors to the
   * page: a cross-origin <script> without `crossorigin` is "muted" in Chromium, and a failed fetch
   * the page never handles would then no longer reach the page's own unhandledrejection listeners
   * (its error tracking). Without it, fetches are read from resource timings instead. Default true.
   */
  wrapFetch?: boolean;
  /** Most messages sent per second; the rest are counted and reported as one warning. */
  maxPerSecond?: number;
  /** What console text and stacks go through before they are sent (the site's privacy rules). */
  redactText?: (text: string) => string;
  /** True when a file the page loaded was asked for by an element the rule hides (Privacy.loadedPrivately): only its origin is sent. */
  loadedPrivately?: (url: string) => boolean;
  window?: Window;
}

export const MAX_TEXT = 2_000;
export const MAX_STACK = 4_000;
const MAX_URL = 2_000;

type Console = Pick<typeof console, 'error' | 'warn'>;
type XhrInfo = { method: string; url: string; start: number };

export function startDevtoolsCapture(options: DevtoolsCaptureOptions): () => void {
  const win = (options.window ?? window) as Window & typeof globalThis;
  const ignoreUrl = options.ignoreUrl ?? (() => false);
  const maxPerSecond = options.maxPerSecond ?? 50;
  const wrapFetch = options.wrapFetch ?? true;
  const cleanups: (() => void)[] = [];
  let active = true;
  // Set while we emit: whatever the transport logs about it must not be captured again (a loop).
  let busy = false;

  // A fixed one-second window: bursts (an error in a render loop) cost the channel little.
  let windowStart = 0;
  let sentInWindow = 0;
  let dropped = 0;
  const send = (message: HostMessage) => {
    if (!active || busy) return;
    busy = true;
    try {
      const now = Date.now();
      if (now - windowStart >= 1_000) {
        windowStart = now;
        sentInWindow = 0;
        if (dropped > 0) {
          const text = `[coview] ${dropped} console and network entries were not sent (over ${maxPerSecond} a second).`;
          dropped = 0;
          sentInWindow++;
          options.emit({ type: 'console', level: 'warn', text });
        }
      }
      if (sentInWindow >= maxPerSecond) dropped++;
      else {
        sentInWindow++;
        options.emit(message);
      }
    } catch {
      // The channel may be closing; the page goes on.
    } finally {
      busy = false;
    }
  };

  const reportConsole = (level: ConsoleLevel, args: unknown[], stack?: string) => {
    const raw = args.map(describe).join(' ');
    if (raw.startsWith('[coview]')) return; // the widget's own notes are not the page's problem
    const redact = options.redactText ?? ((text: string) => text);
    const message: HostMessage = { type: 'console', level, text: clip(redact(raw), MAX_TEXT) };
    const trace = stack ?? (args.find((a): a is Error => isError(a))?.stack || undefined);
    if (trace) message.stack = clip(redact(trace), MAX_STACK);
    send(message);
  };

  // 1. console.error / console.warn.
  const con = win.console as Console;
  for (const level of ['error', 'warn'] as const) {
    const original = con[level];
    if (typeof original !== 'function') continue;
    const wrapper = function (this: unknown, ...args: unknown[]) {
      try {
        if (active && !busy) reportConsole(level, args, isError(args[0]) ? undefined : callerStack());
      } catch {
        // never into the page
      }
      return original.apply(this, args);
    };
    con[level] = wrapper;
    cleanups.push(() => {
      // Someone may have wrapped console after us: then ours stays, inert (active is false).
      if (con[level] === wrapper) con[level] = original;
    });
  }

  // 2. Uncaught errors and unhandled rejections.
  const onError = (event: Event) => {
    if (!(event instanceof win.ErrorEvent)) return; // resource load failures show in Network
    try {
      const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : '';
      const stack = isError(event.error) ? event.error.stack : undefined;
      reportConsole('uncaught', [`${event.message || 'Uncaught error'}${where}`], stack || undefined);
    } catch {}
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    try {
      const reason: unknown = event.reason;
      reportConsole('rejection', [isError(reason) ? `Unhandled rejection: ${reason.name}: ${reason.message}` : `Unhandled rejection: ${describe(reason)}`], isError(reason) ? reason.stack : undefined);
    } catch {}
  };
  win.addEventListener('error', onError);
  win.addEventListener('unhandledrejection', onRejection);
  cleanups.push(() => {
    win.removeEventListener('error', onError);
    win.removeEventListener('unhandledrejection', onRejection);
  });

  const reportRequest = (entry: NetworkEntry) => {
    if (ignoreUrl(entry.url)) return;
    send({ type: 'network', ...entry, url: clip(networkUrl(entry.url, win.location.href), MAX_URL), durationMs: Math.round(entry.durationMs) });
  };

  // 3. fetch. The page gets a promise that settles exactly like the browser's (same Response,
  // same error), and that is still unhandled if the page does not handle it: observing the
  // browser's promise directly would mark its rejection handled and hide it from the page.
  const originalFetch = win.fetch;
  if (wrapFetch && typeof originalFetch === 'function') {
    const wrappedFetch = function (this: unknown, ...args: Parameters<typeof fetch>) {
      const result = originalFetch.apply(this, args);
      let request: { method: string; url: string; start: number } | null = null;
      try {
        if (active) {
          const [input, init] = args;
          const url = typeof input === 'string' ? input : input instanceof win.URL ? input.href : (input as Request).url;
          const method = (init?.method ?? (input instanceof win.Request ? input.method : 'GET')).toUpperCase();
          request = { method, url, start: win.performance.now() };
        }
      } catch {}
      if (!request || !(result instanceof Promise)) return result;
      const { method, url, start } = request;
      return result.then(
        (response) => {
          try {
            reportRequest({ kind: 'fetch', method, url, status: response.type === 'opaque' ? null : response.status, durationMs: win.performance.now() - start, size: contentLength(response.headers.get('content-length')) });
          } catch {}
          return response;
        },
        (error: unknown) => {
          try {
            reportRequest({ kind: 'fetch', method, url, status: null, durationMs: win.performance.now() - start, size: null, error: clip(describe(error), 200) });
          } catch {}
          throw error;
        },
      );
    };
    win.fetch = wrappedFetch as typeof fetch;
    cleanups.push(() => {
      if (win.fetch === wrappedFetch) win.fetch = originalFetch;
    });
  }

  // 4. XMLHttpRequest, on the prototype: every instance, also ones created before we started.
  const xhrInfo = new WeakMap<XMLHttpRequest, XhrInfo>();
  const proto = win.XMLHttpRequest?.prototype;
  if (proto) {
    const originalOpen = proto.open;
    const originalSend = proto.send;
    const open = function (this: XMLHttpRequest, ...args: unknown[]) {
      try {
        if (active) xhrInfo.set(this, { method: String(args[0] ?? 'GET').toUpperCase(), url: String(args[1] ?? ''), start: 0 });
      } catch {}
      return (originalOpen as (...a: unknown[]) => void).apply(this, args);
    };
    const sendXhr = function (this: XMLHttpRequest, ...args: unknown[]) {
      try {
        const info = active ? xhrInfo.get(this) : undefined;
        if (info) {
          info.start = win.performance.now();
          // The listener below reads this request (an arrow would too, but this names it).
          // oxlint-disable-next-line no-this-alias
          const xhr = this;
          xhr.addEventListener(
            'loadend',
            () => {
              try {
                const failed = xhr.status === 0;
                reportRequest({
                  kind: 'xhr',
                  method: info.method,
                  url: new win.URL(info.url, win.location.href).href,
                  status: failed ? null : xhr.status,
                  durationMs: win.performance.now() - info.start,
                  size: failed ? null : xhrSize(xhr),
                  ...(failed ? { error: 'Network error or aborted' } : {}),
                });
              } catch {}
            },
            { once: true },
          );
        }
      } catch {}
      return (originalSend as (...a: unknown[]) => void).apply(this, args);
    };
    proto.open = open as typeof proto.open;
    proto.send = sendXhr as typeof proto.send;
    cleanups.push(() => {
      if (proto.open === open) proto.open = originalOpen;
      if (proto.send === sendXhr) proto.send = originalSend;
    });
  }

  // 5. Everything else the page loads (images, scripts, styles), from resource timings. Not
  // buffered: what loaded before the customer allowed the agent stays private.
  if (typeof win.PerformanceObserver === 'function') {
    try {
      const observer = new win.PerformanceObserver((list) => {
        for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
          try {
            // fetch and XHR are reported by their wrappers, with method and status.
            if ((wrapFetch && entry.initiatorType === 'fetch') || entry.initiatorType === 'xmlhttprequest') continue;
            const status = (entry as PerformanceResourceTiming & { responseStatus?: number }).responseStatus;
            reportRequest({
              kind: entry.initiatorType || 'other',
              method: entry.initiatorType === 'fetch' || entry.initiatorType === 'beacon' ? '' : 'GET', // unknown for these
              url: options.loadedPrivately?.(entry.name) ? privateAddress(entry.name) : entry.name,
              status: status ? status : null,
              durationMs: entry.duration,
              size: entry.encodedBodySize || entry.transferSize || null,
            });
          } catch {}
        }
      });
      observer.observe({ type: 'resource', buffered: false });
      cleanups.push(() => observer.disconnect());
    } catch {
      // Resource timings unsupported: fetch and XHR are still reported.
    }
  }

  return () => {
    active = false;
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {}
    }
  };
}

/**
 * A request's URL as the agent may see it: made absolute, then redacted by the site's one rule
 * (privacy.ts: query values and token fragments replaced, credentials dropped). data:, blob: and
 * javascript: URLs keep only their scheme: their body is content, not an address.
 */
export function networkUrl(raw: string, base?: string): string {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return '(invalid URL)';
  }
  if (url.protocol === 'data:' || url.protocol === 'blob:' || url.protocol === 'javascript:') return `${url.protocol}…`;
  return redactUrl(url.href);
}

/** A file a hidden element loaded: where from, not what. */
function privateAddress(url: string): string {
  try {
    return `${new URL(url).origin}/[redacted]`;
  } catch {
    return '(invalid URL)';
  }
}

function isError(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && typeof (value as Error).name === 'string';
}

/** A console argument as text; never throws (getters and toString can), never huge. */
function describe(value: unknown): string {
  try {
    if (typeof value === 'string') return clip(value, MAX_TEXT);
    if (isError(value)) return `${value.name}: ${value.message}`;
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return String(value);
    if (typeof value === 'object' && value !== null && 'nodeType' in value && 'nodeName' in value) return `<${String((value as Node).nodeName).toLowerCase()}>`;
    const seen = new WeakSet<object>();
    let budget = MAX_TEXT;
    const json = JSON.stringify(value, (_key, v: unknown) => {
      if (--budget < 0) return undefined; // a giant object: enough to recognise it
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return typeof v === 'bigint' ? String(v) : v;
    });
    return clip(json ?? String(value), MAX_TEXT);
  } catch {
    return '[unprintable]';
  }
}

function callerStack(): string | undefined {
  const stack = new Error().stack;
  // Drop "Error" and our own two frames: the trace starts where the page called console.
  return stack ? stack.split('\n').slice(3).join('\n') || undefined : undefined;
}

function contentLength(header: string | null): number | null {
  const n = header === null ? NaN : Number(header);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function xhrSize(xhr: XMLHttpRequest): number | null {
  const fromHeader = contentLength(xhr.getResponseHeader('content-length'));
  if (fromHeader !== null) return fromHeader;
  if (xhr.responseType === '' || xhr.responseType === 'text') return xhr.responseText.length;
  return null;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
