/**
 * Replaces `target[name]` with `wrap(original)` and returns the function that puts it back.
 * The page's own function always runs; only our bookkeeping is added around it.
 */
export function patch<T extends object, K extends keyof T>(target: T, name: K, wrap: (original: T[K] & ((...args: never[]) => unknown)) => T[K]): () => void {
  const original = target[name];
  if (typeof original !== 'function') return () => {};
  const wrapped = wrap(original as T[K] & ((...args: never[]) => unknown));
  target[name] = wrapped;
  return () => {
    if (target[name] === wrapped) target[name] = original;
  };
}
