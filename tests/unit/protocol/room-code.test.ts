import { describe, expect, it } from 'vitest';
import { ROOM_CODE_BITS, formatRoomCode, normalizeRoomCode, roomCodeFrom } from '../../../widget/protocol/index.js';

describe('share codes', () => {
  it('carry at least 40 bits in three readable groups', () => {
    expect(ROOM_CODE_BITS).toBeGreaterThanOrEqual(40);
    expect(formatRoomCode('K7QM2X9FD')).toBe('K7Q-M2X-9FD');
    expect(roomCodeFrom([0, 1, 2, 31, 30, 29, 10, 18, 27])).toBe('012-ZYX-AJV');
  });

  it.each([
    ['K7Q-M2X-9FD'],
    ['K7QM2X9FD'],
    ['k7q m2x 9fd'],
    ['  K7Q M2X 9FD  '],
    ['#K7Q-M2X-9FD'],
    ['K7Q.M2X.9FD'],
    ['K7 QM 2X 9F D'],
    ['K7Q\tM2X\n9FD'],
  ])('reads what people type: %j', (typed) => {
    expect(normalizeRoomCode(typed)).toBe('K7Q-M2X-9FD');
  });

  it('reads O as zero and I or L as one, the way people mishear them', () => {
    expect(normalizeRoomCode('OOO-ILl-i10')).toBe('000-111-110');
  });

  it.each([
    [''],
    ['K7QM2X9F'],
    ['K7QM2X9FDA'],
    ['K7Q-M2X-9FU'], // U is not in Crockford base32
    ['K7Q_M2X_9FD'],
    ['K7Q-M2X-9F!'],
    ['К7Q-M2X-9FD'], // Cyrillic К
    ['+K7QM2X9FD'],
    [`K7QM2X9FD${' '.repeat(100)}`],
  ])('rejects %j', (typed) => {
    expect(normalizeRoomCode(typed)).toBeNull();
  });
});
