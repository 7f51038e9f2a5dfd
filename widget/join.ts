import { h, render } from 'preact';
import { JoinPage } from './ui/join-page.js';
import { JoinText, joinLocale, loadJoinText } from './ui/join-text.js';

// The join page is served by the signaling server; `data-server` on <html> can point elsewhere.
const serverUrl = document.documentElement.dataset.server || location.origin;
// How much of the session time travel keeps at full detail (see timeline.ts); `data-coview-history-minutes` on <html>.
const historyMinutes = Number(document.documentElement.dataset.coviewHistoryMinutes);
const timeTravel = Number.isFinite(historyMinutes) && historyMinutes > 0 ? { fullDetailMs: historyMinutes * 60_000 } : {};
// The texts of languages other than English sit beside this script (join-text/<locale>.json).
const scriptUrl = (document.currentScript as HTMLScriptElement | null)?.src || location.href;

void loadJoinText(joinLocale(location.search, navigator.languages ?? [navigator.language]), scriptUrl).then((text) => {
  document.documentElement.lang = text.locale;
  document.documentElement.dir = text.dir;
  document.title = text.t('pageTitle');
  render(h(JoinText.Provider, { value: text }, h(JoinPage, { serverUrl, timeTravel })), document.getElementById('app')!);
});
