import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { JOIN_MESSAGES, type JoinMessages } from '../i18n/join-messages.js';
import { createTranslator, pickLocale, type Translator } from '../i18n/translate.js';

/** The join page's words, for every component under it (English unless the page provides another). */
export const JoinText = createContext<Translator<JoinMessages>>(createTranslator(JOIN_MESSAGES, 'en'));

export function useJoinText(): Translator<JoinMessages> {
  return useContext(JoinText);
}

/** `?lang=de` on the join page's address, else the agent's browser languages, else English. */
export function joinTranslator(search: string, languages: readonly string[]): Translator<JoinMessages> {
  return createTranslator(JOIN_MESSAGES, pickLocale([new URLSearchParams(search).get('lang'), ...languages]));
}
