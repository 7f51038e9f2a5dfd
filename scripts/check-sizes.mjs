// The size check `npm test` runs after building: every browser bundle has a budget (gzip at level 9, in KiB),
// and the run fails when one grows past it. Budgets sit a little above today's sizes, so any real
// growth is a decision made here, in one place; `goal` is where issue 13 wants the bundle to get.
// A new bundle gets a row here, or the check fails on a bundle it does not know.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url);

/** @type {{ file: string, budget: number, goal?: number, what: string }[]} */
// The encrypted relay (issue 12: AES-GCM frames, the relay link, its session code and texts) added
// ~2.9 KiB to the widget and ~2.5 KiB to the join page: budgets raised by 2 and 1 KiB for it.
export const budgets = [
  { file: 'widget.js', budget: 10, what: "every page view: the loader (button and window.Coview)" },
  // One deflate stream for a snapshot's parts (widget/transport/channel.ts) added ~0.9 KiB to each side.
  // The Socket.IO client of our own (widget/transport/socket-io.ts) for socket.io-client: −11.1 KiB on each side;
  // no inflate on the customer's side (the agent sends as it is, protocol v4): −1.3 KiB; no fflate deflate
  // for browsers without CompressionStream (they send as they are): −3.1 KiB; the decoders of the customer's own
  // messages, which it never reads, built lazily and so left out: −1.3 KiB; its CSS without comments and spare whitespace: −0.4;
  // its texts in the nine languages but English fetched from widget-text/ (the widget's language only): −10.4. Goal met.
  { file: 'widget-core.js', budget: 61, goal: 60, what: "the customer's page once sharing: capture, transport, full widget" },
  // It keeps all ten languages' texts built in (an ES module cannot know where files beside it are
  // served; widget-core.js fetches its own): widget-core.js plus ~10.5 KiB. No goal of issue 13's.
  { file: 'coview.js', budget: 71, what: "the npm package's ES module (the widget as a module)" },
  // Its texts in the nine languages but English moved to join-text/ (fetched for the page's language),
  // and it carries no deflate of its own (the browser's CompressionStream): 89.0 → 68.1 KiB (68.9 with the deflate stream's reader);
  // the Socket.IO client of our own: −11.1. Goal met.
  { file: 'join.js', budget: 59, goal: 70, what: "the agent's join page" },
  { file: 'join-text/*.json', budget: 4, what: "the join page's texts in one language (the largest), fetched on demand" },
  { file: 'widget-text/*.json', budget: 4, what: "the widget's texts in one language (the largest), fetched on demand" },
];

const KiB = 1024;
/** The files a row names: itself, or for `folder/*.ext` every such file in the folder. */
function filesOf(file) {
  const pattern = /^(.+\/)\*(\.\w+)$/.exec(file);
  if (!pattern) return [file];
  const [, folder, ext] = pattern;
  const names = readdirSync(new URL(folder, dist)).filter((name) => name.endsWith(ext));
  if (names.length === 0) throw new Error(`dist/${file}: no such files`);
  return names.map((name) => folder + name);
}

const rows = budgets.map(({ file, budget, goal, what }) => {
  let bytes;
  try {
    bytes = Math.max(...filesOf(file).map((each) => gzipSync(readFileSync(new URL(each, dist)), { level: 9 }).length));
  } catch (error) {
    throw new Error(`dist/${file} is missing: run \`node scripts/build.mjs\` first (${error.message})`);
  }
  return { file, kib: bytes / KiB, budget, goal, what, over: bytes > budget * KiB };
});
const unknown = readdirSync(dist).filter((name) => name.endsWith('.js') && !/^server(-api)?\.js$/.test(name) && !budgets.some((row) => row.file === name));

for (const { file, kib, budget, goal, what, over } of rows)
  console.log(`${over ? 'OVER' : 'ok  '} dist/${file.padEnd(18)} ${kib.toFixed(1).padStart(6)} KiB gzip  budget ${String(budget).padStart(3)}  goal ${goal ?? '-'}  (${what})`);
for (const name of unknown) console.log(`NEW  dist/${name}: no budget in scripts/check-sizes.mjs`);

const over = rows.filter((row) => row.over);
if (over.length > 0 || unknown.length > 0) {
  console.error(
    `Size check failed: ${[...over.map((row) => `dist/${row.file} is ${row.kib.toFixed(1)} KiB gzip, over its ${row.budget} KiB budget`), ...unknown.map((name) => `dist/${name} has no budget`)].join('; ')}. ` +
      'Make it smaller, or raise the budget in scripts/check-sizes.mjs if the growth is worth it.',
  );
  process.exit(1);
}
