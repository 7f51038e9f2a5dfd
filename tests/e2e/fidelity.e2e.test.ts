import { describe, expect, it } from 'vitest';
import { eventually } from './pages.js';
import { useHarness } from './harness.js';
import { domSignature, firstDifference } from '../support/dom-signature.js';
import { readWire } from '../support/wire.js';

const h = useHarness();
const liveSession = (path: string, options?: { recordWire?: boolean }) => h.liveSession(path, options);

describe('a faithful mirror', () => {
  it('a 3 MB page and a 1 MiB change, each far over the 256 KiB message limit, arrive whole', async () => {
    const { customer, agent } = await liveSession('big-page.html');
    expect(await agent.frame.locator('#content p').count()).toBe(3001);
    expect(await agent.frame.locator('#last').textContent()).toBe('The end of the big page.');

    await customer.page.evaluate(() => (window as unknown as { appendHugeSection(): void }).appendHugeSection());
    await eventually(() => agent.frame.locator('#huge-end').count(), (n) => n === 1, 20_000);
    const hugeLength = await agent.inMirror((doc) => doc.getElementById('huge')?.textContent?.length ?? 0);
    expect(hugeLength).toBe(1024 * 1024);
  });

  it('over real WebRTC, the agent sees the same DOM as the customer after every batch of random churn', async () => {
    const { customer, agent } = await liveSession('mutations.html');
    const signatureOf = `(${domSignature.toString()})(document)`;
    const hostSignature = () => customer.page.evaluate(signatureOf) as Promise<string>;
    const agentSignature = () => agent.inMirror(new Function('doc', `return (${domSignature.toString()})(doc)`) as (doc: Document) => string);

    expect(await agentSignature()).toBe(await hostSignature());
    for (let round = 1; round <= 150; round++) {
      await customer.page.evaluate(([seed, count]) => (window as unknown as { mutate(s: number, c: number): void }).mutate(seed, count), [round * 7919, 1 + (round % 16)] as const);
      const expected = await hostSignature();
      const seen = await eventually(agentSignature, (s) => s === expected, 5_000).catch(() => agentSignature());
      expect(seen === expected, `round ${round}: ${firstDifference(expected, seen)}`).toBe(true);
    }
  });

  it('secrets never cross the wire: password (also shown as text), card, one-time code, hidden, masked and blocked text', async () => {
    const { customer, agent } = await liveSession('secrets.html', { recordWire: true });
    await customer.page.locator('#password').fill('CANARY-typed-password');
    await customer.page.locator('#show-password').click();
    await customer.page.locator('#password').pressSequentially('-CANARY-typed-while-visible');
    await customer.page.locator('#card').fill('4111 1111 1111 1111');
    await customer.page.locator('#otp').fill('CANARY-otp');
    await customer.page.locator('#username').fill('ada');
    await eventually(() => agent.frame.locator('#username').inputValue(), (v) => v === 'ada');
    await eventually(() => agent.frame.locator('#password').getAttribute('type'), (t) => t === 'text');

    const record = await readWire(customer.page);
    // Searched both as the peer decodes it (inflated) and as raw frames.
    const wire = record.messages.join('') + record.frames.join('');
    expect(record.messages.some((m) => m.startsWith('!undecodable'))).toBe(false);
    expect(wire.length).toBeGreaterThan(1000);
    expect(wire).toContain('visible-username');
    for (const secret of ['CANARY', '4111', 'hunter']) expect(wire.includes(secret), `"${secret}" was sent`).toBe(false);
    // Masks are constant-length: a 21-character password and a 48-character one look the same.
    expect(await agent.frame.locator('#password').inputValue()).toBe('••••••••');
    expect(await agent.frame.locator('#card').inputValue()).toBe('••••••••');

    // Blocked content becomes an empty box of the same size (its id goes too), so the layout holds.
    const block = agent.frame.locator('#account + div');
    expect(await block.evaluate((el) => [el.id, el.childNodes.length, el.style.width, el.style.height])).toEqual(['', 0, '320px', '140px']);
  });
});
