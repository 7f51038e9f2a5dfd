import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { JOIN_EN, type JoinMessages } from '../i18n/join-en.js';
import { fetchedTexts, translatorFor } from '../i18n/text-source.js';
import { pickLocale, type Locale, type Translator } from '../i18n/translate.js';

/** A translator for `locale` from one catalogue: every text it lacks reads in English. */
const translatorOf = (locale: Locale, catalogue: Partial<JoinMessages>): Translator<JoinMessages> => translatorFor<JoinMessages>(JOIN_EN, locale, catalogue);

/** The join page's words, for every component under it (English unless the page provides another). */
export const JoinText = createContext<Translator<JoinMessages>>(translatorOf('en', {}));

export function useJoinText(): Translator<JoinMessages> {
  return useContext(JoinText);
}

/** `?lang=de` on the join page's address, else the agent's browser languages, else English. */
export function joinLocale(search: string, languages: readonly string[]): Locale {
  return pickLocale([new URLSearchParams(search).get('lang'), ...languages]);
}

/**
 * The join page's translator: English is built into join.js; any other language's texts are
 * fetched from `join-text/<locale>.json` beside the script (`base`). The page waits for them
 * (a few KiB, at most LOAD_TIMEOUT_MS) and opens in English, with a console warning, if they
 * cannot be had, rather than never.
 */
export async function loadJoinText(locale: Locale, base: string): Promise<Translator<JoinMessages>> {
  if (locale === 'en') return translatorOf('en', {});
  const texts = await fetchedTexts<JoinMessages>(JOIN_EN, 'join-text', base, "the join page's")(locale);
  return texts ? translatorOf(locale, texts) : translatorOf('en', {});
}
