import type { WidgetTheme } from './host-widget.js';

// Inside the widget's shadow root: `all: initial` cuts off inherited host-page styles too, but not
// custom properties, which is how a site themes the widget (the documented --coview-* ones only).
const DARK = `--cv-bg: #0f172a; --cv-fg: #f1f5f9; --cv-muted: #cbd5e1; --cv-soft: #1e293b; --cv-soft-fg: #e2e8f0;
  --cv-secondary: #334155; --cv-secondary-fg: #f8fafc; --cv-code: #93c5fd; --cv-ring: 0 0 0 1px rgba(148, 163, 184, .35);
  --cv-chip: #4c1d95; --cv-chip-fg: #ede9fe; color-scheme: dark;`;

export const WIDGET_CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.root {
  --cv-accent: var(--coview-accent, #1d4ed8); --cv-on-accent: var(--coview-accent-text, #fff);
  --cv-radius: var(--coview-radius, 14px); --cv-font: var(--coview-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --cv-bg: #fff; --cv-fg: #0f172a; --cv-muted: #475569; --cv-soft: #f1f5f9; --cv-soft-fg: #334155;
  --cv-secondary: #e2e8f0; --cv-secondary-fg: #0f172a; --cv-code: var(--coview-accent, #1d4ed8);
  --cv-ring: 0 0 0 1px rgba(15, 23, 42, .08); --cv-chip: #ede9fe; --cv-chip-fg: #5b21b6; --cv-danger: #dc2626;
  font: 14px/1.45 var(--cv-font); color: var(--cv-fg); color-scheme: light;
}
@media (prefers-color-scheme: dark) { .root:not([data-scheme="light"]) { ${DARK} } }
.root[data-scheme="dark"] { ${DARK} }
.box { position: fixed; z-index: 2147483647; font: inherit; color: inherit; }
.root[data-corner="bottom-right"] .box { right: 20px; bottom: 20px; }
.root[data-corner="bottom-left"] .box { left: 20px; bottom: 20px; }
.root[data-corner="top-right"] .box { right: 20px; top: 20px; }
.root[data-corner="top-left"] .box { left: 20px; top: 20px; }
.dock { pointer-events: none; }
.dock > * { pointer-events: auto; }
.dock { display: flex; flex-direction: column; align-items: flex-end; gap: 8px; }
.root[data-corner$="left"] .dock { align-items: flex-start; }
.root[data-corner^="top"] .dock { flex-direction: column-reverse; }
.panel {
  width: 320px; max-height: calc(100vh - 40px); overflow: auto; padding: 14px 16px 16px; background: var(--cv-bg); border-radius: var(--cv-radius);
  box-shadow: 0 12px 40px rgba(15, 23, 42, .25), var(--cv-ring);
}
.panel.sharing { border-top: 4px solid var(--cv-danger); }
.head { display: flex; align-items: flex-start; gap: 4px; margin: 0 0 6px; }
h2 { flex: 1; margin: 0; font-size: 15px; font-weight: 650; display: flex; align-items: center; gap: 8px; min-width: 0; overflow-wrap: anywhere; }
h2:focus { outline: none; }
[role="alertdialog"]:focus { outline: 3px solid var(--cv-accent); outline-offset: 2px; }
h2:focus-visible { outline: 3px solid var(--cv-accent); outline-offset: 2px; border-radius: 4px; }
.code { margin: 8px 0; font: 700 30px/1.1 ui-monospace, "SF Mono", Menlo, monospace; letter-spacing: .06em; color: var(--cv-code); direction: ltr; unicode-bidi: isolate; }
.hint { margin: 0 0 10px; color: var(--cv-muted); font-size: 13px; }
.notice { margin: 0 0 8px; padding: 6px 10px; border-radius: 8px; background: var(--cv-soft); color: var(--cv-soft-fg); font-size: 13px; }
.actions { display: flex; justify-content: flex-end; gap: 8px; flex-wrap: wrap; }
button {
  font: inherit; font-weight: 600; border: 0; border-radius: calc(var(--cv-radius) * .72); padding: 9px 14px; cursor: pointer; min-height: 36px;
}
button:focus-visible { outline: 3px solid var(--cv-accent); outline-offset: 2px; }
button:disabled, button[aria-disabled="true"] { opacity: .75; cursor: default; }
.primary { background: var(--cv-accent); color: var(--cv-on-accent); }
.primary:hover:not([aria-disabled="true"]) { filter: brightness(.9); }
.secondary { background: var(--cv-secondary); color: var(--cv-secondary-fg); }
.danger { background: var(--cv-danger); color: #fff; }
.icon { flex: none; width: 32px; height: 32px; min-height: 32px; padding: 0; border-radius: 8px; background: transparent; color: var(--cv-muted); font-size: 18px; line-height: 32px; }
.icon:hover { background: var(--cv-soft); }
.fab, .pill { border-radius: 999px; box-shadow: 0 8px 24px rgba(15, 23, 42, .3); }
.fab { padding: 12px 18px; }
.pill { display: inline-flex; align-items: center; gap: 8px; padding: 8px 14px; background: var(--cv-bg); color: var(--cv-fg); box-shadow: 0 6px 20px rgba(15, 23, 42, .3), var(--cv-ring); }
/* Still, never pulsing: an endless animation restyles the customer's page every frame, and each
   snapshot slice then paid a forced style recalculation (a third of a 5k-node snapshot at 4×),
   besides keeping a phone's renderer awake for the whole session. */
.dot { width: 10px; height: 10px; border-radius: 50%; background: var(--cv-danger); flex: none; }
.agents { margin: 0 0 8px; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 6px; }
.agents li { padding: 2px 8px; border-radius: 999px; background: var(--cv-chip); color: var(--cv-chip-fg); font-size: 12px; font-weight: 600; }
.control-ask { margin: 0 0 10px; }
.control-ask .notice { margin-bottom: 8px; }
.control-banner { position: fixed; top: 12px; left: 50%; transform: translateX(-50%); z-index: 2147483647; display: flex; align-items: center; gap: 12px;
  max-width: calc(100vw - 16px); padding: 8px 10px 8px 16px; border-radius: 999px; background: #6d28d9; color: #fff; box-shadow: 0 8px 24px rgba(76, 29, 149, .4);
  font: 600 14px/1.4 var(--cv-font); }
.control-banner button { background: #fff; color: #5b21b6; border-radius: 999px; padding: 6px 12px; flex: none; }
.root[data-corner^="top"] .control-banner { top: auto; bottom: 12px; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
/* Phones and other narrow screens: a bottom (or top) sheet across the screen, compact, that folds into a pill. */
@media (max-width: 640px) {
  .root[data-corner] .box { left: 8px; right: 8px; }
  .root[data-corner^="bottom"] .box { bottom: 8px; top: auto; }
  .root[data-corner^="top"] .box { top: 8px; bottom: auto; }
  .root[data-corner$="right"] .dock { left: auto; }
  .root[data-corner$="left"] .dock { right: auto; }
  .panel { width: auto; max-height: 45vh; padding: 8px 12px 10px; }
  .head { margin-bottom: 2px; }
  h2 { font-size: 14px; }
  .code { margin: 2px 0 4px; font-size: 24px; }
  .hint { margin-bottom: 6px; font-size: 12.5px; }
  .notice { padding: 4px 8px; font-size: 12.5px; }
  .panel.sharing .hint { margin-bottom: 6px; }
  /* While a question waits for an answer, the sheet shows the question (the red edge still says sharing). */
  .panel.sharing.prompting .head, .panel.sharing.prompting > .hint { display: none; }
  /* …and its answers only: Invite and Stop come back once it is answered (Deny is one tap, or Escape). */
  .panel.sharing.prompting > .actions { display: none; }
  .panel.sharing.prompting .control-ask { margin-bottom: 0; }
  button { padding: 7px 12px; }
  .control-banner { left: 8px; right: 8px; transform: none; border-radius: 14px; padding: 6px 8px 6px 12px; font-size: 13px; gap: 8px; justify-content: space-between; }
  .control-banner button { padding: 6px 10px; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}
`;

/** A site's theme options as the documented custom properties, inline on the widget's host element (the loader's and the full widget's). */
export function applyTheme(host: HTMLElement, theme: WidgetTheme): void {
  const props: [string, string | undefined][] = [
    ['--coview-accent', theme.accent],
    ['--coview-accent-text', theme.accentText],
    ['--coview-radius', theme.radius],
    ['--coview-font', theme.font],
  ];
  for (const [name, value] of props) {
    if (value) host.style.setProperty(name, value);
    else host.style.removeProperty(name);
  }
}
