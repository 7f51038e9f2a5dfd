import { startFixtureServer } from '../support/fixture-server.js';
import { startServer } from '../support/server.js';
import { Browsers, type Engine, type Tab } from '../support/tab.js';
import { eventually } from './pages.js';

/**
 * Page objects for tests that put the customer and the agent in different browser engines. They
 * drive a `Tab` (code run in the page, real mouse and keyboard), so the same steps run in Chromium
 * and in Firefox. An element is named by a path of selectors: each next selector looks inside the
 * previous element's open shadow root or frame document (the agent's mirror is a frame).
 */
export interface Target {
  path: string[];
  /** The last element's text (or aria-label), whitespace collapsed, when several match. */
  text?: string;
}

export type Reading = 'box' | 'reveal' | 'text' | 'value' | 'checked' | 'count' | { style: string } | { attr: string };

/**
 * Reads one thing about the element at `target`, in the page: its box in the tab's own viewport
 * (through frames, including the mirror's scaling), text, value, computed style… null if absent.
 * Self-contained: it is sent into the page as source text.
 */
export function probe({ target: { path, text }, read }: { target: Target; read: Reading }): unknown {
  // The name a person reads: aria-label, else the text without aria-hidden icons.
  const label = (el: Element) => {
    if (el.hasAttribute('aria-label')) return el.getAttribute('aria-label')!.trim();
    const copy = el.cloneNode(true) as Element;
    copy.querySelectorAll('[aria-hidden=true]').forEach((hidden) => hidden.remove());
    return (copy.textContent ?? '').replace(/\s+/g, ' ').trim();
  };
  let root: ParentNode = document;
  let x = 0;
  let y = 0;
  let scale = 1;
  let matches: Element[] = [];
  for (let i = 0; i < path.length; i++) {
    matches = [...root.querySelectorAll(path[i]!)];
    if (i === path.length - 1) break;
    const el = matches[0];
    if (!el) return read === 'count' ? 0 : null;
    if (el.shadowRoot) root = el.shadowRoot;
    else if (el.tagName === 'IFRAME') {
      const frame = el as HTMLIFrameElement;
      if (!frame.contentDocument) return read === 'count' ? 0 : null;
      const box = frame.getBoundingClientRect();
      const frameScale = frame.offsetWidth ? box.width / frame.offsetWidth : 1;
      x += (box.x + frame.clientLeft * frameScale) * scale;
      y += (box.y + frame.clientTop * frameScale) * scale;
      scale *= frameScale;
      root = frame.contentDocument;
    } else root = el;
  }
  if (text !== undefined) matches = matches.filter((m) => label(m) === text);
  if (read === 'count') return matches.length;
  const el = matches[0] as HTMLInputElement | undefined;
  if (!el) return null;
  // Scrolled into view first, as a person would before clicking (instant: the page may scroll smoothly).
  if (read === 'reveal') el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
  if (read === 'box' || read === 'reveal') {
    const box = el.getBoundingClientRect();
    return { x: x + box.x * scale, y: y + box.y * scale, width: box.width * scale, height: box.height * scale };
  }
  if (read === 'text') return (el.textContent ?? '').trim();
  if (read === 'value') return el.value;
  if (read === 'checked') return el.checked;
  if ('style' in read) return el.ownerDocument.defaultView!.getComputedStyle(el).getPropertyValue(read.style);
  return el.getAttribute(read.attr);
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** What one person's tab shows, read and acted on by element paths. */
export class Person {
  constructor(readonly tab: Tab) {}

  read(target: Target | string, read: 'box' | 'reveal'): Promise<Box | null>;
  read(target: Target | string, read: 'text' | 'value' | { style: string } | { attr: string }): Promise<string | null>;
  read(target: Target | string, read: 'checked'): Promise<boolean | null>;
  read(target: Target | string, read: 'count'): Promise<number>;
  read(target: Target | string, read: Reading): Promise<unknown> {
    return this.tab.run(probe, { target: typeof target === 'string' ? { path: [target] } : target, read });
  }

  /** Waits for the element and returns its box on screen (`reveal`: scrolled into view first). */
  async box(target: Target | string, read: 'box' | 'reveal' = 'box'): Promise<Box> {
    return (await eventually(() => this.read(target, read), (box) => box !== null && box.width > 0))!;
  }

  /** A real click (mouse moved there, pressed, released) at the middle of the element, scrolled into view. */
  async click(target: Target | string): Promise<void> {
    const box = await this.box(target, 'reveal');
    await this.tab.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await this.tab.mouse.down();
    await this.tab.mouse.up();
  }

  /** Clicks into a field and types, key by key. */
  async type(target: Target | string, text: string): Promise<void> {
    await this.click(target);
    await this.tab.keyboard.type(text);
  }

  async waitFor(target: Target | string, read: 'text' | 'value' | { style: string } | { attr: string }, check: (value: string | null) => boolean, timeoutMs = 10_000): Promise<string | null> {
    return eventually(() => this.read(target, read), check, timeoutMs);
  }
}

export class Customer extends Person {
  /** A button in the widget (its open shadow root) by its text. */
  static button(text: string): Target {
    return { path: ['[data-coview-widget]', 'button'], text };
  }
  static inWidget(selector: string): Target {
    return { path: ['[data-coview-widget]', selector] };
  }
  state(): Promise<string | null> {
    return this.read('[data-coview-widget]', { attr: 'data-coview-host-state' });
  }
  async waitForState(state: string): Promise<void> {
    await eventually(() => this.state(), (s) => s === state);
  }
  /** What the customer reads in the widget. */
  widgetText(): Promise<string | null> {
    return this.read(Customer.inWidget('.panel, .dock'), 'text');
  }
}

export class Agent extends Person {
  /** An element of the mirrored page; more selectors go into its shadow roots and frames. */
  static mirror(...path: string[]): Target {
    return { path: ['[data-coview-frame]', ...path] };
  }
  static button(text: string): Target {
    return { path: ['button'], text };
  }
  state(): Promise<string | null> {
    return this.read('html', { attr: 'data-coview-state' });
  }
  async waitForState(state: string, timeoutMs = 15_000): Promise<void> {
    await eventually(() => this.state(), (s) => s === state || (s === 'error' && state !== 'error'), timeoutMs);
    if ((await this.state()) !== state) throw new Error(`The agent's page is in error, not ${state}: ${await this.read('[role=alert]', 'text')}`);
  }
  /** Types the code and a name into the join form and presses Join, as a person does. */
  async join(code: string, name = 'Alex'): Promise<void> {
    await this.type('input[name=code]', code);
    await this.type('input[name=name]', name);
    await this.click(Agent.button('Join'));
  }
  /** The whole first picture has arrived (a busy machine slices the snapshot finer). */
  async waitForWholePage(timeoutMs = 30_000): Promise<void> {
    await eventually(() => this.read('[data-coview-frame]:not([data-coview-loading])', 'count'), (n) => n === 1, timeoutMs);
  }
  controlState(): Promise<string | null> {
    return this.read('[role=toolbar][data-coview-control]', { attr: 'data-coview-control' });
  }
  /** Runs `fn` on the mirrored page's document (null before there is one); self-contained like `Tab.run`. */
  inMirror<R>(fn: (doc: Document) => R): Promise<R> {
    return this.tab.evaluate(`((fn) => { const frame = document.querySelector('[data-coview-frame]'); return frame?.contentDocument ? fn(frame.contentDocument) : null; })(${fn.toString()})`) as Promise<R>;
  }
}

/** A real server, the fixture site and one browser of each engine, shared by a file's tests. */
export class CrossBrowser {
  server!: Awaited<ReturnType<typeof startServer>>;
  fixtures!: Awaited<ReturnType<typeof startFixtureServer>>;
  readonly browsers = new Browsers();
  private tabs: Tab[] = [];

  async start(): Promise<void> {
    this.server = await startServer();
    this.fixtures = await startFixtureServer(this.server.url);
    await this.browsers.launch();
  }

  async stop(): Promise<void> {
    await this.browsers.close();
    await this.fixtures?.close();
    await this.server?.close();
  }

  /** Closes the tabs of the test that ran, so the next one starts with fresh people. */
  async closeTabs(): Promise<string[]> {
    const errors = this.tabs.flatMap((tab) => tab.errors.map((e) => `${tab.engine}: ${e}`));
    await Promise.all(this.tabs.splice(0).map((tab) => tab.close()));
    return errors;
  }

  private async tab(engine: Engine, viewport?: { width: number; height: number }): Promise<Tab> {
    const tab = await this.browsers.open(engine, [this.server.url, this.fixtures.url], viewport);
    this.tabs.push(tab);
    return tab;
  }

  /** The customer on `path` (the demo shop at '/', else a fixture page), widget loaded. */
  async customer(engine: Engine, path = '/', { viewport = undefined as { width: number; height: number } | undefined, before = async (_tab: Tab) => {} } = {}): Promise<Customer> {
    const tab = await this.tab(engine, viewport);
    await before(tab);
    await tab.goto(path === '/' ? `${this.server.url}/` : `${this.fixtures.url}/${path}`);
    await eventually(() => tab.run(() => window.Coview !== undefined && document.querySelector('[data-coview-widget]') !== null, null), (ready) => ready);
    return new Customer(tab);
  }

  /** An agent on the join page. */
  async agent(engine: Engine, before = async (_tab: Tab) => {}): Promise<Agent> {
    const tab = await this.tab(engine, { width: 1280, height: 800 });
    await before(tab);
    await tab.goto(`${this.server.url}/join`);
    return new Agent(tab);
  }

  /** A live session: the customer starts sharing by API with consent given, the agent joins and sees the whole page. */
  async liveSession(customerEngine: Engine, agentEngine: Engine, path: string, options: Parameters<CrossBrowser['customer']>[2] & { startOptions?: Record<string, unknown>; beforeAgent?: (tab: Tab) => Promise<void> } = {}) {
    const customer = await this.customer(customerEngine, path, options);
    const agent = await this.agent(agentEngine, options.beforeAgent);
    const { code } = await customer.tab.run((opts) => window.Coview!.start({ ...opts, onJoinRequest: () => true }), options.startOptions ?? {});
    await agent.join(code);
    await agent.waitForState('live', 30_000);
    await agent.waitForWholePage();
    await customer.waitForState('sharing');
    return { customer, agent };
  }
}
