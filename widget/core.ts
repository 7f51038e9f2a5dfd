import { installCoview } from './coview.js';
import { CORE_ENTRY, type CoreEntry } from './core-entry.js';

/**
 * widget-core.js: capture, transport and the full widget UI, which widget.js (the loader,
 * widget/index.ts) loads on the first click of its button, the first API call that needs it, or
 * at once when this tab has a session to resume. Running it only hands `installCoview` over.
 */
const entry: CoreEntry = { version: __COVIEW_VERSION__, install: installCoview };
(globalThis as { [CORE_ENTRY]?: CoreEntry })[CORE_ENTRY] = entry;

declare const __COVIEW_VERSION__: string;
