import { LOADER_MESSAGES, type LoaderMessages } from '../i18n/loader-messages.js';
import { directionOf, widgetLocale, type Locale, type TextOverrides } from '../i18n/translate.js';
import type { HostState } from '../session/host-session.js';
import type { Corner, WidgetUiOptions } from './host-widget.js';
import { applyTheme, WIDGET_CSS } from './host-widget-css.js';
import { coverageOf, decideMove } from './out-of-the-way.js';

/**
 * What widget.js (the loader) shows before the rest of the widget has loaded: the same
 * `[data-coview-widget]` element, shadow root, styles and markup as host-widget.tsx draws for
 * idle, starting and error, without Preact and with only the texts these need
 * (loader-messages.ts). The full widget takes this element over when it loads (mountHostWidget's
 * `takeOver`), so the page keeps one widget element and focus stays in it.
 */
export interface LoaderButton {
  readonly host: HTMLElement;
  show(state: HostState, ui: WidgetUiOptions): void;
  /** The full widget has taken over: stop listening to the page. */
  release(): void;
}

export interface LoaderButtonActions {
  share(): void;
  close(): void;
  /** The pointer is over the button or it has focus: the rest of the widget may be wanted soon. */
  intent(): void;
}

/** Same as host-widget.tsx: Alt+Shift+H, matched by the key's code (Option changes the letter on macOS). */
const SHORTCUT = 'Alt+Shift+H';
const isShortcut = (e: KeyboardEvent) => e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyH';
const PHONE_LIKE = '(max-width: 640px), (pointer: coarse)';

function savedCorner(): Corner | undefined {
  try {
    return (JSON.parse(sessionStorage.getItem('coview.widget.v1') ?? '{}') as { corner?: Corner }).corner;
  } catch {
    return undefined;
  }
}

/**
 * The loader's texts in `locale`, the site's overrides first, as createTranslator picks them; none
 * of them is a plural, so the loader needs no Intl.PluralRules (whose first use loads locale data
 * on the page's main thread).
 */
function translator(locale: Locale, overrides: TextOverrides<LoaderMessages> = {}) {
  const own = overrides[locale];
  const t = (key: keyof LoaderMessages): string => {
    const fromSite = own?.[key] ?? overrides[key];
    return typeof fromSite === 'string' ? fromSite : LOADER_MESSAGES[locale][key];
  };
  return { locale, dir: directionOf(locale), t };
}

function element<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, attributes: Record<string, string>, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

export function mountLoaderButton(doc: Document, actions: LoaderButtonActions): LoaderButton {
  const host = doc.createElement('div');
  host.setAttribute('data-coview-widget', '');
  const shadow = host.attachShadow({ mode: 'open' });
  const style = doc.createElement('style');
  style.textContent = WIDGET_CSS;
  const root = element(doc, 'div', { class: 'root' });
  const announce = element(doc, 'div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', 'data-coview-announce': '' });
  shadow.append(style, root);
  let away: Corner | undefined;
  let drawn: { state: HostState; ui: WidgetUiOptions } = { state: { status: 'idle' }, ui: {} };

  const focusBest = () => (shadow.querySelector<HTMLElement>('[data-autofocus]') ?? shadow.querySelector<HTMLElement>('h2[tabindex]') ?? shadow.querySelector<HTMLElement>('button'))?.focus();

  function show(state: HostState, ui: WidgetUiOptions): void {
    drawn = { state, ui };
    const hadFocus = shadow.activeElement !== null;
    const tr = translator(widgetLocale(ui.locale, doc), ui.texts);
    const { t } = tr;
    const theme = ui.theme ?? {};
    const corner = away ?? savedCorner() ?? theme.position ?? (tr.dir === 'rtl' ? 'bottom-left' : 'bottom-right');
    // The Automation API's markers, as the full widget sets them.
    host.setAttribute('data-coview-host-state', state.status);
    host.setAttribute('data-coview-control', 'off');
    host.setAttribute('data-coview-agents', '0');
    host.setAttribute('data-coview-invite', 'off');
    if (state.status === 'error' && state.errorCode) host.setAttribute('data-coview-host-reason', state.errorCode);
    else host.removeAttribute('data-coview-host-reason');
    applyTheme(host, theme);
    for (const [name, value] of Object.entries({ dir: tr.dir, lang: tr.locale, 'data-corner': corner, 'data-scheme': theme.colorScheme ?? 'auto' })) root.setAttribute(name, value);

    // One live region for the loader's life, its text changed: a region inserted with its words already in is not read out.
    announce.textContent = state.status === 'starting' ? t('starting') : '';
    let body: HTMLElement;
    if (state.status === 'error') {
      const close = element(doc, 'button', { class: 'secondary' }, t('close'));
      const retry = element(doc, 'button', { class: 'primary' }, t('retry'));
      close.addEventListener('click', actions.close);
      retry.addEventListener('click', actions.share);
      body = element(
        doc,
        'section',
        { class: 'box panel', role: 'alert', 'aria-labelledby': 'cv-title' },
        element(doc, 'div', { class: 'head' }, element(doc, 'h2', { tabindex: '-1', id: 'cv-title' }, t('errorTitle'))),
        element(doc, 'p', { class: 'hint' }, t('errUnreachable')),
        element(doc, 'div', { class: 'actions' }, close, retry),
      );
    } else if (state.status === 'idle') {
      const share = element(doc, 'button', { class: 'primary fab', 'aria-keyshortcuts': SHORTCUT }, element(doc, 'span', { 'aria-hidden': 'true' }, '🖥'), ` ${t('share')}`);
      share.addEventListener('click', actions.share);
      share.addEventListener('pointerenter', actions.intent);
      share.addEventListener('focus', actions.intent);
      body = element(doc, 'div', { class: 'box dock' }, share);
    } else {
      // Starting (also for any other state: the full widget draws those). aria-disabled, not disabled: a disabled button drops focus to <body>.
      body = element(doc, 'div', { class: 'box dock' }, element(doc, 'button', { class: 'primary fab', 'aria-disabled': 'true', 'data-autofocus': '' }, t('starting')));
    }
    for (const child of [...root.children]) if (child !== announce) child.remove();
    if (announce.parentNode !== root) root.prepend(announce);
    root.append(body);
    if (hadFocus) focusBest();
  }

  // Keeping off the page's controls, as host-widget.tsx does (see out-of-the-way.ts): the share button may only move.
  const keepOutOfTheWay = () => {
    const win = doc.defaultView;
    const corner = root.getAttribute('data-corner') as Corner | null;
    if (!win || !corner || !host.isConnected) return;
    const parts = [...shadow.querySelectorAll('.panel, .dock > *')].map((el) => el.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
    if (parts.length === 0) return;
    const next = decideMove(corner, coverageOf(host, parts, corner, win.matchMedia(PHONE_LIKE).matches), false);
    if (next && 'corner' in next) {
      away = next.corner;
      show(drawn.state, drawn.ui);
    }
  };
  let pendingLook: ReturnType<typeof setTimeout> | undefined;
  const soon = (ms: number) => {
    clearTimeout(pendingLook);
    pendingLook = setTimeout(keepOutOfTheWay, ms);
  };
  const win = doc.defaultView;
  const onMoved = () => {
    if (win?.matchMedia(PHONE_LIKE).matches) soon(120);
  };
  const onFocus = (event: Event) => {
    if (event.target !== host) soon(50);
  };
  const onKey = (event: KeyboardEvent) => {
    if (!isShortcut(event)) return;
    event.preventDefault();
    // After the key's own default handling, as host-widget.tsx does.
    setTimeout(focusBest, 0);
  };
  doc.addEventListener('scroll', onMoved, { capture: true, passive: true });
  win?.addEventListener('resize', onMoved);
  doc.addEventListener('focusin', onFocus);
  doc.addEventListener('keydown', onKey);
  // Once drawn, on a phone: the button must not sit on what the customer is about to tap.
  const frame = win?.requestAnimationFrame(() => {
    if (win.matchMedia(PHONE_LIKE).matches) keepOutOfTheWay();
  });

  return {
    host,
    show,
    release() {
      clearTimeout(pendingLook);
      if (frame !== undefined) win?.cancelAnimationFrame(frame);
      doc.removeEventListener('scroll', onMoved, { capture: true });
      win?.removeEventListener('resize', onMoved);
      doc.removeEventListener('focusin', onFocus);
      doc.removeEventListener('keydown', onKey);
    },
  };
}
