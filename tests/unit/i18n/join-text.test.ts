import { describe, expect, it } from 'vitest';
import { joinLocale } from '../../../widget/ui/join-text.js';

describe("the join page's language", () => {
  it('picks ?lang= first, then the browser languages, else English', () => {
    expect(joinLocale('?lang=fr', ['de-DE'])).toBe('fr');
    expect(joinLocale('', ['xx', 'pt-BR'])).toBe('pt');
    expect(joinLocale('?lang=zz', [])).toBe('en');
  });
});
