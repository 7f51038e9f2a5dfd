import { CoviewError } from './errors.js';

/**
 * Tiny decoders from `unknown`: every message that crosses a trust boundary (socket, data
 * channel) goes through one of these and comes out typed, or throws ERR_MALFORMED_MESSAGE
 * naming the bad field.
 */
export type Decoder<T> = (input: unknown, path?: string) => T;

export function fail(path: string, expected: string): never {
  throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: ${path || 'value'} should be ${expected}.`);
}

/** Strings are bounded by the whole message's size limit (see the channel), not separately. */
export const MAX_STRING = 64 * 1024 * 1024;

export function str(maxLength = MAX_STRING): Decoder<string> {
  return (input, path = '') => {
    if (typeof input !== 'string') fail(path, 'a string');
    if (input.length > maxLength) fail(path, `a string of at most ${maxLength} characters`);
    return input;
  };
}

export const num: Decoder<number> = (input, path = '') => {
  if (typeof input !== 'number' || !Number.isFinite(input)) fail(path, 'a finite number');
  return input;
};

export const int: Decoder<number> = (input, path = '') => {
  if (!Number.isSafeInteger(input)) fail(path, 'an integer');
  return input as number;
};

export const bool: Decoder<boolean> = (input, path = '') => {
  if (typeof input !== 'boolean') fail(path, 'true or false');
  return input;
};

export function literal<const T extends string | number>(...values: T[]): Decoder<T> {
  return (input, path = '') => {
    if (!values.includes(input as T)) fail(path, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
    return input as T;
  };
}

export function nullable<T>(decoder: Decoder<T>): Decoder<T | null> {
  return (input, path) => (input === null ? null : decoder(input, path));
}

export function optional<T>(decoder: Decoder<T>): Decoder<T | undefined> {
  return (input, path) => (input === undefined ? undefined : decoder(input, path));
}

export function array<T>(decoder: Decoder<T>, maxLength = 100_000): Decoder<T[]> {
  return (input, path = '') => {
    if (!Array.isArray(input)) fail(path, 'an array');
    if (input.length > maxLength) fail(path, `an array of at most ${maxLength} items`);
    return input.map((item, i) => decoder(item, `${path}[${i}]`));
  };
}

export function isRecord(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

type Shape<T> = { [K in keyof T]-?: Decoder<T[K]> };

/** Decodes an object with exactly the listed fields; unknown extra fields are dropped. */
export function object<T extends object>(shape: Shape<T>): Decoder<T> {
  return (input, path = '') => {
    if (!isRecord(input)) fail(path, 'an object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape) as (keyof T & string)[]) {
      const value = shape[key](input[key], path ? `${path}.${key}` : key);
      if (value !== undefined) out[key] = value;
    }
    return out as T;
  };
}

/**
 * A decoder built on first use. Call it marked as a pure call (`@__PURE__`): a side that never decodes
 * these messages (the customer never reads its own) then drops the whole table from its bundle;
 * built at the top level, the table's calls would keep it there.
 */
export function lazy<T>(build: () => Decoder<T>): Decoder<T> {
  let decoder: Decoder<T> | undefined;
  return (input, path) => (decoder ??= build())(input, path);
}

/** Decodes a union discriminated on its `type` field. */
export function tagged<T extends { type: string }>(variants: { [K in T['type']]: Decoder<Extract<T, { type: K }>> }): Decoder<T> {
  return (input, path = '') => {
    if (!isRecord(input) || typeof input.type !== 'string') fail(path, 'an object with a string "type"');
    const variant = (variants as Record<string, Decoder<T> | undefined>)[input.type];
    if (!variant || !Object.hasOwn(variants, input.type)) fail(`${path}${path ? '.' : ''}type`, `a known message type, not ${JSON.stringify(input.type).slice(0, 40)}`);
    return variant(input, path);
  };
}
