import { installCoview } from './coview.js';
import { CORE_ENTRY, type CoreEntry } from './core-entry.js';
import { fetchedWidgetTexts } from './ui/widget-text.js';

/**
 * widget-core.js: capture, transport and the full widget UI, which widget.js (the loader,
 * widget/index.ts) loads on the first click of its button, the first API call that needs it, or
 * at once when this tab has a session to resume. Running it only hands `installCoview` over.
 */
// English is built in; the other languages' texts are fetched from widget-text/<locale>.json beside
// this file (wherever the loader found it: beside widget.js, or on the Coview server).
const scriptUrl = (document.currentScript as HTMLScriptElement | null)?.src;
const entry: CoreEntry = { version: __COVIEW_VERSION__, install: (options) => installCoview(options, fetchedWidgetTexts(scriptUrl || `${options.serverUrl}/`)) };
(globalThis as { [CORE_ENTRY]?: CoreEntry })[CORE_ENTRY] = entry;

declare const __COVIEW_VERSION__: string;
