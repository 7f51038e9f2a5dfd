/**
 * What a session needs to come back after a page load in the same tab: kept in sessionStorage
 * (per tab, per origin, gone when the tab closes), so a reload or a link on the same site resumes
 * without a new code or a new consent, and nothing outlives the tab.
 */
/** A page load in the same tab within this long resumes; longer, and the customer starts again. */
export const RESUME_WITHIN_MS = 10 * 60_000;
/** The customer's session (HostSession); widget.js looks for it to load the rest of the widget at once. */
export const HOST_SLOT_KEY = 'coview.host.v1';
/** The words and look chosen while sharing (coview.ts); widget.js reads their language to preload its texts. */
export const UI_SLOT_KEY = 'coview.ui.v1';

export interface ResumeSlot<T> {
  load(): T | null;
  save(value: T): void;
  clear(): void;
}

export function resumeSlot<T extends { savedAt: number }>(key: string, maxAgeMs: number, storage: () => Storage = () => sessionStorage): ResumeSlot<T> {
  return {
    load() {
      try {
        const raw = storage().getItem(key);
        if (!raw) return null;
        const value = JSON.parse(raw) as T;
        if (typeof value?.savedAt !== 'number' || Date.now() - value.savedAt > maxAgeMs) {
          storage().removeItem(key);
          return null;
        }
        return value;
      } catch {
        // Storage can be disabled or full; resuming is a convenience, never a reason to break.
        return null;
      }
    },
    save(value) {
      try {
        storage().setItem(key, JSON.stringify(value));
      } catch {
        // As above.
      }
    },
    clear() {
      try {
        storage().removeItem(key);
      } catch {
        // As above.
      }
    },
  };
}
