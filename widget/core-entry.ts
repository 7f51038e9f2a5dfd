import type { CoviewApi, InstallOptions } from './coview.js';

/**
 * How widget.js (the loader, widget/index.ts) and widget-core.js (widget/core.ts, loaded on
 * demand) meet: the core file puts this on the page when it runs, the loader reads it once the
 * file has loaded. A symbol of the global registry, so it clashes with nothing of the page's.
 */
export const CORE_ENTRY = Symbol.for('coview.core');

export interface CoreEntry {
  /** The core file's version: a loader and core of different deploys still meet through this one call. */
  readonly version: string;
  install(options: InstallOptions): CoviewApi;
}

export const coreEntry = (): CoreEntry | undefined => (globalThis as { [CORE_ENTRY]?: CoreEntry })[CORE_ENTRY];
