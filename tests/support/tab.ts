import type { Browser as ChromiumBrowser, Page as ChromiumPage } from 'playwright-core';
import type { Browser as FirefoxBrowser, Page as FirefoxPage } from 'puppeteer-core';
import { launchChromium, launchFirefox, newPerson } from './browser.js';

export type Engine = 'chromium' | 'firefox';

/**
 * One person's tab, driven the same way in Chromium (playwright-core) and in Firefox (puppeteer-core
 * over WebDriver BiDi): code run in the page, and real mouse and keyboard input. Only what the
 * cross-browser tests need; anything engine-specific stays in here.
 */
export interface Tab {
  readonly engine: Engine;
  goto(url: string): Promise<void>;
  /**
   * Runs `fn(arg)` in the page and returns its (awaited) result. Sent as source text, so `fn` must be
   * self-contained; `arg` must be JSON.
   */
  run<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<Awaited<R>>;
  /** Evaluates a JavaScript expression in the page (no eval of the page's own: CSP cannot refuse it). */
  evaluate(expression: string): Promise<unknown>;
  /** Runs `fn` in every document of this tab before the page's own scripts (e.g. wire recording). */
  addInitScript(fn: () => void): Promise<void>;
  setViewport(size: { width: number; height: number }): Promise<void>;
  mouse: {
    move(x: number, y: number): Promise<void>;
    down(): Promise<void>;
    up(): Promise<void>;
    wheel(deltaY: number): Promise<void>;
  };
  keyboard: {
    type(text: string): Promise<void>;
    press(key: 'Enter' | 'Tab' | 'Backspace' | 'PageDown'): Promise<void>;
  };
  /** Uncaught errors of the page so far. */
  readonly errors: string[];
  /** Closes the tab with its profile. */
  close(): Promise<void>;
}

const expression = <A, R>(fn: (arg: A) => R, arg: A) => `(${fn.toString()})(${JSON.stringify(arg)})`;

function chromiumTab(page: ChromiumPage): Tab {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error.stack ?? error)));
  // The mouse goes straight to CDP: Playwright's own mouse.move with a button held waits on its
  // drag-and-drop probe, which cannot run inside the script-less mirror (a drawing stroke hangs).
  const cdp = page.context().newCDPSession(page);
  const pointer = { x: 0, y: 0, buttons: 0 };
  const mouse = async (type: 'mousePressed' | 'mouseMoved' | 'mouseReleased' | 'mouseWheel', extra: Record<string, number> = {}) =>
    void (await (await cdp).send('Input.dispatchMouseEvent', {
      type,
      x: pointer.x,
      y: pointer.y,
      // The button that changes (pressed, released) or is held while moving.
      button: type === 'mousePressed' || type === 'mouseReleased' || pointer.buttons ? 'left' : 'none',
      buttons: pointer.buttons,
      clickCount: type === 'mousePressed' || type === 'mouseReleased' ? 1 : 0,
      ...extra,
    }));
  return {
    engine: 'chromium',
    errors,
    close: () => page.context().close(),
    goto: async (url) => void (await page.goto(url)),
    run: (fn, arg) => page.evaluate(expression(fn, arg)),
    evaluate: (source) => page.evaluate(source),
    addInitScript: async (fn) => void (await page.addInitScript(fn)),
    setViewport: (size) => page.setViewportSize(size),
    mouse: {
      move: (x, y) => ((pointer.x = x), (pointer.y = y), mouse('mouseMoved')),
      down: () => ((pointer.buttons = 1), mouse('mousePressed')),
      up: () => ((pointer.buttons = 0), mouse('mouseReleased')),
      wheel: (deltaY) => mouse('mouseWheel', { deltaX: 0, deltaY }),
    },
    keyboard: { type: (text) => page.keyboard.type(text), press: (key) => page.keyboard.press(key) },
  };
}

/**
 * puppeteer sends emulation.setScreenOrientationOverride with every setViewport, in parallel with
 * the viewport itself; Firefox before ESR 153 (Debian's 140) has no such command. The size is set
 * all the same (the mirror test's media queries check it), so only that refusal is let through.
 */
async function setFirefoxViewport(page: FirefoxPage, size: { width: number; height: number }): Promise<void> {
  await page.setViewport(size).catch((error: unknown) => {
    if (!String(error).includes('unknown command emulation.setScreenOrientationOverride')) throw error;
  });
}

function firefoxTab(page: FirefoxPage): Tab {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String((error as Error).stack ?? error)));
  return {
    engine: 'firefox',
    errors,
    close: () => page.browserContext().close(),
    goto: async (url) => void (await page.goto(url)),
    run: (fn, arg) => page.evaluate(expression(fn, arg)) as never,
    evaluate: (source) => page.evaluate(source),
    addInitScript: async (fn) => void (await page.evaluateOnNewDocument(fn)),
    setViewport: (size) => setFirefoxViewport(page, size),
    mouse: {
      move: (x, y) => page.mouse.move(x, y),
      down: () => page.mouse.down(),
      up: () => page.mouse.up(),
      wheel: (deltaY) => page.mouse.wheel({ deltaY }),
    },
    keyboard: { type: (text) => page.keyboard.type(text), press: (key) => page.keyboard.press(key) },
  };
}

/** One browser of each engine, launched once and shared by a file's tests; every tab gets a fresh profile. */
export class Browsers {
  private chromium?: ChromiumBrowser;
  private firefox?: FirefoxBrowser;

  async launch(): Promise<void> {
    [this.chromium, this.firefox] = await Promise.all([launchChromium(), launchFirefox()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.chromium?.close(), this.firefox?.close()]);
  }

  /**
   * A new person's tab (their own cookies and storage) in `engine`, allowed WebRTC on loopback for
   * `origins` (Chromium's microphone grant; Firefox's launch prefs do the same for every origin).
   */
  async open(engine: Engine, origins: string[], viewport = { width: 1280, height: 720 }): Promise<Tab> {
    if (engine === 'chromium') {
      const context = await newPerson(this.chromium!, origins[0]!, viewport);
      for (const origin of origins.slice(1)) await context.grantPermissions(['microphone'], { origin });
      return chromiumTab(await context.newPage());
    }
    const context = await this.firefox!.createBrowserContext();
    const page = await context.newPage();
    await setFirefoxViewport(page, viewport);
    return firefoxTab(page);
  }
}
