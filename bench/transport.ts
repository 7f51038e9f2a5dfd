/**
 * `npm run bench:transport`: the same session over a direct WebRTC data channel and over the
 * encrypted relay (through the signaling server), side by side, in one run. Real Chromium, real
 * WebRTC on loopback, the real server in a child process (so its CPU time is its own). The relay is
 * forced as in tests/e2e/relay.e2e.test.ts: the customer's browser has no RTCPeerConnection.
 *
 * Per transport, on the 5k-node docs page: BENCH_JOINS joins (tests/support/throttled-join.ts,
 * quiet page, the widget's default slicing, customer CPU throttled BENCH_CPU_RATE×, default 1×),
 * timed in the agent's page from the Join click to live and to the whole mirror; the last
 * BENCH_SESSIONS (default 3) joins stay live: a Resync on the first (the whole 5k-node snapshot
 * again: bytes and time), then on all of them at once BENCH_UPDATES text changes every 100 ms,
 * each stamped with the customer's epoch clock (performance.timeOrigin + now(), one machine, one
 * clock) and timed when the agent's mirror shows it, while the server's CPU time is read from
 * /proc (utime + stime of the child) over that window and divided by the sessions.
 * Last, the handshake's PBKDF2 (HANDSHAKE_KDF) timed in a Chromium page.
 *
 * Not a test: it prints figures and the goals' verdicts, nothing here fails the build.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { BrowserContext, Page } from 'playwright-core';
import { HANDSHAKE_KDF } from '../widget/protocol/handshake.js';
import { Harness } from '../tests/e2e/harness.js';
import { launchChromium } from '../tests/support/browser.js';
import { startFixtureServer } from '../tests/support/fixture-server.js';
import { startCoviewProcess, type RunningCoview } from '../tests/support/processes.js';
import { throttledJoin, type JoinOutcome } from '../tests/support/throttled-join.js';
import { allowTsxEvaluate, readWire, recordWire } from '../tests/support/wire.js';

const JOINS = Math.max(1, Number(process.env.BENCH_JOINS ?? 5));
/** Sessions live at once for the change stream (the last joins, kept open): the server's CPU is per session over them. */
const SESSIONS = Math.min(JOINS, Math.max(1, Number(process.env.BENCH_SESSIONS ?? 3)));
const UPDATES = Math.max(10, Number(process.env.BENCH_UPDATES ?? 200));
/** Changes streamed between the first measured window and the second (the server's steady state, past its JIT warm-up). */
const WARMUP_UPDATES = Math.max(0, Number(process.env.BENCH_WARMUP_UPDATES ?? 600));
const CPU_RATE = Number(process.env.BENCH_CPU_RATE ?? 1);
const UPDATE_EVERY_MS = 100;
const KDF_RUNS = 5;
/** /proc/<pid>/stat counts CPU time in clock ticks (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
/** Goals (issue 12). */
const GOAL_LATENCY_RATIO = 2;
const GOAL_CPU_PERCENT = 1;

type Transport = 'direct' | 'relayed';

interface TransportResult {
  transport: Transport;
  /** What the join page said it used (data-coview-transport), per join. */
  seen: string[];
  msToLive: number[];
  msToComplete: number[];
  failedJoins: number;
  resync: { ms: number; bytes: number } | null;
  latencies: number[];
  /** Sessions live during the change stream. */
  sessions: number;
  /** Server CPU over the first change stream (right after the joins), % of one core per session. */
  firstCpuPercent: number;
  /** Server CPU over the steady change stream (after WARMUP_UPDATES more), % of one core per session; and of it in the kernel (system time: syscalls, loopback TCP). */
  serverCpuPercent: number;
  serverSystemPercent: number;
  windowSeconds: number;
  /** WebSocket messages the customer's page sent to the server over the change stream, per second. */
  socketMessagesPerSecond: number;
}

/** Counts, in every page of a context, the WebSocket messages it sends (window.__socketMessages). */
function countSocketMessages(): void {
  const w = window as unknown as { __socketMessages: number };
  w.__socketMessages = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: Parameters<WebSocket['send']>[0]) {
    w.__socketMessages++;
    return send.call(this, data);
  };
}
const socketMessages = (page: Page) => page.evaluate(() => (window as unknown as { __socketMessages: number }).__socketMessages);

/** Server CPU time so far (ms), user and system, of the child's process. */
function cpuMs(server: RunningCoview): { user: number; system: number } {
  const stat = readFileSync(`/proc/${server.proc.pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): utime is the 14th field overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1000) / TICKS_PER_SECOND, system: (Number(fields[12]) * 1000) / TICKS_PER_SECOND };
}

async function relayBytes(server: RunningCoview): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^coview_relay_bytes_total (\d+(?:\.\d+)?)/m.exec(text)?.[1] ?? 0);
}

/** Deletes WebRTC from every page of `context` (as tests/e2e/relay.e2e.test.ts does): its sessions run relayed. */
const withoutWebRtc = (context: BrowserContext) =>
  context.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate', 'RTCDataChannel']) delete w[name];
  });

/**
 * The harness as throttledJoin sees it: the customer's context (the one opened without a viewport)
 * without WebRTC for `relayed`, recording its data channel for `direct`; every context remembered.
 */
function transportHarness(h: Harness, transport: Transport) {
  const contexts: BrowserContext[] = [];
  const view = Object.create(h) as Harness;
  view.person = async (viewport) => {
    const context = await h.person(viewport);
    contexts.push(context);
    await allowTsxEvaluate(context);
    if (!viewport) {
      await (transport === 'relayed' ? withoutWebRtc(context) : recordWire(context));
      await context.addInitScript(countSocketMessages);
    }
    return context;
  };
  return { h: view, close: () => Promise.all(contexts.map((context) => context.close().catch(() => {}))) };
}

/** In the agent's page: clicks Resync and resolves with the ms until the fresh snapshot's last part is shown (NaN after 20 s). */
function timedResync(): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    const observer = new MutationObserver((records) => {
      // attributeOldValue !== null: the attribute was there and now went (or was set again).
      const done = records.some((r) => r.oldValue !== null && !(r.target as Element).hasAttribute('data-coview-loading'));
      if (!done) return;
      observer.disconnect();
      clearTimeout(timer);
      requestAnimationFrame(() => resolve(performance.now() - start));
    });
    const timer = setTimeout(() => {
      observer.disconnect();
      resolve(NaN);
    }, 20_000);
    observer.observe(document.documentElement, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-coview-loading'] });
    document.querySelector<HTMLButtonElement>('[data-coview-resync]')!.click();
  });
}

/** In the agent's page: records, for every ticker text the mirror shows, epoch now − the customer's stamp. */
function watchTicker(): void {
  const w = window as unknown as { __latencies: number[] };
  w.__latencies = [];
  const doc = document.querySelector<HTMLIFrameElement>('[data-coview-frame]')!.contentDocument!;
  new MutationObserver(() => {
    const sentAt = Number((doc.getElementById('bench-ticker')?.textContent ?? '').split('@')[1]);
    // Shown = the frame after the change reached the mirror.
    if (sentAt) requestAnimationFrame(() => w.__latencies.push(performance.timeOrigin + performance.now() - sentAt));
  }).observe(doc, { subtree: true, characterData: true, childList: true });
}

/** In the customer's page: a text node rewritten `updates` times, every `every` ms, stamped with the epoch clock. */
async function runTicker([updates, every]: [number, number]): Promise<void> {
  const ticker = document.getElementById('bench-ticker')!;
  for (let i = 0; i < updates; i++) {
    ticker.textContent = `tick ${i} @${performance.timeOrigin + performance.now()}`;
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

async function benchTransport(h: Harness, server: RunningCoview, transport: Transport, url: string): Promise<TransportResult> {
  const result: TransportResult = { transport, seen: [], msToLive: [], msToComplete: [], failedJoins: 0, resync: null, latencies: [], sessions: 0, firstCpuPercent: NaN, serverCpuPercent: NaN, serverSystemPercent: NaN, windowSeconds: 0, socketMessagesPerSecond: NaN };
  const open: { close: () => Promise<unknown>; customer: Page; agent: Page }[] = [];
  try {
    for (let n = 1; n <= JOINS; n++) {
      const tracked = transportHarness(h, transport);
      let keep = false;
      try {
        const outcome: JoinOutcome = await throttledJoin(tracked.h, url, { cpuRate: CPU_RATE, sliceNodes: 0, churnMs: 0, equalWithinMs: 20_000 });
        result.seen.push((await outcome.agent.page.locator('html').getAttribute('data-coview-transport')) ?? '(none)');
        if (outcome.msToLive !== null) result.msToLive.push(outcome.msToLive);
        if (outcome.msToComplete !== null) result.msToComplete.push(outcome.msToComplete);
        if (!outcome.equal) result.failedJoins++;
        // The last SESSIONS joins stay live for the change stream.
        if (n > JOINS - SESSIONS && outcome.equal) {
          open.push({ close: tracked.close, customer: outcome.customer.page, agent: outcome.agent.page });
          keep = true;
        }
      } catch (error) {
        result.failedJoins++;
        console.error(`   ${transport} join ${n}: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        if (!keep) await tracked.close();
      }
      console.error(`   … ${transport} join ${n}/${JOINS}: live ${result.msToLive.at(-1)?.toFixed(0) ?? '—'} ms, whole ${result.msToComplete.at(-1)?.toFixed(0) ?? '—'} ms, ${result.seen.at(-1) ?? '?'}`);
    }
    if (open.length) await steadySessions(server, transport, open, result);
  } finally {
    await Promise.all(open.map((session) => session.close()));
  }
  return result;
}

/**
 * On live sessions: one Resync on the first (bytes and time), then the change stream on all of them
 * at once, with the server's CPU measured over it and divided by the sessions: a server carries
 * many sessions, so what one costs is its share of a busy server, not of one that is otherwise idle.
 */
async function steadySessions(server: RunningCoview, transport: Transport, sessions: { customer: Page; agent: Page }[], result: TransportResult): Promise<void> {
  const [first] = sessions as [{ customer: Page; agent: Page }];
  const bytesSent = () => (transport === 'relayed' ? relayBytes(server) : readWire(first.customer).then((wire) => wire.bytes));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = await bytesSent();
  const ms = await first.agent.evaluate(timedResync);
  await new Promise((resolve) => setTimeout(resolve, 300));
  result.resync = { ms, bytes: (await bytesSent()) - before };

  for (const { customer, agent } of sessions) {
    await customer.evaluate(() => {
      const ticker = document.createElement('p');
      ticker.id = 'bench-ticker';
      document.body.prepend(ticker);
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await agent.evaluate(watchTicker);
  }
  const messages = () => Promise.all(sessions.map(({ customer }) => socketMessages(customer))).then((counts) => counts.reduce((a, b) => a + b, 0));
  const stream = (updates: number) => Promise.all(sessions.map(({ customer }) => customer.evaluate(runTicker, [updates, UPDATE_EVERY_MS] as [number, number])));
  /** The server's CPU over UPDATES changes on every session at once, % of one core per session. */
  const measured = async () => {
    const messagesBefore = await messages();
    const cpuBefore = cpuMs(server);
    const wallBefore = performance.now();
    await stream(UPDATES);
    const wall = performance.now() - wallBefore;
    const cpuAfter = cpuMs(server);
    result.windowSeconds = wall / 1000;
    result.socketMessagesPerSecond = ((await messages()) - messagesBefore) / result.windowSeconds / sessions.length;
    return { all: ((cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / wall) * 100 / sessions.length, system: ((cpuAfter.system - cpuBefore.system) / wall) * 100 / sessions.length };
  };
  result.sessions = sessions.length;
  // First the server as the joins left it; then, after WARMUP_UPDATES more changes, in its steady state.
  result.firstCpuPercent = (await measured()).all;
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const { agent } of sessions) result.latencies.push(...(await agent.evaluate(() => (window as unknown as { __latencies: number[] }).__latencies.splice(0))));
  await stream(WARMUP_UPDATES);
  const steady = await measured();
  result.serverCpuPercent = steady.all;
  result.serverSystemPercent = steady.system;
}

/** In a Chromium page: the handshake's PBKDF2 over a share code, `runs` times (ms each). */
async function kdfCost(page: Page, runs: number): Promise<number[]> {
  return page.evaluate(
    async ({ kdf, runs }) => {
      const times: number[] = [];
      const encoder = new TextEncoder();
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        const base = await crypto.subtle.importKey('raw', encoder.encode(`ABC-DEF-GH${i}`), 'PBKDF2', false, ['deriveBits']);
        await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: kdf.hash, salt: encoder.encode(kdf.salt), iterations: kdf.iterations }, base, 256);
        times.push(performance.now() - start);
      }
      return times;
    },
    { kdf: HANDSHAKE_KDF, runs },
  );
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '—');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('');
const load = () => loadavg().map((v) => v.toFixed(2)).join(', ');

async function main(): Promise<void> {
  // The server as `npm start` runs it (the npm script built it), so its CPU is the product's.
  const server = await startCoviewProcess({}, 0, { built: true });
  const browser = await launchChromium();
  const fixtures = await startFixtureServer(server.url);
  const h = Object.assign(new Harness(), { server: { url: server.url }, fixtures, browser }) as Harness;
  const url = `${fixtures.url}/docs.html?nodes=5000`;
  console.log(`Coview transport bench — ${new Date().toISOString().slice(0, 10)}, ${browser.version()}, loopback, 2 cores; load average at start ${load()}`);
  try {
    const results: TransportResult[] = [];
    for (const transport of ['direct', 'relayed'] as const) results.push(await benchTransport(h, server, transport, url));

    const kdfPage = await browser.newPage();
    await kdfPage.goto(`${server.url}/join`);
    const kdf = await kdfCost(kdfPage, KDF_RUNS);
    await kdfPage.close();

    const label = (t: Transport) => (t === 'direct' ? 'Direct' : 'Relayed (encrypted)');
    console.log(`\nDocs 5k page, customer CPU ${CPU_RATE}×; ${JOINS} join${JOINS === 1 ? '' : 's'} per transport, then on the last ${SESSIONS === 1 ? 'one' : SESSIONS}, live at once, a Resync (on the first) and ${UPDATES} changes every ${UPDATE_EVERY_MS} ms each`);
    const w = [22, 10, 10, 11, 11, 9, 10, 13, 7, 7, 11, 12, 9, 8];
    console.log(row(['transport', 'live med', 'live p95', 'whole med', 'whole p95', 'resync', 'snapshot', 'throughput', 'p50', 'p95', 'CPU first', 'CPU steady', 'kernel', 'ws/s'], w));
    for (const r of results) {
      const throughput = r.resync ? `${kib(r.resync.bytes / (r.resync.ms / 1000))}/s` : '—';
      console.log(
        row(
          [label(r.transport), ms(quantile(r.msToLive, 0.5)), ms(quantile(r.msToLive, 0.95)), ms(quantile(r.msToComplete, 0.5)), ms(quantile(r.msToComplete, 0.95)), r.resync ? ms(r.resync.ms) : '—', r.resync ? kib(r.resync.bytes) : '—', throughput, ms(quantile(r.latencies, 0.5)), ms(quantile(r.latencies, 0.95)), `${r.firstCpuPercent.toFixed(2)} %`, `${r.serverCpuPercent.toFixed(2)} %`, `${r.serverSystemPercent.toFixed(2)} %`, r.socketMessagesPerSecond.toFixed(1)],
          w,
        ),
      );
    }
    console.log('   live / whole = Join click → live / → the whole first mirror, in the agent\'s page (median, p95 of the joins);');
    console.log('   resync = Resync click → the fresh 5k-node snapshot\'s last part shown; snapshot = its bytes (direct: sent on the data channel; relayed: sealed bytes the server forwarded); throughput = snapshot / resync;');
    console.log(`   p50, p95 = change → shown in the agent's mirror (customer's epoch stamp vs the agent's, one clock); CPU = the server process's user+system time over a ${results[0]?.windowSeconds.toFixed(1)} s change stream / wall time / the ${results[0]?.sessions} live sessions (% of one core per session; /proc, 10 ms ticks): first = right after the joins, steady = after ${WARMUP_UPDATES} more changes (${(WARMUP_UPDATES * UPDATE_EVERY_MS / 1000).toFixed(0)} s; a server carrying sessions for hours has its code warmed up); kernel = the system-time part of steady (syscalls; loopback TCP is charged to the writer);`);
    console.log('   ws/s = WebSocket messages each customer\'s page sent to the server per second meanwhile (a relay frame is one, its sealed bytes as base64 text; the agent acknowledges every 8 frames or within 0.5 s).');
    for (const r of results) {
      const unexpected = r.seen.filter((s) => s !== r.transport);
      if (unexpected.length || r.failedJoins) console.log(`   ${label(r.transport)}: ${r.failedJoins} join(s) failed; join page said ${r.seen.join(', ')}`);
      console.log(`   ${label(r.transport)}: ${r.latencies.length}/${UPDATES * r.sessions} changes of the first stream seen (p50, p95 are theirs)`);
    }
    console.log(`\nHandshake KDF in Chromium (PBKDF2-${HANDSHAKE_KDF.hash}, ${HANDSHAKE_KDF.iterations.toLocaleString('en')} iterations): median ${ms(quantile(kdf, 0.5))}, max ${ms(Math.max(...kdf))} of ${KDF_RUNS} (once per side per join)`);

    const [direct, relayed] = results as [TransportResult, TransportResult];
    const ratio = quantile(relayed.latencies, 0.95) / quantile(direct.latencies, 0.95);
    const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');
    console.log('\nGoals');
    console.log(`   relayed p95 change latency ≤ ${GOAL_LATENCY_RATIO}× direct: ${ms(quantile(relayed.latencies, 0.95))} vs ${ms(quantile(direct.latencies, 0.95))} = ${ratio.toFixed(2)}×: ${verdict(ratio <= GOAL_LATENCY_RATIO)}`);
    console.log(`   relay server CPU ≤ ${GOAL_CPU_PERCENT} % of a core per active session, steady: ${relayed.serverCpuPercent.toFixed(2)} % (direct baseline ${direct.serverCpuPercent.toFixed(2)} %, so the relay's own ${(relayed.serverCpuPercent - direct.serverCpuPercent).toFixed(2)} %): ${verdict(relayed.serverCpuPercent <= GOAL_CPU_PERCENT)}; right after the joins ${relayed.firstCpuPercent.toFixed(2)} % (direct ${direct.firstCpuPercent.toFixed(2)} %)`);
    // The relay's own cost per frame: its CPU over the direct baseline, per relay frame (one WebSocket message each way, and a share of an ack).
    const frames = relayed.socketMessagesPerSecond * relayed.windowSeconds;
    const perFrameMs = ((relayed.serverCpuPercent - direct.serverCpuPercent) / 100) * relayed.windowSeconds * 1000 / frames;
    console.log(`   (the relay's own server CPU per frame, forwarded and acknowledged: ${perFrameMs.toFixed(2)} ms over ${frames.toFixed(0)} frames)`);
    console.log(`load average at the end ${load()}`);
  } finally {
    await browser.close();
    await fixtures.close();
    await server.stop();
  }
}

await main();
process.exit(0);
