import { describe, expect, it } from 'vitest';
import { JOIN_MESSAGES } from '../../../widget/i18n/join-messages.js';
import { joinCatalogue, joinLocale } from '../../../widget/ui/join-text.js';

describe("the join page's fetched texts", () => {
  it('keeps a whole catalogue as it is', () => {
    for (const [locale, texts] of Object.entries(JOIN_MESSAGES)) expect(joinCatalogue(JSON.parse(JSON.stringify(texts))), locale).toEqual(texts);
  });

  it('drops what is not shaped like English: numbers, a plural for a string, a string for a plural, broken plurals, unknown keys', () => {
    const plural = Object.entries(JOIN_MESSAGES.en).find(([, text]) => typeof text !== 'string')![0];
    const given = { ...JOIN_MESSAGES.de, title: 42, intro: { other: 'x' }, [plural]: 'flat', unknownKey: 'x' };
    const kept = joinCatalogue(given) as Record<string, unknown>;
    expect(kept.title).toBeUndefined();
    expect(kept.intro).toBeUndefined();
    expect(kept[plural]).toBeUndefined();
    expect(kept.unknownKey).toBeUndefined();
    expect(kept.join).toBe(JOIN_MESSAGES.de.join);
    expect(joinCatalogue({ [plural]: { one: 'a' } })).toEqual({});
    expect(joinCatalogue({ [plural]: { other: 'a', one: 3 } })).toEqual({});
    for (const junk of [null, 'text', 7, ['a'], undefined]) expect(joinCatalogue(junk)).toEqual({});
  });

  it('picks ?lang= first, then the browser languages, else English', () => {
    expect(joinLocale('?lang=fr', ['de-DE'])).toBe('fr');
    expect(joinLocale('', ['xx', 'pt-BR'])).toBe('pt');
    expect(joinLocale('?lang=zz', [])).toBe('en');
  });
});
