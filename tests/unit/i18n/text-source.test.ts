import { describe, expect, it } from 'vitest';
import { JOIN_MESSAGES } from '../../../widget/i18n/join-messages.js';
import { WIDGET_MESSAGES } from '../../../widget/i18n/widget-messages.js';
import { WIDGET_EN, type WidgetMessages } from '../../../widget/i18n/widget-en.js';
import { bundledTexts, catalogueLike } from '../../../widget/i18n/text-source.js';
import type { Message } from '../../../widget/i18n/translate.js';
import { WidgetText } from '../../../widget/ui/widget-text.js';

const SIDES: Record<string, Record<string, Record<string, Message>>> = { widget: WIDGET_MESSAGES, 'join page': JOIN_MESSAGES };

describe.each(Object.entries(SIDES))("the %s's fetched texts", (_, catalogues) => {
  const english = catalogues.en!;

  it('keeps a whole catalogue as it is', () => {
    for (const [locale, texts] of Object.entries(catalogues)) expect(catalogueLike(english, JSON.parse(JSON.stringify(texts))), locale).toEqual(texts);
  });

  it('drops what is not shaped like English: numbers, a plural for a string, a string for a plural, broken plurals, unknown keys', () => {
    const [first, second, third] = Object.keys(english).filter((key) => typeof english[key] === 'string');
    const plural = Object.entries(english).find(([, text]) => typeof text !== 'string')![0];
    const given = { ...catalogues.de, [first!]: 42, [second!]: { other: 'x' }, [plural]: 'flat', unknownKey: 'x' };
    const kept = catalogueLike(english, given) as unknown as Record<string, unknown>;
    expect(kept[first!]).toBeUndefined();
    expect(kept[second!]).toBeUndefined();
    expect(kept[plural]).toBeUndefined();
    expect(kept.unknownKey).toBeUndefined();
    expect(kept[third!]).toBe(catalogues.de![third!]);
    expect(catalogueLike(english, { [plural]: { one: 'a' } })).toEqual({});
    expect(catalogueLike(english, { [plural]: { other: 'a', one: 3 } })).toEqual({});
    for (const junk of [null, 'text', 7, ['a'], undefined]) expect(catalogueLike(english, junk)).toBeNull();
  });
});

describe("the widget's catalogues", () => {
  it('reads English until a language arrives, then that language, with the site’s overrides on top either way', async () => {
    let deliver: (texts: Partial<WidgetMessages> | null) => void = () => {};
    const asked: string[] = [];
    const text = new WidgetText((locale) => {
      asked.push(locale);
      return new Promise((resolve) => (deliver = resolve));
    });
    const arrivals: number[] = [];
    text.subscribe((state) => arrivals.push(state.size));
    const overrides = { allow: 'OK', de: { deny: 'Nein danke' } };
    text.request('de');
    text.request('de');
    text.request('en');
    expect(asked).toEqual(['de']);
    expect(text.translator('de', overrides).locale).toBe('en');
    expect(text.translator('de', overrides).t('share')).toBe(WIDGET_EN.share);
    expect(text.translator('de', overrides).t('allow')).toBe('OK');
    deliver({ share: WIDGET_MESSAGES.de.share });
    await Promise.resolve();
    expect(arrivals).toEqual([0, 1]);
    const german = text.translator('de', overrides);
    expect([german.locale, german.t('share'), german.t('cancel'), german.t('allow'), german.t('deny')]).toEqual(['de', WIDGET_MESSAGES.de.share, WIDGET_EN.cancel, 'OK', 'Nein danke']);
  });

  it('stays English for a language that could not be had, asking once', async () => {
    const asked: string[] = [];
    const text = new WidgetText((locale) => (asked.push(locale), Promise.resolve(null)));
    text.request('fr');
    await Promise.resolve();
    text.request('fr');
    expect(asked).toEqual(['fr']);
    expect(text.translator('fr').locale).toBe('en');
    expect(text.translator('fr').t('allow')).toBe(WIDGET_EN.allow);
  });

  it('has bundled languages at once, for the first render', () => {
    const text = new WidgetText(bundledTexts<WidgetMessages>(WIDGET_MESSAGES));
    text.request('ja');
    expect(text.translator('ja').t('allow')).toBe(WIDGET_MESSAGES.ja.allow);
    expect(text.translator('ja').dir).toBe('ltr');
    text.request('ar');
    expect(text.translator('ar').dir).toBe('rtl');
  });
});
