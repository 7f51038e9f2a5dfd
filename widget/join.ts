import { h, render } from 'preact';
import { JoinPage } from './ui/join-page.js';
import { JoinText, joinTranslator } from './ui/join-text.js';

// The join page is served by the signaling server; `data-server` on <html> can point elsewhere.
const serverUrl = document.documentElement.dataset.server || location.origin;
const text = joinTranslator(location.search, navigator.languages ?? [navigator.language]);
document.documentElement.lang = text.locale;
document.documentElement.dir = text.dir;
document.title = text.t('pageTitle');
render(h(JoinText.Provider, { value: text }, h(JoinPage, { serverUrl })), document.getElementById('app')!);
