import { render, type ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { MAX_AGENTS } from '../protocol/index.js';
import type { HostSession, HostState } from '../session/host-session.js';
import { ObservableState } from '../session/observable-state.js';
import type { WidgetKey, WidgetMessages } from '../i18n/widget-en.js';
import { directionOf, widgetLocale, type TextOverrides, type Translator } from '../i18n/translate.js';
import { applyTheme, WIDGET_CSS } from './host-widget-css.js';
import { mountHostOverlay } from './host-overlay.js';
import { coverageOf, decideMove, flipVertical, type Corner } from './out-of-the-way.js';
import type { WidgetText } from './widget-text.js';

export type { Corner };
const CORNERS: readonly Corner[] = ['bottom-right', 'bottom-left', 'top-left', 'top-right'];
/** Where the widget is a sheet across the screen (the CSS's phone layout, same width). */
const NARROW = '(max-width: 640px)';
/** Where the customer taps rather than points: the widget keeps off every control of the page, not only the focused one. */
const PHONE_LIKE = `${NARROW}, (pointer: coarse)`;

/** How the site dresses the widget (also settable as --coview-* custom properties on `[data-coview-widget]`). */
export interface WidgetTheme {
  /** Buttons, the code, focus rings: any CSS colour (`--coview-accent`). */
  accent?: string;
  /** Text on the accent colour (`--coview-accent-text`), white by default. */
  accentText?: string;
  /** Corner radius of the panel, e.g. `4px` (`--coview-radius`); buttons follow it. */
  radius?: string;
  /** Font stack (`--coview-font`). */
  font?: string;
  /** Where the widget sits; the customer can move it. Default bottom-right (bottom-left in right-to-left languages). */
  position?: Corner;
  /** `auto` (default) follows `prefers-color-scheme`. */
  colorScheme?: 'auto' | 'light' | 'dark';
}

/** What the site chooses about the widget's words and look (`Coview.configure`, `start` options, `data-*` on the script). */
export interface WidgetUiOptions {
  /** A BCP 47 tag (`de`, `pt-BR`); else `<html lang>`, else the browser's languages. */
  locale?: string;
  texts?: TextOverrides<WidgetMessages>;
  theme?: WidgetTheme;
}

export type WidgetTexts = TextOverrides<WidgetMessages>;

/** The site's current choices, which the widget follows as they change. */
export class WidgetUi extends ObservableState<WidgetUiOptions> {
  set(options: WidgetUiOptions): void {
    this.setState(options);
  }
}

/** Alt+Shift+H (also on macOS, where Option changes the letter: matched by the key's code). */
export const WIDGET_SHORTCUT = 'Alt+Shift+H';
const isShortcut = (e: KeyboardEvent) => e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyH';

const PREFS_KEY = 'coview.widget.v1';
interface Prefs {
  collapsed?: boolean;
  corner?: Corner;
}
function loadPrefs(): Prefs {
  try {
    return JSON.parse(sessionStorage.getItem(PREFS_KEY) ?? '{}') as Prefs;
  } catch {
    return {};
  }
}
function savePrefs(prefs: Prefs): void {
  try {
    sessionStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Storage may be off; the choice then lasts for this page only.
  }
}

/**
 * The customer's widget, inside a shadow root so the host page's CSS cannot reach it and the
 * capture never sees it. Its state is mirrored on the host element as `data-coview-host-state`.
 */
export function mountHostWidget(session: HostSession, text: WidgetText, doc: Document = document, ui = new WidgetUi({}), takeOver?: HTMLElement): HTMLElement {
  // `takeOver`: the loader's element (widget.js), so the page keeps one widget element and focus stays in it.
  const host = takeOver ?? doc.createElement('div');
  host.setAttribute('data-coview-widget', '');
  const shadow = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  const hadFocus = shadow.activeElement !== null;
  const style = doc.createElement('style');
  style.textContent = WIDGET_CSS;
  const mount = doc.createElement('div');
  shadow.replaceChildren(style, mount);
  session.subscribe((state) => {
    host.setAttribute('data-coview-host-state', state.status);
    // Automation API: off | asking | on, while sharing.
    host.setAttribute('data-coview-control', (state.status === 'sharing' && state.control) || 'off');
    // Several agents: how many watch now, and whether the code is open for one more (asking: one asks to join).
    host.setAttribute('data-coview-agents', String(state.status === 'sharing' ? state.agents.length : 0));
    host.setAttribute('data-coview-invite', state.status !== 'sharing' ? 'off' : state.asking ? 'asking' : state.inviting ? 'open' : 'off');
    // direct | relayed while sharing (relayed: through the server, end-to-end encrypted).
    if (state.status === 'sharing' && state.transport) host.setAttribute('data-coview-transport', state.transport);
    else host.removeAttribute('data-coview-transport');
    // Why sharing failed, as a stable error code (ERR_WEBRTC_UNSUPPORTED, ERR_SIGNALING_UNREACHABLE, …).
    if (state.status === 'error' && state.errorCode) host.setAttribute('data-coview-host-reason', state.errorCode);
    else host.removeAttribute('data-coview-host-reason');
  });
  // Theme options become the documented custom properties, inline on the host element.
  ui.subscribe(({ theme = {} }) => applyTheme(host, theme));
  mountHostOverlay(shadow, session, () => text.translator(widgetLocale(ui.current.locale, doc), ui.current.texts).t('someAgent'));
  // hadFocus: the customer pressed the loader's button, so focus goes on to what replaced it, never to <body>.
  render(<HostWidget session={session} ui={ui} text={text} host={host} hadFocus={hadFocus} />, mount);
  return host;
}

/** The customer's words for why sharing failed: never a URL or a code (those are in data-coview-host-reason). */
function errorKey(code: string | undefined): WidgetKey {
  switch (code) {
    case 'ERR_SIGNALING_UNREACHABLE':
      return 'errUnreachable';
    case 'ERR_WEBRTC_UNSUPPORTED':
      return 'errNoWebrtc';
    case 'ERR_PEER':
    case 'ERR_CONNECT_TIMEOUT':
      return 'errPeer';
    case 'ERR_HANDSHAKE_TAMPERED':
      return 'errTampered';
    default:
      return 'errGeneric';
  }
}

/** What the live region says for a state: the code, a request, sharing, control, the end. */
function announcement(state: HostState, tr: Translator<WidgetMessages>): string {
  const { t } = tr;
  const said = 'noticeKey' in state && state.noticeKey ? `${t(state.noticeKey, { name: state.noticeName ?? '' })} ` : '';
  switch (state.status) {
    case 'idle':
      return said.trim();
    case 'starting':
      return t('starting');
    case 'waiting':
      // Spelled out, so a screen reader reads K 7 Q rather than a word.
      return `${said}${t('announceCode', { code: state.code.split('').join(' ') })}`;
    case 'asking':
      return t('announceConsent', { name: state.agent.name });
    case 'connecting':
      return t('connecting', { name: state.agent.name });
    case 'reconnecting':
      return t('reconnecting', { name: state.agent.name });
    case 'error':
      // The panel is role="alert": read out once, by it.
      return '';
    case 'sharing': {
      const controller = state.controlBy ?? state.agent;
      if (state.asking) return t('announceAskToo', { name: state.asking.name });
      if (state.control === 'asking') return t('announceControlAsk', { name: controller.name });
      if (state.control === 'on') return t('announceControlOn', { name: controller.name });
      if (state.inviting) return t('inviteOpen', { code: state.code });
      return t('announceSharing', { names: tr.list(state.agents.map((a) => a.name)) });
    }
  }
}

/** Deny and Allow, for whichever request waits for the customer's answer (an agent joining, another agent, control). */
function DecideButtons({ decide, deny, allow }: { decide: (allow: boolean) => void; deny: string; allow: string }) {
  return (
    <div class="actions">
      <button class="secondary" onClick={() => decide(false)}>
        {deny}
      </button>
      <button class="primary" onClick={() => decide(true)}>
        {allow}
      </button>
    </div>
  );
}

function HostWidget({ session, ui, text, host, hadFocus = false }: { session: HostSession; ui: WidgetUi; text: WidgetText; host: HTMLElement; hadFocus?: boolean }) {
  const [state, setState] = useState<HostState>(session.current);
  const [options, setOptions] = useState<WidgetUiOptions>(ui.current);
  // The texts fetched so far: the consent prompt and the panel speak the customer's language once theirs arrives.
  const [catalogues, setCatalogues] = useState(text.current);
  // Layout effects, so both are followed from the first render: the loader (widget.js) starts the
  // session right after mounting, and a plain effect waits for a frame that a hidden tab may not draw.
  useLayoutEffect(() => session.subscribe(setState), [session]);
  useLayoutEffect(() => ui.subscribe(setOptions), [ui]);
  useLayoutEffect(() => text.subscribe(setCatalogues), [text]);
  const [prefs, setPrefs] = useState<Prefs>(loadPrefs);
  const updatePrefs = (next: Prefs) => {
    const merged = { ...prefs, ...next };
    setPrefs(merged);
    savePrefs(merged);
  };
  const doc = host.ownerDocument;
  const locale = widgetLocale(options.locale, doc);
  const tr = useMemo(() => text.translator(locale, options.texts), [text, locale, options.texts, catalogues]);
  const { t } = tr;
  // Where the widget went by itself to keep off what the customer is about to use (this page only).
  const [away, setAway] = useState<{ corner?: Corner; folded?: boolean }>({});
  // By the language asked for, not the one on screen: the widget stays put when its texts arrive.
  const corner = away.corner ?? prefs.corner ?? options.theme?.position ?? (directionOf(locale) === 'rtl' ? 'bottom-left' : 'bottom-right');

  const rootRef = useRef<HTMLDivElement>(null);
  /** Focus was in the widget last we knew: if what had it disappears, the widget keeps it (never <body>). */
  const focusInside = useRef(hadFocus);
  /** Where focus was on the page when a prompt took it, to give it back. */
  const returnTo = useRef<HTMLElement | null>(null);

  const prompt =
    state.status === 'asking' ? `consent:${state.agent.id}` : state.status === 'sharing' && state.asking ? `consent:${state.asking.id}` : state.status === 'sharing' && state.control === 'asking' ? 'control' : null;
  const collapsible = (state.status === 'waiting' || state.status === 'connecting' || state.status === 'reconnecting' || state.status === 'sharing') && prompt === null;
  const collapsed = collapsible && (prefs.collapsed === true || away.folded === true);

  const focusBest = () => {
    const root = rootRef.current;
    const target = root?.querySelector<HTMLElement>('[data-autofocus]') ?? root?.querySelector<HTMLElement>('h2[tabindex]') ?? root?.querySelector<HTMLElement>('button');
    if (target) {
      target.focus();
      focusInside.current = true;
    }
  };

  // Track where focus is: inside the widget, or the customer moved on to their page.
  useEffect(() => {
    const shadow = host.shadowRoot!;
    const onIn = () => (focusInside.current = true);
    const onPageFocus = (event: Event) => {
      if (event.target !== host) focusInside.current = false;
    };
    const onPagePointer = (event: Event) => {
      if (!event.composedPath().includes(host)) focusInside.current = false;
    };
    const onKey = (event: KeyboardEvent) => {
      if (!isShortcut(event)) return;
      event.preventDefault();
      chooseRef.current();
      setAway((a) => ({ ...a, folded: false }));
      updatePrefsRef.current({ collapsed: false });
      // After the panel is back on screen.
      setTimeout(focusBest, 0);
    };
    shadow.addEventListener('focusin', onIn);
    doc.addEventListener('focusin', onPageFocus);
    doc.addEventListener('pointerdown', onPagePointer, true);
    doc.addEventListener('keydown', onKey);
    return () => {
      shadow.removeEventListener('focusin', onIn);
      doc.removeEventListener('focusin', onPageFocus);
      doc.removeEventListener('pointerdown', onPagePointer, true);
      doc.removeEventListener('keydown', onKey);
    };
  }, [host]);
  const updatePrefsRef = useRef(updatePrefs);
  updatePrefsRef.current = updatePrefs;
  const chooseRef = useRef(() => {});

  // A prompt takes focus and gives it back when answered. The prompt itself, not a button: a customer
  // typing a space or Enter in their page as it appears must not answer it by accident.
  const lastPrompt = useRef<string | null>(null);
  useLayoutEffect(() => {
    const previous = lastPrompt.current;
    lastPrompt.current = prompt;
    if (prompt && prompt !== previous) {
      if (previous === null) {
        const active = doc.activeElement;
        returnTo.current = active instanceof HTMLElement && active !== host && active !== doc.body ? active : null;
      }
      focusBest();
      return;
    }
    if (!prompt && previous) {
      const back = returnTo.current;
      returnTo.current = null;
      if (back?.isConnected) {
        back.focus();
        if (doc.activeElement === back) {
          focusInside.current = false;
          return;
        }
      }
    }
    // What had focus in the widget is gone (the button pressed was replaced): keep it in the widget.
    if (focusInside.current && !host.shadowRoot!.activeElement) focusBest();
  });

  /** The customer just placed, folded or opened the widget: the next look at the page leaves that be. */
  const chosen = useRef(false);
  /** A look at the page after a scroll or focus, due soon; the customer's own choice meanwhile cancels it. */
  const pendingLook = useRef<ReturnType<typeof setTimeout>>();
  const choose = () => {
    chosen.current = true;
    clearTimeout(pendingLook.current);
  };
  chooseRef.current = choose;
  /**
   * Moves the widget when it lies over a control of the page, or folds it into its pill (see
   * out-of-the-way.ts). Folding only while sharing, and not while an invite code is open: a code
   * being read out or a question must stay open.
   */
  const keepOutOfTheWay = () => {
    const win = doc.defaultView;
    if (!win) return;
    const parts = [...host.shadowRoot!.querySelectorAll('.panel, .dock > *, .control-banner')].map((el) => el.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
    if (parts.length === 0) return;
    const next = decideMove(corner, coverageOf(host, parts, corner, win.matchMedia(PHONE_LIKE).matches), state.status === 'sharing' && !state.inviting && collapsible && !collapsed);
    if (next && 'fold' in next) setAway((a) => ({ ...a, folded: true }));
    else if (next) setAway((a) => ({ ...a, corner: next.corner }));
  };
  const keepOutOfTheWayRef = useRef(keepOutOfTheWay);
  keepOutOfTheWayRef.current = keepOutOfTheWay;
  // Looked at when the customer has moved on the page: a scroll or resize settled (phones), or focus went to a page control (anywhere: it must not be hidden).
  useEffect(() => {
    const win = doc.defaultView;
    if (!win) return;
    const soon = (ms: number) => {
      clearTimeout(pendingLook.current);
      pendingLook.current = setTimeout(() => {
        chosen.current = false;
        keepOutOfTheWayRef.current();
      }, ms);
    };
    const onMoved = () => {
      if (win.matchMedia(PHONE_LIKE).matches) soon(120);
    };
    // After the browser has scrolled the control into view.
    const onFocus = (event: Event) => {
      if (event.target !== host) soon(50);
    };
    doc.addEventListener('scroll', onMoved, { capture: true, passive: true });
    win.addEventListener('resize', onMoved);
    doc.addEventListener('focusin', onFocus);
    return () => {
      clearTimeout(pendingLook.current);
      doc.removeEventListener('scroll', onMoved, { capture: true });
      win.removeEventListener('resize', onMoved);
      doc.removeEventListener('focusin', onFocus);
    };
  }, [host]);
  // And whenever the widget itself changed (a new state, the banner came, it unfolded), once it is drawn; not
  // right after the customer's own choice.
  useLayoutEffect(() => {
    const win = doc.defaultView;
    if (!win?.matchMedia(PHONE_LIKE).matches) return;
    const frame = win.requestAnimationFrame(() => {
      if (chosen.current) chosen.current = false;
      else keepOutOfTheWayRef.current();
    });
    return () => win.cancelAnimationFrame(frame);
  });

  const start = () => {
    if (state.status === 'idle' || state.status === 'error') void session.start().catch(() => {});
  };
  const stop = () => void session.stop();
  const collapse = () => {
    choose();
    updatePrefs({ collapsed: true });
    setTimeout(focusBest, 0);
  };
  const expand = () => {
    choose();
    setAway((a) => ({ ...a, folded: false }));
    updatePrefs({ collapsed: false });
    setTimeout(focusBest, 0);
  };
  // A sheet across a phone's screen has two places, the bottom and the top; a desktop panel has four corners.
  const move = () => {
    choose();
    setAway((a) => ({ ...a, corner: undefined }));
    updatePrefs({ corner: doc.defaultView?.matchMedia(NARROW).matches ? flipVertical(corner) : CORNERS[(CORNERS.indexOf(corner) + 1) % CORNERS.length]! });
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    // Escape means No: to a prompt, Deny; otherwise it folds the panel away.
    if (prompt?.startsWith('consent:')) session.decide(false);
    else if (prompt === 'control') session.decideControl(false);
    else if (collapsible && !collapsed) collapse();
    else return;
    event.stopPropagation();
    event.preventDefault();
  };

  const head = (title: ComponentChildren, { canCollapse = collapsible } = {}) => (
    <div class="head">
      <h2 tabindex={-1} id="cv-title">
        {title}
      </h2>
      {canCollapse && (
        <>
          <button class="icon" aria-label={t('move')} title={t('move')} onClick={move} data-coview-move>
            <span aria-hidden="true">⤡</span>
          </button>
          <button class="icon" aria-label={t('minimise')} title={t('minimise')} aria-expanded="true" onClick={collapse} data-coview-collapse>
            <span aria-hidden="true">–</span>
          </button>
        </>
      )}
    </div>
  );

  const body = (): ComponentChildren => {
    if (collapsed && 'code' in state) {
      return (
        <div class="box dock">
          <button class="pill" aria-expanded="false" title={t('expand')} onClick={expand} data-coview-pill aria-keyshortcuts={WIDGET_SHORTCUT}>
            {state.status !== 'waiting' && <span class="dot" aria-hidden="true" />}
            {state.status === 'waiting' ? t('pillCode', { code: state.code }) : t('pillSharing')}
          </button>
        </div>
      );
    }
    const notice = 'noticeKey' in state && state.noticeKey ? t(state.noticeKey, { name: state.noticeName ?? '' }) : null;
    switch (state.status) {
      case 'idle':
        return (
          <div class="box dock">
            {notice && <p class="notice">{notice}</p>}
            <button class="primary fab" onClick={start} aria-keyshortcuts={WIDGET_SHORTCUT}>
              <span aria-hidden="true">🖥</span> {t('share')}
            </button>
          </div>
        );
      case 'starting':
        return (
          <div class="box dock">
            {/* aria-disabled, not disabled: a disabled button drops focus to <body>. */}
            <button class="primary fab" aria-disabled="true" data-autofocus>
              {t('starting')}
            </button>
          </div>
        );
      case 'waiting':
        return (
          <section class="box panel" aria-labelledby="cv-title">
            {head(t('codeTitle'))}
            <p class="code" data-coview-code>
              {state.code}
            </p>
            <p class="hint">{t('codeHint')}</p>
            {notice && <p class="notice">{notice}</p>}
            <div class="actions">
              <button class="secondary" onClick={stop}>
                {t('cancel')}
              </button>
            </div>
          </section>
        );
      case 'asking':
        return (
          <section class="box panel" role="alertdialog" aria-label={t('consentLabel')} aria-describedby="cv-consent" tabindex={-1} data-autofocus>
            {head(t('consentTitle', { name: state.agent.name }), { canCollapse: false })}
            <p class="hint" id="cv-consent">
              {t('consentHint')}
            </p>
            <DecideButtons decide={(allow) => session.decide(allow)} deny={t('deny')} allow={t('allow')} />
          </section>
        );
      case 'connecting':
        return (
          <section class="box panel" aria-labelledby="cv-title">
            {head(t('connecting', { name: state.agent.name }))}
            <div class="actions">
              <button class="danger" onClick={stop}>
                {t('stop')}
              </button>
            </div>
          </section>
        );
      case 'reconnecting':
        return (
          <section class="box panel" aria-labelledby="cv-title">
            {head(t('reconnecting', { name: state.agent.name }))}
            <p class="hint">{t('reconnectingHint')}</p>
            <div class="actions">
              <button class="danger" onClick={stop}>
                {t('stop')}
              </button>
            </div>
          </section>
        );
      case 'sharing': {
        const controller = state.controlBy ?? state.agent;
        const invite = () => void session.invite().catch((error: unknown) => console.warn('[coview] could not invite another agent:', error));
        return (
          <section class={`box panel sharing ${prompt ? 'prompting' : ''}`} aria-labelledby="cv-title">
            {head(
              <>
                <span class="dot" aria-hidden="true" /> {t('sharingTitle', { names: tr.list(state.agents.map((a) => a.name)) })}
              </>,
            )}
            {state.agents.length > 1 && (
              <ul class="agents" aria-label={t('watchingNow')}>
                {state.agents.map((agent) => (
                  <li key={agent.id} data-coview-agent={agent.name}>
                    {agent.name}
                  </li>
                ))}
              </ul>
            )}
            <p class="hint">
              {t('codeLine', { code: state.code })}
              {state.agents.length > 1 && ` · ${t('watching', { count: state.agents.length })}`}
              {state.transport && (
                <>
                  {' · '}
                  <span data-coview-transport-label>{t(state.transport === 'relayed' ? 'transportRelayed' : 'transportDirect')}</span>
                </>
              )}
            </p>
            {state.asking ? (
              <div class="control-ask" role="alertdialog" aria-label={t('consentLabel')} aria-describedby="cv-ask" tabindex={-1} data-autofocus>
                <p class="notice" id="cv-ask">
                  {t('askToo', { name: state.asking.name })}
                </p>
                <DecideButtons decide={(allow) => session.decide(allow)} deny={t('deny')} allow={t('allow')} />
              </div>
            ) : state.inviting ? (
              <p class="notice" data-coview-invite-code>
                {t('inviteOpen', { code: state.code })}
              </p>
            ) : null}
            {state.control === 'asking' && !state.asking && (
              <div class="control-ask" role="alertdialog" aria-label={t('controlLabel')} aria-describedby="cv-control" tabindex={-1} data-autofocus>
                <p class="notice" id="cv-control">
                  {t('controlAsk', { name: controller.name })}
                </p>
                <DecideButtons decide={(allow) => session.decideControl(allow)} deny={t('deny')} allow={t('allowControl')} />
              </div>
            )}
            <div class="actions">
              {!state.inviting && !state.asking && state.agents.length < MAX_AGENTS && (
                <button class="secondary" onClick={invite}>
                  {t('invite')}
                </button>
              )}
              <button class="danger" onClick={stop}>
                {t('stop')}
              </button>
            </div>
          </section>
        );
      }
      case 'error': {
        // Trying again in a browser without WebRTC would fail the same way.
        const canRetry = state.errorCode !== 'ERR_WEBRTC_UNSUPPORTED';
        return (
          <section class="box panel" role="alert" aria-labelledby="cv-title">
            {head(t('errorTitle'), { canCollapse: false })}
            <p class="hint">{t(errorKey(state.errorCode))}</p>
            <div class="actions">
              <button class="secondary" onClick={stop}>
                {t('close')}
              </button>
              {canRetry && (
                <button class="primary" onClick={start}>
                  {t('retry')}
                </button>
              )}
            </div>
          </section>
        );
      }
    }
  };

  const controller = state.status === 'sharing' ? (state.controlBy ?? state.agent) : null;
  return (
    <div class="root" ref={rootRef} dir={tr.dir} lang={tr.locale} data-corner={corner} data-scheme={options.theme?.colorScheme ?? 'auto'} onKeyDown={onKeyDown}>
      {/* Always there, so that screen readers hear each change (the code, a request, sharing, control, the end). */}
      <div class="sr-only" role="status" aria-live="polite" data-coview-announce>
        {announcement(state, tr)}
      </div>
      {state.status === 'sharing' && state.control === 'on' && controller && (
        <div class="control-banner" data-coview-control-banner>
          <span>{t('controlBanner', { name: controller.name })}</span>
          <button onClick={() => session.revokeControl()}>{t('takeBack')}</button>
        </div>
      )}
      {body()}
    </div>
  );
}
