import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { JOIN_EN, type JoinMessages } from '../i18n/join-en.js';
import { createTranslator, LOCALES, pickLocale, type Locale, type Translator } from '../i18n/translate.js';

/** How long the page waits for its language's texts before it opens in English. */
const LOAD_TIMEOUT_MS = 5_000;

/** A translator for `locale` from one catalogue: every text it lacks reads in English. */
function translatorFor(locale: Locale, catalogue: Partial<JoinMessages>): Translator<JoinMessages> {
  const own = { ...JOIN_EN, ...catalogue };
  return createTranslator(Object.fromEntries(LOCALES.map((each) => [each, each === locale ? own : JOIN_EN])) as Record<Locale, JoinMessages>, locale);
}

/** The join page's words, for every component under it (English unless the page provides another). */
export const JoinText = createContext<Translator<JoinMessages>>(translatorFor('en', {}));

export function useJoinText(): Translator<JoinMessages> {
  return useContext(JoinText);
}

/** `?lang=de` on the join page's address, else the agent's browser languages, else English. */
export function joinLocale(search: string, languages: readonly string[]): Locale {
  return pickLocale([new URLSearchParams(search).get('lang'), ...languages]);
}

/**
 * The texts of a fetched catalogue that have English's shape (a string where English has a
 * string, plural forms of strings where it has plurals); anything else is left to English, so a
 * broken or stale file can garble no text.
 */
export function joinCatalogue(value: unknown): Partial<JoinMessages> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const given = value as Record<string, unknown>;
  const isPlural = (text: unknown) => text !== null && typeof text === 'object' && !Array.isArray(text) && typeof (text as { other?: unknown }).other === 'string' && Object.values(text).every((form) => typeof form === 'string');
  const kept: Record<string, unknown> = {};
  for (const [key, english] of Object.entries(JOIN_EN)) {
    const text = given[key];
    if (typeof english === 'string' ? typeof text === 'string' : isPlural(text)) kept[key] = text;
  }
  return kept as Partial<JoinMessages>;
}

/**
 * The join page's translator: English is built into join.js; any other language's texts are
 * fetched from `join-text/<locale>.json` beside the script (`base`). The page waits for them
 * (a few KiB, at most LOAD_TIMEOUT_MS) and opens in English, with a console warning, if they
 * cannot be had, rather than never.
 */
export async function loadJoinText(locale: Locale, base: string): Promise<Translator<JoinMessages>> {
  if (locale === 'en') return translatorFor('en', {});
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS);
  try {
    const response = await fetch(new URL(`join-text/${locale}.json`, base), { signal: abort.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return translatorFor(locale, joinCatalogue(await response.json()));
  } catch (error) {
    console.warn(`[coview] the join page's "${locale}" texts could not be loaded (${error instanceof Error ? error.message : String(error)}); showing English.`);
    return translatorFor('en', {});
  } finally {
    clearTimeout(timer);
  }
}
