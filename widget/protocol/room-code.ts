/**
 * Share codes are what a customer reads aloud to an agent on the phone: digits only, in groups
 * of three (`482-913-227`). The server draws the digits from crypto randomness.
 */
export const ROOM_CODE_GROUPS = 3;
export const ROOM_CODE_GROUP_SIZE = 3;
export const ROOM_CODE_DIGITS = ROOM_CODE_GROUPS * ROOM_CODE_GROUP_SIZE;

export function formatRoomCode(digits: string): string {
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += ROOM_CODE_GROUP_SIZE) groups.push(digits.slice(i, i + ROOM_CODE_GROUP_SIZE));
  return groups.join('-');
}

/** Accepts what people type (`482 913 227`, `482913227`, `#482-913-227`) and returns the canonical code, or null. */
export function normalizeRoomCode(input: string): string | null {
  if (input.length > 64) return null;
  const digits = input.replace(/[\s\-#.]/g, '');
  if (!/^\d+$/.test(digits) || digits.length !== ROOM_CODE_DIGITS) return null;
  return formatRoomCode(digits);
}
