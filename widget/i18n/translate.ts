/**
 * Plain-object message catalogues, no library: a catalogue maps keys to strings with `{name}`
 * placeholders, or to plural forms picked by `Intl.PluralRules`. Both sides (widget, join page)
 * share this and keep their own catalogue (widget-messages.ts, join-messages.ts).
 */

/** The languages shipped, in the order the README lists them. */
export const LOCALES = ['en', 'de', 'fr', 'es', 'pt', 'it', 'nl', 'pl', 'ja', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];
const RTL_LOCALES: ReadonlySet<string> = new Set(['ar']);

/** Plural forms by CLDR category; `other` is always there and used for any category missing. */
export type Plural = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;
export type Message = string | Plural;

/** A catalogue's shape from its English original: same keys, strings stay strings, plurals plurals. */
export type CatalogueOf<T> = { [K in keyof T]: T[K] extends string ? string : Plural };

/**
 * What a site may override: any key (for whichever language is on screen), or per language
 * (`{ de: { share: 'Hilfe holen' } }`).
 */
export type TextOverrides<T> = Partial<CatalogueOf<T>> & Partial<Record<Locale, Partial<CatalogueOf<T>>>>;

/**
 * The first candidate (a BCP 47 tag such as `pt-BR` or `de`) that names a shipped language,
 * else English. Empty and malformed candidates are skipped.
 */
export function pickLocale(candidates: readonly (string | null | undefined)[]): Locale {
  for (const candidate of candidates) {
    const base = candidate?.trim().toLowerCase().split(/[-_]/)[0];
    if (base && (LOCALES as readonly string[]).includes(base)) return base as Locale;
  }
  return 'en';
}

/** The widget's language (the loader's and the full widget's): the site's choice, else the page's `<html lang>`, else the browser's. */
export function widgetLocale(choice: string | undefined, doc: Document): Locale {
  return pickLocale([choice, doc.documentElement.lang, ...(navigator.languages ?? []), navigator.language]);
}

export function directionOf(locale: Locale): 'ltr' | 'rtl' {
  return RTL_LOCALES.has(locale) ? 'rtl' : 'ltr';
}

export interface Translator<T> {
  readonly locale: Locale;
  readonly dir: 'ltr' | 'rtl';
  /** The message for `key`, placeholders filled in; a plural is read as `other` unless `count` is given. */
  t(key: keyof T, vars?: Record<string, string | number>): string;
  /** "Alex", "Alex and Bo", "Alex, Bo and Cy", in this language (Intl.ListFormat). */
  list(items: readonly string[]): string;
}

export function createTranslator<T extends Record<string, Message>>(catalogues: Record<Locale, CatalogueOf<T>>, locale: Locale, overrides: TextOverrides<T> = {}): Translator<T> {
  const base = catalogues[locale];
  const own = overrides[locale] as Partial<CatalogueOf<T>> | undefined;
  const plural = new Intl.PluralRules(locale);
  let listFormat: Intl.ListFormat | null = null;
  const pick = (key: keyof T): Message | undefined => {
    const fromSite = own?.[key] ?? (overrides as Partial<CatalogueOf<T>>)[key];
    // A site's override of the wrong kind (a plural for a plain string) is ignored rather than shown as [object Object].
    if (fromSite !== undefined && typeof fromSite === typeof base[key]) return fromSite;
    return base[key] ?? catalogues.en[key];
  };
  return {
    locale,
    dir: directionOf(locale),
    t(key, vars = {}) {
      const message = pick(key);
      if (message === undefined) return String(key);
      const text = typeof message === 'string' ? message : (message[plural.select(Number(vars.count ?? 0)) as Intl.LDMLPluralRule] ?? message.other);
      return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
    },
    list(items) {
      // One name needs no list, and no Intl.ListFormat: its first use in a page loads ICU's list
      // patterns, ~50 ms of main thread at 4× CPU, right when sharing starts.
      if (items.length < 2) return items[0] ?? '';
      try {
        listFormat ??= new Intl.ListFormat(locale, { type: 'conjunction' });
        return listFormat.format(items);
      } catch {
        return items.join(', ');
      }
    },
  };
}

/** Site overrides from JSON (a script tag's `data-texts`): anything that is not an object of strings is dropped. */
export function parseTextOverrides<T>(json: string | undefined): TextOverrides<T> {
  if (!json) return {};
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as TextOverrides<T>) : {};
  } catch {
    console.warn('[coview] data-texts is not valid JSON; the default texts are used.');
    return {};
  }
}
