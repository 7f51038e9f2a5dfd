import { createTranslator, LOCALES, type CatalogueOf, type Locale, type Message, type TextOverrides, type Translator } from './translate.js';

/**
 * Where one side's texts in a language other than English come from: its English is built in
 * (join-en.ts, widget-en.ts), the other languages are bundled (the npm module) or fetched from
 * `<folder>/<locale>.json` beside the script (join.js, widget-core.js). The entry point decides.
 * An answer of `null`: the texts could not be had, and the side shows English.
 */
export type TextSource<T> = (locale: Exclude<Locale, 'en'>) => Partial<T> | null | Promise<Partial<T> | null>;

/** How long a side waits for its language's texts before it shows English for good. */
const LOAD_TIMEOUT_MS = 5_000;

/** The folders of texts beside the scripts, one a side: written by the build, served by the server, shipped in the package. */
export const TEXT_FOLDERS = ['join-text', 'widget-text'] as const;
export type TextFolder = (typeof TEXT_FOLDERS)[number];

/** Where a side's texts in `locale` sit: `<folder>/<locale>.json` beside its script (`base`). */
export function textsUrl(folder: TextFolder, locale: Locale, base: string): string {
  return new URL(`${folder}/${locale}.json`, base).href;
}

/** Every language at hand already (the npm module bundles them): answered at once, no fetch. */
export function bundledTexts<T>(catalogues: Readonly<Record<Locale, T>>): TextSource<T> {
  return (locale) => catalogues[locale];
}

/**
 * Fetches `<folder>/<locale>.json` beside `base` (the script's URL), keeping only what has
 * English's shape; `null`, with one console warning naming `whose` texts, when it cannot be had
 * (offline, an HTTP error, not JSON, JSON that is no catalogue, or no answer within LOAD_TIMEOUT_MS).
 */
export function fetchedTexts<T extends Record<string, Message>>(english: T, folder: TextFolder, base: string, whose: string): TextSource<T> {
  return async (locale) => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS);
    try {
      const response = await fetch(textsUrl(folder, locale, base), { signal: abort.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const texts = catalogueLike(english, await response.json());
      if (!texts) throw new Error('not a catalogue');
      return texts;
    } catch (error) {
      console.warn(`[coview] ${whose} "${locale}" texts could not be loaded (${error instanceof Error ? error.message : String(error)}); showing English.`);
      return null;
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * The texts of a fetched catalogue that have English's shape (a string where English has a
 * string, plural forms of strings where it has plurals); anything else is left to English, so a
 * broken or stale file can garble no text. `null` for a value that is no catalogue at all.
 */
export function catalogueLike<T extends Record<string, Message>>(english: T, value: unknown): Partial<T> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const given = value as Record<string, unknown>;
  const isPlural = (text: unknown) => text !== null && typeof text === 'object' && !Array.isArray(text) && typeof (text as { other?: unknown }).other === 'string' && Object.values(text).every((form) => typeof form === 'string');
  const kept: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(english)) {
    const candidate = given[key];
    if (typeof text === 'string' ? typeof candidate === 'string' : isPlural(candidate)) kept[key] = candidate;
  }
  return kept as Partial<T>;
}

/** A translator for `locale` from one catalogue: every text it lacks reads in English. */
export function translatorFor<T extends Record<string, Message>>(english: T, locale: Locale, catalogue: Partial<T>, overrides?: TextOverrides<T>): Translator<T> {
  const own = { ...english, ...catalogue };
  return createTranslator(Object.fromEntries(LOCALES.map((each) => [each, each === locale ? own : english])) as unknown as Record<Locale, CatalogueOf<T>>, locale, overrides);
}
