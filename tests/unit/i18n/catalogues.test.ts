import { describe, expect, it } from 'vitest';
import { JOIN_MESSAGES } from '../../../widget/i18n/join-messages.js';
import { WIDGET_MESSAGES } from '../../../widget/i18n/widget-messages.js';
import { createTranslator, LOCALES, pickLocale, type Message } from '../../../widget/i18n/translate.js';

const CATALOGUES: Record<string, Record<string, Record<string, Message>>> = { widget: WIDGET_MESSAGES, 'join page': JOIN_MESSAGES };

const placeholders = (message: Message) => [...new Set((typeof message === 'string' ? [message] : Object.values(message)).join(' ').match(/\{\w+\}/g) ?? [])].sort();

describe.each(Object.entries(CATALOGUES))('the %s catalogue', (_side, catalogue) => {
  const english = catalogue.en!;
  it('ships every language', () => {
    expect(Object.keys(catalogue).sort()).toEqual([...LOCALES].sort());
  });

  it.each(LOCALES.filter((l) => l !== 'en'))('%s has exactly the English keys, the same kinds and the same placeholders', (locale) => {
    const messages = catalogue[locale]!;
    expect(Object.keys(messages).sort()).toEqual(Object.keys(english).sort());
    for (const [key, message] of Object.entries(english)) {
      expect(typeof messages[key], key).toBe(typeof message);
      // `{count}` may be spelled out in a plural form (Arabic "one agent").
      expect(placeholders(messages[key]!).filter((p) => p !== '{count}'), key).toEqual(placeholders(message).filter((p) => p !== '{count}'));
      expect(String(typeof messages[key] === 'string' ? messages[key] : (messages[key] as { other: string }).other).trim(), key).not.toBe('');
    }
  });

  it('says nothing with a URL or an error code', () => {
    for (const messages of Object.values(catalogue)) for (const message of Object.values(messages)) expect(JSON.stringify(message)).not.toMatch(/https?:|ERR_[A-Z]/);
  });
});

describe('locales, plurals and overrides', () => {
  it('takes the first shipped language among the candidates, by base language, else English', () => {
    expect(pickLocale([undefined, 'pt-BR', 'de'])).toBe('pt');
    expect(pickLocale(['', 'xx', 'AR-eg'])).toBe('ar');
    expect(pickLocale(['sv-SE'])).toBe('en');
  });

  it('picks plural forms with Intl.PluralRules', () => {
    const pl = createTranslator(WIDGET_MESSAGES, 'pl');
    expect(pl.t('watching', { count: 1 })).toBe('1 konsultant ogląda');
    expect(pl.t('watching', { count: 3 })).toBe('3 konsultanci oglądają');
    expect(pl.t('watching', { count: 5 })).toBe('5 konsultantów ogląda');
    expect(createTranslator(WIDGET_MESSAGES, 'ar').t('watching', { count: 2 })).toBe('موظفان يشاهدان');
    expect(createTranslator(WIDGET_MESSAGES, 'en').t('watching', { count: 2 })).toBe('2 agents watching');
  });

  it('lets a site override any text, for all languages or for one, and ignores overrides of the wrong kind', () => {
    const texts = { share: 'Get help on screen', de: { share: 'Hilfe am Bildschirm' }, watching: 'not a plural' } as never;
    expect(createTranslator(WIDGET_MESSAGES, 'en', texts).t('share')).toBe('Get help on screen');
    expect(createTranslator(WIDGET_MESSAGES, 'de', texts).t('share')).toBe('Hilfe am Bildschirm');
    expect(createTranslator(WIDGET_MESSAGES, 'en', texts).t('watching', { count: 3 })).toBe('3 agents watching');
  });

  it('right-to-left for Arabic only, and lists names the language’s way', () => {
    expect(LOCALES.filter((l) => createTranslator(WIDGET_MESSAGES, l).dir === 'rtl')).toEqual(['ar']);
    expect(createTranslator(WIDGET_MESSAGES, 'en').list(['Alex', 'Bo', 'Cy'])).toBe('Alex, Bo, and Cy');
    expect(createTranslator(WIDGET_MESSAGES, 'de').list(['Alex', 'Bo'])).toBe('Alex und Bo');
  });

  it('one name (or none) is no list: Intl.ListFormat, whose first use loads ICU data, is not built for it', () => {
    const original = Intl.ListFormat;
    let built = 0;
    const intl = Intl as { ListFormat: typeof Intl.ListFormat };
    intl.ListFormat = class extends original {
      constructor(...args: ConstructorParameters<typeof original>) {
        super(...args);
        built++;
      }
    };
    try {
      const tr = createTranslator(WIDGET_MESSAGES, 'fr');
      expect([tr.list(['Alex']), tr.list([])]).toEqual(['Alex', '']);
      expect(built).toBe(0);
      expect(tr.list(['Alex', 'Bo'])).toBe('Alex et Bo');
      expect(built).toBe(1);
    } finally {
      intl.ListFormat = original;
    }
  });
});
