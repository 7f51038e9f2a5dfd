import { describe, expect, it } from 'vitest';
import { ROOM_CODE_DIGITS, formatRoomCode, normalizeRoomCode } from '../../../widget/protocol/index.js';

describe('share codes', () => {
  it('are nine digits in three groups', () => {
    expect(ROOM_CODE_DIGITS).toBe(9);
    expect(formatRoomCode('482913227')).toBe('482-913-227');
    expect(formatRoomCode('007000001')).toBe('007-000-001');
  });

  it.each([
    ['482-913-227'],
    ['482913227'],
    ['482 913 227'],
    ['  482 913 227  '],
    ['#482-913-227'],
    ['482.913.227'],
    ['48 29 13 22 7'],
    ['482\t913\n227'],
  ])('reads what people type: %j', (typed) => {
    expect(normalizeRoomCode(typed)).toBe('482-913-227');
  });

  it('keeps leading zeros', () => {
    expect(normalizeRoomCode('000 000 001')).toBe('000-000-001');
  });

  it.each([
    [''],
    ['48291322'],
    ['4829132271'],
    ['482-913-22'],
    ['482-913-2277'],
    ['abc-def-ghi'],
    ['482-913-22a'],
    ['482_913_227'],
    ['٤٨٢٩١٣٢٢٧'], // Arabic-Indic digits: not what the server issues
    ['+482913227'],
    [`482913227${' '.repeat(100)}`],
  ])('rejects %j', (typed) => {
    expect(normalizeRoomCode(typed)).toBeNull();
  });
});
