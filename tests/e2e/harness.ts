import { afterAll, beforeAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newPerson } from '../support/browser.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { startServer } from '../support/server.js';
import { recordWire as recordWireOf } from '../support/wire.js';
import { AgentPage, CustomerPage } from './pages.js';

/**
 * One real Coview server, a fixture site on another origin (a customer's site embedding the
 * widget) and one Chromium per test file.
 */
export class Harness {
  server!: Awaited<ReturnType<typeof startServer>>;
  fixtures!: Awaited<ReturnType<typeof startFixtureServer>>;
  browser!: Browser;

  async start(): Promise<void> {
    this.server = await startServer();
    this.fixtures = await startFixtureServer(this.server.url);
    this.browser = await launchChromium();
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.fixtures?.close();
    await this.server?.close();
  }

  /** A browser profile for one person, allowed WebRTC on loopback for both origins. */
  async person(viewport?: { width: number; height: number }): Promise<BrowserContext> {
    const context = await newPerson(this.browser, this.server.url, viewport);
    await context.grantPermissions(['microphone'], { origin: this.fixtures.url });
    return context;
  }

  /** The demo shop's customer and an agent on the join page, not yet connected. */
  async people(): Promise<{ customer: CustomerPage; agent: AgentPage }> {
    return {
      customer: await CustomerPage.open(await this.person(), `${this.server.url}/`),
      agent: await AgentPage.open(await this.person({ width: 1280, height: 800 }), `${this.server.url}/join`),
    };
  }

  /**
   * A live session on a fixture page (`path` under tests/fixtures/html, with a query if any), or
   * on any page that embeds the widget when `path` is a full http(s) URL (the page corpus).
   * `recordWire` records what the customer's page puts on its data channels (read it with readWire).
   * `preparePage` runs on the customer's tab before it loads (CPU throttling), `beforeJoin` after
   * it loaded and before sharing starts; `startOptions` go to `Coview.start` next to the automatic
   * consent; `loadTimeoutMs` bounds the wait for the agent's whole first picture.
   */
  async liveSession(
    path: string,
    {
      recordWire = false,
      joinUrl = this.server.url,
      customerViewport = undefined as { width: number; height: number } | undefined,
      prepareCustomer = async (_context: BrowserContext) => {},
      prepareAgent = async (_context: BrowserContext) => {},
      preparePage = async (_page: Page) => {},
      beforeJoin = async (_customer: CustomerPage) => {},
      startOptions = {} as Record<string, unknown>,
      loadTimeoutMs = 30_000,
    } = {},
  ): Promise<{ customer: CustomerPage; agent: AgentPage }> {
    const customerContext = await this.person(customerViewport);
    await prepareCustomer(customerContext);
    if (recordWire) await recordWireOf(customerContext);
    const url = /^https?:\/\//.test(path) ? path : `${this.fixtures.url}/${path}`;
    const customer = await CustomerPage.open(customerContext, url, preparePage);
    const agentContext = await this.person({ width: 1280, height: 800 });
    await agentContext.grantPermissions(['microphone'], { origin: joinUrl });
    await prepareAgent(agentContext);
    const agent = await AgentPage.open(agentContext, `${joinUrl}/join`);
    await beforeJoin(customer);
    const { code } = await customer.page.evaluate((options) => window.Coview!.start({ ...options, onJoinRequest: () => true }), startOptions);
    await agent.join(code);
    await agent.waitForState('live', loadTimeoutMs);
    // Big pages are shown while they arrive; tests look at the whole page.
    await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor({ timeout: loadTimeoutMs });
    return { customer, agent };
  }
}

/** A harness started before the file's tests and stopped after them. */
export function useHarness(): Harness {
  const harness = new Harness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  return harness;
}
