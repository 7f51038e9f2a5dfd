import type { BrowserContext, FrameLocator, Locator, Page } from 'playwright-core';

/** Waits until `read()` returns something that passes `check`, or fails with the last value seen. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  return last;
}

/** The customer: the demo shop (or a fixture page) with the widget. */
export class CustomerPage {
  readonly widget: Locator;
  constructor(readonly page: Page) {
    this.widget = page.locator('[data-coview-widget]');
  }

  /** `prepare` runs on the new tab before it loads the page (e.g. CPU throttling). */
  static async open(context: BrowserContext, url: string, prepare: (page: Page) => Promise<void> = async () => {}): Promise<CustomerPage> {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('[customer page error]', error));
    await prepare(page);
    await page.goto(url);
    await page.waitForFunction(() => window.Coview !== undefined && document.querySelector('[data-coview-widget]') !== null);
    return new CustomerPage(page);
  }

  button(name: string): Locator {
    return this.widget.getByRole('button', { name, exact: true });
  }

  /** Clicks "Share my screen" and returns the share code the widget shows. */
  async shareScreen(): Promise<string> {
    await this.button('Share my screen').click();
    const code = this.widget.locator('[data-coview-code]');
    await code.waitFor();
    return (await code.textContent())!.trim();
  }

  /** What the customer reads in the widget (its shadow root's text). */
  text(): Promise<string> {
    return this.widget.locator('.panel, .dock').first().innerText();
  }

  state(): Promise<string | null> {
    return this.widget.getAttribute('data-coview-host-state');
  }

  async waitForState(state: string): Promise<void> {
    await eventually(() => this.state(), (s) => s === state);
  }
}

/** The support agent: the join page. */
export class AgentPage {
  readonly frame: FrameLocator;
  constructor(readonly page: Page) {
    this.frame = page.frameLocator('[data-coview-frame]');
  }

  static async open(context: BrowserContext, url: string): Promise<AgentPage> {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('[agent page error]', error.stack ?? error));
    await page.goto(url);
    // The page is on screen once its language's texts are in (English is built in; others are fetched).
    await page.locator('#app > *').first().waitFor({ state: 'attached' });
    return new AgentPage(page);
  }

  async join(code: string, name = 'Alex'): Promise<void> {
    await this.page.getByLabel('Share code').fill(code);
    await this.page.getByLabel('Your name').fill(name);
    await this.page.getByRole('button', { name: 'Join' }).click();
  }

  state(): Promise<string | null> {
    return this.page.locator('html').getAttribute('data-coview-state');
  }

  async waitForState(state: string, timeoutMs = 15_000): Promise<void> {
    await eventually(() => this.state(), (s) => s === state, timeoutMs);
  }

  statusText(): Promise<string> {
    return this.page.locator('[data-coview-status]').innerText();
  }

  /** Reads a value from inside the mirrored page (the sandboxed iframe's document). */
  inMirror<T>(fn: (doc: Document, win: Window) => T): Promise<T> {
    return this.page.evaluate(
      ([source]) => {
        const iframe = document.querySelector('[data-coview-frame]') as HTMLIFrameElement | null;
        if (!iframe?.contentDocument || !iframe.contentWindow) return null;
        return new Function('doc', 'win', `return (${source})(doc, win)`)(iframe.contentDocument, iframe.contentWindow);
      },
      [fn.toString()] as const,
    ) as Promise<T>;
  }
}
