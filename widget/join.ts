import { h, render } from 'preact';
import { JoinPage } from './ui/join-page.js';
import { JoinText, joinTranslator } from './ui/join-text.js';

// The join page is served by the signaling server; `data-server` on <html> can point elsewhere.
const serverUrl = document.documentElement.dataset.server || location.origin;
// How much of the session time travel keeps at full detail (see timeline.ts); `data-coview-history-minutes` on <html>.
const historyMinutes = Number(document.documentElement.dataset.coviewHistoryMinutes);
const timeTravel = Number.isFinite(historyMinutes) && historyMinutes > 0 ? { fullDetailMs: historyMinutes * 60_000 } : {};
const text = joinTranslator(location.search, navigator.languages ?? [navigator.language]);
document.documentElement.lang = text.locale;
document.documentElement.dir = text.dir;
document.title = text.t('pageTitle');
render(h(JoinText.Provider, { value: text }, h(JoinPage, { serverUrl, timeTravel })), document.getElementById('app')!);
