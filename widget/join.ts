import { h, render } from 'preact';
import { JoinPage } from './ui/join-page.js';

// The join page is served by the signaling server; `data-server` on <html> can point elsewhere.
const serverUrl = document.documentElement.dataset.server || location.origin;
render(h(JoinPage, { serverUrl }), document.getElementById('app')!);
