/**
 * Share codes are what a customer reads aloud to an agent on the phone: nine characters of
 * Crockford base32 in three groups (`K7Q-M2X-9FD`), 45 bits from crypto randomness, drawn in the
 * customer's browser (the server never sees a code: see handshake.ts).
 * Crockford's alphabet has no I, L, O or U, so what people mistype or mishear maps back:
 * case does not matter, O reads as 0, I and L read as 1.
 */
export const ROOM_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ROOM_CODE_GROUPS = 3;
export const ROOM_CODE_GROUP_SIZE = 3;
export const ROOM_CODE_LENGTH = ROOM_CODE_GROUPS * ROOM_CODE_GROUP_SIZE;
/** 5 bits per character. */
export const ROOM_CODE_BITS = ROOM_CODE_LENGTH * 5;
export const EXAMPLE_ROOM_CODE = 'K7Q-M2X-9FD';

export function formatRoomCode(chars: string): string {
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += ROOM_CODE_GROUP_SIZE) groups.push(chars.slice(i, i + ROOM_CODE_GROUP_SIZE));
  return groups.join('-');
}

/** Turns ROOM_CODE_LENGTH random values (each used mod 32) into a formatted code. */
export function roomCodeFrom(randomValues: ArrayLike<number>): string {
  let chars = '';
  for (let i = 0; i < ROOM_CODE_LENGTH; i++) chars += ROOM_CODE_ALPHABET[(randomValues[i] ?? 0) & 31];
  return formatRoomCode(chars);
}

/** A fresh share code from crypto randomness (a byte mod 32 is uniform: 256 is a multiple of 32). */
export function randomRoomCode(): string {
  return roomCodeFrom(crypto.getRandomValues(new Uint8Array(ROOM_CODE_LENGTH)));
}

/** Accepts what people type (`k7q m2x 9fd`, `K7QM2X9FD`, `#K7Q-M2X-9FD`, `K7Q-M2X-9FO`) and returns the canonical code, or null. */
export function normalizeRoomCode(input: string): string | null {
  if (input.length > 64) return null;
  const chars = input
    .replace(/[\s\-#.]/g, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (chars.length !== ROOM_CODE_LENGTH || ![...chars].every((c) => ROOM_CODE_ALPHABET.includes(c))) return null;
  return formatRoomCode(chars);
}
