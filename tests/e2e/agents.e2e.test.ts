import { describe, expect, it } from 'vitest';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

const toolbar = (agent: AgentPage) => agent.page.getByRole('toolbar', { name: 'Agent tools' });
const controlState = (agent: AgentPage) => toolbar(agent).getAttribute('data-coview-control');
const notice = (agent: AgentPage) => agent.page.locator('[data-coview-tools-notice]').textContent();
const mirrorCount = (agent: AgentPage) => () => agent.frame.locator('#count').textContent();
const watching = (customer: CustomerPage) => customer.widget.locator('[data-coview-agent]').allInnerTexts();

/** Moves the agent's pointer over the middle of an element of the mirror. */
async function hover(agent: AgentPage, selector: string): Promise<void> {
  const box = (await agent.frame.locator(selector).boundingBox())!;
  await agent.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
}

describe('several agents', () => {
  it('a second agent joins with the re-armed code after the customer allows; one controls at a time; one leaving leaves the other live', async () => {
    const customer = await CustomerPage.open(await h.person({ width: 900, height: 650 }), `${h.fixtures.url}/control.html`);
    const alex = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const bo = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);

    // The first agent, as always: code, consent, live.
    const code = await customer.shareScreen();
    await alex.join(code, 'Alex');
    await customer.widget.getByText('Allow Alex to see this page?').waitFor();
    await customer.button('Allow').click();
    await alex.waitForState('live');
    await customer.waitForState('sharing');

    // The code was single-use: a second agent is turned away until the customer invites one.
    await bo.join(code, 'Bo');
    await bo.waitForState('error');
    expect(await bo.page.locator('html').getAttribute('data-coview-reason')).toBe('ERR_ROOM_NOT_FOUND');
    await bo.page.reload();

    await customer.button('Invite another agent').click();
    await customer.widget.locator('[data-coview-invite-code]').waitFor();
    expect(await customer.widget.locator('[data-coview-invite-code]').innerText()).toContain(code);
    expect(await customer.widget.getAttribute('data-coview-invite')).toBe('open');

    // The same consent prompt, naming the new agent; nothing reaches them before Allow.
    await bo.join(code, 'Bo');
    await bo.waitForState('waiting');
    await customer.widget.getByText('Allow Bo to see this page too?').waitFor();
    expect(await customer.widget.getAttribute('data-coview-invite')).toBe('asking');
    expect(await bo.page.locator('[data-coview-frame]').count()).toBe(0);
    await customer.button('Allow').click();
    await bo.waitForState('live');
    await alex.waitForState('live');

    // The widget says who is watching.
    await eventually(() => watching(customer), (names) => names.join() === 'Alex,Bo');
    expect(await customer.text()).toContain('You are sharing this page with Alex and Bo');
    expect(await customer.widget.getAttribute('data-coview-agents')).toBe('2');
    expect(await customer.widget.getAttribute('data-coview-invite')).toBe('off');

    // Both see a change on the customer's page.
    await customer.page.locator('#inc').click();
    await eventually(mirrorCount(alex), (t) => t === '1');
    await eventually(mirrorCount(bo), (t) => t === '1');

    // Alex gets control and clicks; both mirrors follow.
    await alex.page.getByRole('button', { name: 'Request control' }).click();
    await customer.widget.getByText('Alex asks to control this page').waitFor();
    await customer.button('Allow control').click();
    await eventually(() => controlState(alex), (s) => s === 'on');
    await alex.frame.locator('#inc').click();
    await eventually(() => customer.page.locator('#count').textContent(), (t) => t === '2');
    await eventually(mirrorCount(alex), (t) => t === '2');
    await eventually(mirrorCount(bo), (t) => t === '2');

    // Bo asks while Alex controls: refused, and Bo's toolbar says why. Alex keeps control.
    await bo.page.getByRole('button', { name: 'Request control' }).click();
    await eventually(() => notice(bo), (t) => t?.includes('Alex is controlling') === true);
    expect(await controlState(bo)).toBe('off');
    expect(await customer.widget.getAttribute('data-coview-control')).toBe('on');
    expect(await customer.widget.locator('.control-banner').innerText()).toContain('Agent Alex is controlling this page');
    await bo.frame.locator('#inc').click();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await customer.page.locator('#count').textContent()).toBe('2');

    // Each agent's pointer shows on the customer's page with their own name.
    await hover(alex, '#target');
    await hover(bo, '#dbl');
    const cursor = (name: string) => customer.widget.locator('.agent-cursor', { hasText: name });
    await eventually(() => cursor('Alex').isVisible(), (v) => v);
    await eventually(() => cursor('Bo').isVisible(), (v) => v);

    // Alex leaves; Bo stays live and keeps seeing the page.
    await alex.page.getByRole('button', { name: 'Leave' }).click();
    await alex.waitForState('ended');
    await eventually(() => customer.widget.getAttribute('data-coview-agents'), (n) => n === '1');
    expect(await customer.state()).toBe('sharing');
    expect(await customer.text()).toContain('You are sharing this page with Bo');
    expect(await customer.widget.getAttribute('data-coview-control')).toBe('off');
    await customer.page.locator('#inc').click();
    await eventually(mirrorCount(bo), (t) => t === '3');
    expect(await bo.state()).toBe('live');

    // Now that nobody controls, Bo may ask.
    await bo.page.getByRole('button', { name: 'Request control' }).click();
    await customer.widget.getByText('Bo asks to control this page').waitFor();

    // Stop sharing ends it for everyone.
    await customer.button('Stop sharing').click();
    await bo.waitForState('ended');
    await customer.waitForState('idle');
  }, 45_000);

  it('with two agents, the customer reloading and the second agent reloading both resume; onJoinRequest and Coview.invite() automate it', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/control.html`);
    const alex = await AgentPage.open(await h.person(), `${h.server.url}/join`);
    const bo = await AgentPage.open(await h.person(), `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await alex.join(code, 'Alex');
    await alex.waitForState('live');
    expect(await customer.page.evaluate(() => window.Coview!.invite())).toEqual({ code });
    await bo.join(code, 'Bo');
    await bo.waitForState('live');
    await eventually(() => customer.widget.getAttribute('data-coview-agents'), (n) => n === '2');

    // The customer reloads: the same code, both agents back without new consent.
    await customer.page.reload();
    await customer.page.waitForFunction(() => window.Coview !== undefined);
    await eventually(() => customer.widget.getAttribute('data-coview-agents'), (n) => n === '2', 15_000);
    await alex.waitForState('live');
    await bo.waitForState('live');
    await customer.page.locator('#inc').click();
    await eventually(mirrorCount(alex), (t) => t === '1');
    await eventually(mirrorCount(bo), (t) => t === '1');

    // The second agent reloads the join page: back live, Alex undisturbed.
    await bo.page.reload();
    await bo.waitForState('live', 15_000);
    await customer.page.locator('#inc').click();
    await eventually(mirrorCount(bo), (t) => t === '2');
    await eventually(mirrorCount(alex), (t) => t === '2');
    expect(await customer.widget.getAttribute('data-coview-agents')).toBe('2');
  }, 45_000);
});
