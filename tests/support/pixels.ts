import pixelmatch from 'pixelmatch';
import pngjs from 'pngjs';
import type { Page } from 'playwright-core';

// pngjs is CommonJS: its default export is the module object.
const { PNG } = pngjs;

export interface PixelComparison {
  width: number;
  height: number;
  differentPixels: number;
  /** differentPixels / (width × height), 0 … 1. */
  ratio: number;
  /** A PNG showing the differing pixels in red over a faded copy of `a`. */
  diff: Buffer;
}

/**
 * Compares two PNGs pixel by pixel (pixelmatch, threshold 0.1, anti-aliased pixels not counted),
 * over the top-left area both have: a mirror a pixel narrower than the page is still comparable.
 */
export function comparePng(a: Buffer, b: Buffer): PixelComparison {
  const one = PNG.sync.read(a);
  const two = PNG.sync.read(b);
  const width = Math.min(one.width, two.width);
  const height = Math.min(one.height, two.height);
  const cropA = crop(one, width, height);
  const cropB = crop(two, width, height);
  const out = new PNG({ width, height });
  const differentPixels = width * height === 0 ? 0 : pixelmatch(cropA, cropB, out.data, width, height, { threshold: 0.1 });
  return { width, height, differentPixels, ratio: width * height === 0 ? 1 : differentPixels / (width * height), diff: PNG.sync.write(out) };
}

function crop(png: InstanceType<typeof PNG>, width: number, height: number): Uint8Array {
  if (png.width === width && png.height === height) return png.data;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) out.set(png.data.subarray(y * png.width * 4, (y * png.width + width) * 4), y * width * 4);
  return out;
}

/**
 * The customer's viewport as they see it, without Coview's own widget (its host element carries
 * `data-coview-widget`; the agent never sees it either). Animations are settled (finite ones run
 * to their end, infinite ones reset) and carets hidden, on both sides, so timing does not count.
 */
export async function customerShot(page: Page): Promise<Buffer> {
  const style = await page.addStyleTag({ content: '[data-coview-widget] { visibility: hidden !important; }' });
  try {
    return await page.screenshot({ animations: 'disabled', caret: 'hide', scale: 'css' });
  } finally {
    await style.evaluate((el) => (el as Element).remove()).catch(() => {});
  }
}

/**
 * The agent's mirror at scale 1, pixel for pixel comparable with customerShot().
 *
 * The join page fits the customer's viewport into its stage: Viewer.fit() (widget/agent/viewer.ts)
 * scales the mirror by min(stage width / page width, stage height / page height), up as well as
 * down. So a scale of exactly 1 needs a stage exactly as large as the customer's viewport in one
 * dimension and at least as large in the other: we measure how much the join page's chrome (header,
 * margins, toolbars) takes around the stage, resize the agent's window to viewport + chrome, and
 * wait for the ResizeObserver to re-fit (checked on the screen element's transform). Then the
 * `[data-coview-frame]` iframe is shot as an element; what the viewer draws over it (the customer's
 * pointer, click ripples, the agent's tools) is made transparent for the shot, and the viewer's
 * outline on the customer's focused element (an agent-side mark, not the page) is lifted for it.
 */
export async function agentMirrorShot(page: Page, viewport: { width: number; height: number }): Promise<Buffer> {
  await fitAtScaleOne(page, viewport);
  const style = await page.addStyleTag({
    content: '.stage > :not(.coview-screen), .coview-screen > :not([data-coview-frame]) { opacity: 0 !important; }',
  });
  const focusMark = (on: boolean) =>
    page.evaluate((show) => {
      const doc = document.querySelector<HTMLIFrameElement>('[data-coview-frame]')?.contentDocument;
      const marked = doc?.querySelector('[data-coview-focus]') ?? doc?.querySelector('[data-coview-focus-shot]');
      if (!marked) return;
      marked.toggleAttribute('data-coview-focus', show);
      marked.toggleAttribute('data-coview-focus-shot', !show);
    }, on);
  await focusMark(false);
  // The agent's own mouse (where the Join button was) would give the mirror real :hover styles.
  await page.mouse.move(0, 0);
  try {
    return await page.locator('[data-coview-frame]').screenshot({ animations: 'disabled', caret: 'hide', scale: 'css' });
  } finally {
    await focusMark(true).catch(() => {});
    await style.evaluate((el) => (el as Element).remove()).catch(() => {});
  }
}

/** Resizes the agent's window until the mirror is drawn at scale 1 (see agentMirrorShot). */
export async function fitAtScaleOne(page: Page, viewport: { width: number; height: number }): Promise<void> {
  const measure = () =>
    page.evaluate(() => {
      const stage = document.querySelector<HTMLElement>('.stage');
      const screen = document.querySelector<HTMLElement>('.coview-screen');
      const matrix = screen ? new DOMMatrixReadOnly(getComputedStyle(screen).transform) : null;
      return { stageWidth: stage?.clientWidth ?? 0, stageHeight: stage?.clientHeight ?? 0, scale: matrix?.a ?? 0, windowWidth: innerWidth, windowHeight: innerHeight };
    });
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = await measure();
    if (now.stageWidth === viewport.width && now.stageHeight >= viewport.height && Math.abs(now.scale - 1) < 1e-6) return;
    // The chrome's size does not depend on the window's (flex layout): grow the window by the difference.
    await page.setViewportSize({
      width: now.windowWidth + viewport.width - now.stageWidth,
      height: now.windowHeight + viewport.height - now.stageHeight,
    });
    await page.waitForFunction(
      (width) => document.querySelector<HTMLElement>('.stage')?.clientWidth === width,
      viewport.width,
      { timeout: 2_000 },
    ).catch(() => {});
    // One frame for the ResizeObserver to run Viewer.fit().
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  }
  const last = await measure();
  throw new Error(`could not show the mirror at scale 1: stage ${last.stageWidth}×${last.stageHeight}, scale ${last.scale}, wanted ${viewport.width}×${viewport.height}`);
}
