import { launchChromium } from '/work/main/tests/support/browser.js';
import { startFixtureServer } from '/work/main/tests/support/fixture-server.js';
const fixtures = await startFixtureServer('http://127.0.0.1:1');
const browser = await launchChromium();
const page = await (await browser.newContext()).newPage();
await page.goto(`${fixtures.url}/docs.html?nodes=30000`);
await page.addScriptTag({ url: `${fixtures.url}/test/prof.js` });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start');
console.log(await page.evaluate('prof()'));
const { profile } = await cdp.send('Profiler.stop') as any;
const self = new Map<string, number>();
const byId = new Map(profile.nodes.map((n: any) => [n.id, n]));
const dt = profile.timeDeltas; const counts = new Map<number, number>();
profile.samples.forEach((s: number, i: number) => counts.set(s, (counts.get(s) ?? 0) + (dt[i] ?? 0)));
for (const [id, t] of counts) { const n: any = byId.get(id); const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(key, (self.get(key) ?? 0) + t / 1000); }
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${v.toFixed(1).padStart(7)} ms  ${k}`).join('\n'));
await browser.close(); await fixtures.close();
