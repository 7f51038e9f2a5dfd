import { describe, expect, it } from 'vitest';
import { LOADER_KEYS, LOADER_MESSAGES } from '../../../widget/i18n/loader-messages.js';
import { LOCALES } from '../../../widget/i18n/translate.js';
import { WIDGET_MESSAGES } from '../../../widget/i18n/widget-messages.js';

describe("the loader's texts", () => {
  it('are the widget catalogue’s own words, in every shipped language', () => {
    expect(Object.keys(LOADER_MESSAGES).sort()).toEqual([...LOCALES].sort());
    for (const locale of LOCALES) {
      const expected = Object.fromEntries(LOADER_KEYS.map((key) => [key, WIDGET_MESSAGES[locale][key]]));
      expect(LOADER_MESSAGES[locale], locale).toEqual(expected);
    }
  });
});
