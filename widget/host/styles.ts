import { stringifyStylesheet } from 'rrweb-snapshot';
import type { CaptureContext } from './capture.js';
import { patch } from './patch.js';
import { cssSourceOf } from './css-sources.js';

/** Sheet changes wait this long so a CSS-in-JS burst of insertRule calls goes out as one message. */
const COALESCE_MS = 16;

/**
 * Styles that change without any DOM mutation: CSSOM edits (insertRule/deleteRule, what CSS-in-JS
 * libraries do), constructed sheets adopted by documents and shadow roots, and <link> sheets that
 * finish loading after their element was sent. Each change resends the sheet's whole text: simple,
 * idempotent, and small next to the page.
 */
export function watchStyles(ctx: CaptureContext) {
  const cleanups: (() => void)[] = [];
  // Constructed sheets by the number the agent knows them by (this capture's numbering; a new
  // capture, a new snapshot, numbers and sends them afresh).
  const sheetNumbers = new WeakMap<CSSStyleSheet, number>();
  let lastSheetNumber = 0;
  const dirty = new Set<CSSStyleSheet>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const sendSheetOf = (owner: Element) => {
    const id = ctx.idOf(owner);
    const sheet = (owner as HTMLStyleElement | HTMLLinkElement).sheet;
    if (id < 0 || !sheet) return;
    const cssText = sheetText(sheet);
    if (cssText !== null) ctx.emit({ type: 'stylesheet', id, cssText });
  };

  const sendConstructed = (sheet: CSSStyleSheet, number: number) => ctx.emit({ type: 'sheet', sheet: number, cssText: sheetText(sheet) ?? '' });

  const sendAdopted = (root: Document | ShadowRoot) => {
    const sheets = root.adoptedStyleSheets ?? [];
    const id = ctx.idOf(root.nodeType === Node.DOCUMENT_NODE ? root : (root as ShadowRoot).host);
    if (id < 0 || (sheets.length === 0 && !announced.has(root))) return;
    announced.add(root);
    const numbers = sheets.map((sheet) => {
      let number = sheetNumbers.get(sheet);
      if (number === undefined) {
        sheetNumbers.set(sheet, (number = ++lastSheetNumber));
        sendConstructed(sheet, number);
      }
      return number;
    });
    ctx.emit({ type: 'adopted-sheets', id, sheets: numbers });
  };
  const announced = new WeakSet<Node>();

  const flushDirty = ctx.safe(() => {
    timer = null;
    for (const sheet of dirty) {
      if (sheet.ownerNode instanceof Element) sendSheetOf(sheet.ownerNode);
      else {
        // Every root that adopts it names it by number: its new text is all that travels.
        const number = sheetNumbers.get(sheet);
        if (number !== undefined) sendConstructed(sheet, number);
      }
    }
    dirty.clear();
  });

  const changed = (sheet: CSSStyleSheet | null | undefined) => {
    if (!sheet) return;
    dirty.add(sheet);
    timer ??= setTimeout(flushDirty, COALESCE_MS);
  };

  // The page's function runs first and its result (or exception) is the page's; we only take note.
  const noting = <F extends (...args: never[]) => unknown>(sheetOf: (self: never) => CSSStyleSheet | null | undefined) => (original: F) =>
    function (this: unknown, ...args: Parameters<F>) {
      const result = original.apply(this, args);
      ctx.safe(() => changed(sheetOf(this as never)))();
      return result;
    } as unknown as F;

  const sheetProto = CSSStyleSheet.prototype;
  for (const name of ['insertRule', 'deleteRule', 'replaceSync', 'addRule', 'removeRule'] as const) {
    cleanups.push(patch(sheetProto, name, noting((self: CSSStyleSheet) => self)));
  }
  cleanups.push(
    patch(sheetProto, 'replace', (original) =>
      function (this: CSSStyleSheet, text: string) {
        const result = (original as (text: string) => Promise<CSSStyleSheet>).call(this, text);
        void result.then(() => ctx.safe(() => changed(this))(), () => {});
        return result;
      },
    ),
  );
  // Rules inside @media/@supports blocks are edited through the grouping rule.
  if (typeof CSSGroupingRule !== 'undefined') {
    for (const name of ['insertRule', 'deleteRule'] as const) {
      cleanups.push(patch(CSSGroupingRule.prototype, name, noting((self: CSSGroupingRule) => self.parentStyleSheet)));
    }
  }
  // Assigning adoptedStyleSheets is a setter on Document and ShadowRoot.
  for (const proto of [Document.prototype, ShadowRoot.prototype]) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'adoptedStyleSheets');
    if (!descriptor?.set || !descriptor.get) continue;
    Object.defineProperty(proto, 'adoptedStyleSheets', {
      ...descriptor,
      set(this: Document | ShadowRoot, value: CSSStyleSheet[]) {
        descriptor.set!.call(this, value);
        ctx.safe(() => sendAdopted(this))();
      },
    });
    cleanups.push(() => Object.defineProperty(proto, 'adoptedStyleSheets', descriptor));
  }

  return {
    sendSheetOf,
    sendAdopted,
    stop() {
      if (timer) clearTimeout(timer);
      cleanups.forEach((cleanup) => cleanup());
    },
  };
}

/** A sheet's rules as text (rrweb's stringifyStylesheet), with var() shorthands kept (see below). */
export function sheetText(sheet: CSSStyleSheet): string | null {
  const text = stringifyStylesheet(sheet);
  return text === null ? null : repairVarShorthands(text, sheet);
}

// A declaration with nothing after its colon: `border-right-style: ;` (not a custom property's
// legitimately empty `--tw-pan-x: ;`).
const EMPTY_DECLARATION = /(?:^|[\s;{])[a-z][a-z-]*:\s*;/i;

/**
 * Chromium serializes a CSSOM rule whose shorthand uses var() and is partly overridden by a
 * longhand (`border: 1px solid var(--c); border-right-style: dashed`) as empty longhands
 * (`border-top-color: ; …`). The shorthand's text then exists only inside the engine: no CSSOM
 * call gives it back. CSS-in-JS libraries, adopted sheets and web components write rules exactly
 * this way, and the agent would lose the border. Such rules are rewritten from their source
 * text: what the page passed to insertRule/replaceSync (noted by css-sources.ts), or the
 * <style> element's own text.
 */
export function repairVarShorthands(text: string, sheet: CSSStyleSheet): string {
  if (!EMPTY_DECLARATION.test(text)) return text;
  let out = text;
  const visit = (rules: CSSRuleList | undefined) => {
    if (!rules) return;
    for (const rule of Array.from(rules)) {
      if ('selectorText' in rule && EMPTY_DECLARATION.test(rule.cssText)) {
        const declarations = cssSourceOf(rule as CSSStyleRule);
        if (declarations) out = out.split(rule.cssText).join(`${(rule as CSSStyleRule).selectorText} { ${declarations} }`);
      }
      visit((rule as CSSGroupingRule).cssRules);
    }
  };
  try {
    visit(sheet.cssRules);
  } catch {
    // A sheet that cannot be read (cross-origin) was not stringified either.
  }
  return out;
}
