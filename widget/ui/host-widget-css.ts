// Inside the widget's shadow root: `all: initial` cuts off inherited host-page styles too.
export const WIDGET_CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.dock, .panel {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483647;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #0f172a;
}
.dock { display: flex; flex-direction: column; align-items: flex-end; gap: 8px; }
.panel {
  width: 320px; padding: 16px 18px; background: #fff; border-radius: 14px;
  box-shadow: 0 12px 40px rgba(15, 23, 42, .25), 0 0 0 1px rgba(15, 23, 42, .08);
}
.panel.sharing { border-top: 4px solid #dc2626; }
h2 { margin: 0 0 6px; font-size: 15px; font-weight: 650; display: flex; align-items: center; gap: 8px; }
.code { margin: 8px 0; font: 700 30px/1.1 ui-monospace, "SF Mono", Menlo, monospace; letter-spacing: .06em; color: #1d4ed8; }
.hint { margin: 0 0 10px; color: #475569; font-size: 13px; }
.notice { margin: 0 0 8px; padding: 6px 10px; border-radius: 8px; background: #f1f5f9; color: #334155; font-size: 13px; }
.actions { display: flex; justify-content: flex-end; gap: 8px; }
button {
  font: inherit; font-weight: 600; border: 0; border-radius: 10px; padding: 9px 14px; cursor: pointer;
}
button:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
button:disabled { opacity: .7; cursor: default; }
.primary { background: #1d4ed8; color: #fff; }
.primary:hover:not(:disabled) { background: #1e40af; }
.secondary { background: #e2e8f0; color: #0f172a; }
.danger { background: #dc2626; color: #fff; }
.fab { padding: 12px 18px; border-radius: 999px; box-shadow: 0 8px 24px rgba(29, 78, 216, .35); }
.dot { width: 10px; height: 10px; border-radius: 50%; background: #dc2626; animation: pulse 1.4s infinite; flex: none; }
@keyframes pulse { 50% { opacity: .35; } }
.agents { margin: 0 0 8px; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 6px; }
.agents li { padding: 2px 8px; border-radius: 999px; background: #ede9fe; color: #5b21b6; font-size: 12px; font-weight: 600; }
.panel.sharing .actions { flex-wrap: wrap; }
`;
