/**
 * Keeping the widget off what the customer is about to use. The widget's parts (its panel or
 * pill, the control banner) sit in a corner; CSS places them symmetrically, so the same parts in
 * another corner are their boxes mirrored about the middle of the screen. Each corner is scored by
 * the page controls it would cover; the widget moves only when where it is covers one, to the
 * first corner that covers none, else it folds (when it may), else to the one that covers fewest.
 */
export type Corner = 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left';

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What a customer taps, clicks or types into. */
const CONTROLS =
  'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [role="link"], [role="checkbox"], [role="radio"], [role="switch"], [role="tab"], [role="menuitem"], [role="option"], [contenteditable=""], [contenteditable="true"], [tabindex]:not([tabindex="-1"])';

/** The focused control counts for more than any other: most when its middle would be hidden, less when only touched. */
const FOCUSED_HIDDEN = 100;
const FOCUSED_TOUCHED = 10;

export function flipVertical(corner: Corner): Corner {
  return (corner.startsWith('bottom') ? corner.replace('bottom', 'top') : corner.replace('top', 'bottom')) as Corner;
}
export function flipHorizontal(corner: Corner): Corner {
  return (corner.endsWith('right') ? corner.replace('right', 'left') : corner.replace('left', 'right')) as Corner;
}

/** The corners to try instead of `corner`, nearest move first: the other edge, the other side, both. */
export function alternativesTo(corner: Corner): Corner[] {
  return [flipVertical(corner), flipHorizontal(corner), flipHorizontal(flipVertical(corner))];
}

/** `boxes`, drawn for `from`, as they would be in `to` (a screen `width` × `height`). */
export function mirrored(boxes: readonly Box[], from: Corner, to: Corner, width: number, height: number): Box[] {
  const vertical = from.split('-')[0] !== to.split('-')[0];
  const horizontal = from.split('-')[1] !== to.split('-')[1];
  return boxes.map((b) => ({
    left: horizontal ? width - b.right : b.left,
    right: horizontal ? width - b.left : b.right,
    top: vertical ? height - b.bottom : b.top,
    bottom: vertical ? height - b.top : b.bottom,
  }));
}

export type Move = { corner: Corner } | { fold: true } | null;

/** Where to go, given how much each corner covers (`cost`), or null to stay. */
export function decideMove(current: Corner, cost: (corner: Corner) => number, canFold: boolean): Move {
  const here = cost(current);
  if (here === 0) return null;
  const options = alternativesTo(current).map((corner) => ({ corner, cost: cost(corner) }));
  const free = options.find((o) => o.cost === 0);
  if (free) return { corner: free.corner };
  if (canFold) return { fold: true };
  const best = options.reduce((a, b) => (b.cost < a.cost ? b : a));
  return best.cost < here ? { corner: best.corner } : null;
}

const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const contains = (b: Box, x: number, y: number) => x >= b.left && x <= b.right && y >= b.top && y <= b.bottom;

/**
 * A cost function over corners for the page of `host` now: the focused control counts whenever
 * the widget would touch it, and most when it would hide its middle; with `everyControl` (touch screens, where any control may be
 * tapped next), so does each control whose on-screen middle would lie under the widget while
 * nothing of the page lies over it there (it could be tapped there).
 */
export function coverageOf(host: HTMLElement, parts: readonly Box[], current: Corner, everyControl: boolean): (corner: Corner) => number {
  const doc = host.ownerDocument;
  const width = doc.documentElement.clientWidth;
  const height = doc.documentElement.clientHeight;
  const focused = deepActiveElement(doc, host);
  const focusBox = focused && focused !== doc.body && focused !== doc.documentElement ? focused.getBoundingClientRect() : null;
  // Middles of the controls on screen, once: the same for every corner.
  const middles: { x: number; y: number; el: Element }[] = [];
  for (const el of everyControl ? doc.querySelectorAll(CONTROLS) : []) {
    if (el === focused) continue;
    const r = el.getBoundingClientRect();
    const left = Math.max(0, r.left);
    const right = Math.min(width, r.right);
    const top = Math.max(0, r.top);
    const bottom = Math.min(height, r.bottom);
    if (right <= left || bottom <= top) continue;
    middles.push({ x: (left + right) / 2, y: (top + bottom) / 2, el });
  }
  const reachable = new Map<Element, boolean>();
  const canBeTapped = (m: { x: number; y: number; el: Element }) => {
    let known = reachable.get(m.el);
    if (known === undefined) {
      // The page's own topmost element there (the widget's host aside): the control or inside it.
      const hit = doc.elementsFromPoint(m.x, m.y).find((el) => el !== host);
      known = hit !== undefined && (hit === m.el || m.el.contains(hit));
      reachable.set(m.el, known);
    }
    return known;
  };
  return (corner) => {
    const boxes = mirrored(parts, current, corner, width, height);
    let cost = 0;
    if (focusBox && boxes.some((b) => overlaps(b, focusBox))) {
      const x = (focusBox.left + focusBox.right) / 2;
      const y = (Math.max(0, focusBox.top) + Math.min(height, focusBox.bottom)) / 2;
      cost += boxes.some((b) => contains(b, x, y)) ? FOCUSED_HIDDEN : FOCUSED_TOUCHED;
    }
    for (const m of middles) if (boxes.some((b) => contains(b, m.x, m.y)) && canBeTapped(m)) cost++;
    return cost;
  };
}

/** The page element with focus, through open shadow roots (a web component's input); null while the widget has it. */
function deepActiveElement(doc: Document, host: HTMLElement): Element | null {
  let active = doc.activeElement;
  if (active === host) return null;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}
