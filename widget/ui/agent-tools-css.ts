/** Styles of the join page's toolbox (side panel and timeline bar), kept out of the page shell. */
export const AGENT_TOOLS_CSS = `
.workspace { position: relative; flex: 1; display: flex; min-height: 0; }
.workspace .stage { min-width: 0; }
.devtools { width: 380px; display: flex; flex-direction: column; margin: 12px 12px 12px 0; background: #fff; border-radius: 8px; box-shadow: 0 4px 14px rgba(15,23,42,.1); min-height: 0; font-size: 13px; }
.devtools-head { display: flex; align-items: center; justify-content: space-between; padding: 8px 10px 8px 14px; border-bottom: 1px solid #e2e8f0; font-size: 14px; }
.devtools-head .close { font: inherit; font-size: 18px; line-height: 1; border: 0; background: none; color: #475569; cursor: pointer; padding: 2px 6px; }
.devtools-tabs { display: flex; gap: 6px; }
.timeline .devtools-tabs .tab { display: flex; gap: 6px; align-items: center; background: #1e293b; color: #e2e8f0; }
.timeline .devtools-tabs .tab.active { background: #1d4ed8; color: #fff; }
.badge { min-width: 20px; padding: 0 6px; border-radius: 999px; background: #e2e8f0; color: #334155; font-size: 12px; line-height: 18px; text-align: center; }
.badge-error { background: #dc2626; color: #fff; }
.devtools .tools-row { display: flex; gap: 4px; padding: 8px; border-bottom: 1px solid #f1f5f9; align-items: center; }
.devtools .filter { font: inherit; font-size: 12px; padding: 3px 8px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; cursor: pointer; }
.devtools .filter.active { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
.devtools .search { flex: 1; min-width: 0; font: inherit; padding: 4px 8px; border: 1px solid #cbd5e1; border-radius: 6px; }
.devtools .entries { list-style: none; margin: 0; padding: 0; overflow: auto; flex: 1; }
.devtools .entry { padding: 6px 10px; border-bottom: 1px solid #f1f5f9; display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: baseline; }
.devtools .entry .text, .devtools .entry .url { flex: 1; min-width: 0; word-break: break-word; font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
.devtools .entry .url { word-break: break-all; }
.devtools .level-error, .devtools .level-uncaught, .devtools .level-rejection, .devtools .request.failed { background: #fef2f2; color: #991b1b; }
.devtools .level-warn { background: #fffbeb; color: #854d0e; }
.devtools .level { font-weight: 650; font-size: 11px; text-transform: uppercase; }
.devtools .when { font: inherit; font-size: 11px; color: #1d4ed8; border: 0; background: none; padding: 0; cursor: pointer; text-decoration: underline; }
.devtools .stack { flex-basis: 100%; }
.devtools .stack pre { margin: 4px 0 0; white-space: pre-wrap; font-size: 11px; color: #475569; }
.devtools .method { font-weight: 650; font-size: 11px; }
.devtools .net-status { font-weight: 650; }
.devtools .meta { flex-basis: 100%; color: #64748b; font-size: 11px; }
.devtools .empty { padding: 16px; color: #64748b; }
.session-info { margin: 0; padding: 10px 14px; overflow: auto; }
.session-info .info-row { display: grid; grid-template-columns: 90px 1fr; gap: 8px; padding: 5px 0; border-bottom: 1px solid #f1f5f9; }
.session-info dt { color: #64748b; }
.session-info dd { margin: 0; word-break: break-all; }
.timeline { display: flex; align-items: center; gap: 12px; padding: 8px 16px 10px; background: #0f172a; color: #e2e8f0; font-size: 13px; }
.timeline .mode-live { color: #4ade80; font-weight: 650; }
.timeline .mode-recording { color: #fbbf24; font-weight: 650; }
.timeline button { font: inherit; font-weight: 600; border: 0; border-radius: 8px; padding: 5px 12px; cursor: pointer; }
.timeline .go-live { background: #15803d; color: #fff; }
.timeline .export { background: #334155; color: #fff; }
.timeline .clock { font-variant-numeric: tabular-nums; min-width: 92px; }
/* Markers on the top 24px, the scrubber on the bottom 24px: each a whole 24px target that no other overlaps (WCAG 2.5.8). */
.timeline .track { position: relative; flex: 1; height: 48px; }
.timeline .scrubber { position: absolute; left: 0; right: 0; bottom: 0; width: 100%; height: 24px; margin: 0; }
.timeline .markers { position: absolute; left: 8px; right: 8px; top: 0; height: 24px; }
/* 24×24 to click or tap (WCAG 2.5.8), drawn as a small bar. */
.timeline .marker { position: absolute; top: 0; width: 24px; height: 24px; margin-left: -12px; padding: 0; border-radius: 4px; background: none; }
.timeline .marker::before { content: ''; position: absolute; left: 8px; top: 4px; width: 8px; height: 14px; border-radius: 2px; background: currentColor; }
.timeline .marker-error { color: #ef4444; }
.timeline .marker-click { color: #f97316; }
.timeline .marker-page { color: #38bdf8; }
.timeline .export-error { color: #fca5a5; }
.open-recording { text-align: center; color: #475569; font-size: 14px; }
.open-recording label { color: #1d4ed8; font-weight: 600; cursor: pointer; text-decoration: underline; }
.open-recording input { position: absolute; width: 1px; height: 1px; opacity: 0; }
.open-recording label:focus-within { outline: 3px solid #60a5fa; outline-offset: 2px; }
@media (max-height: 720px) { .timeline { padding: 4px 16px 6px; } }
/* A laptop (1024×640): the panel slides over the mirror instead of squeezing it, so the page stays readable. */
@media (max-width: 1279px) {
  .devtools { position: absolute; top: 0; bottom: 0; right: 0; z-index: 5; width: min(380px, 90vw); box-shadow: 0 12px 40px rgba(15,23,42,.35); }
}
/* A phone: the bar wraps (the scrubber gets a line of its own) and the panel covers the mirror's width. */
@media (max-width: 640px) {
  .timeline { flex-wrap: wrap; gap: 6px 10px; padding: 6px 10px 8px; }
  .timeline .track { order: 1; flex-basis: 100%; }
  .devtools { left: 0; width: auto; margin: 6px; }
}
@media (prefers-color-scheme: dark) {
  .devtools { background: #1e293b; color: #e2e8f0; }
  .devtools-head, .devtools .tools-row, .devtools .entry, .session-info .info-row { border-color: #334155; }
  .devtools-head .close { color: #cbd5e1; }
  .devtools .filter, .devtools .search { background: #0f172a; color: #e2e8f0; border-color: #475569; }
  .devtools .filter.active { background: #2563eb; border-color: #2563eb; }
  .devtools .level-error, .devtools .level-uncaught, .devtools .level-rejection, .devtools .request.failed { background: #450a0a; color: #fecaca; }
  .devtools .level-warn { background: #422006; color: #fde68a; }
  .devtools .when { color: #93c5fd; }
  .devtools .meta, .devtools .empty, .session-info dt, .devtools .stack pre { color: #94a3b8; }
  .open-recording { color: #cbd5e1; }
  .open-recording label { color: #93c5fd; }
}
`;
