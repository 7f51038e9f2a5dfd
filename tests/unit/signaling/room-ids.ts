import { randomBytes } from 'node:crypto';

/** A room id as the widget derives one (32 bytes, base64url): the server cannot tell it from a real one. */
export function newRoomId(): string {
  return randomBytes(32).toString('base64url');
}
