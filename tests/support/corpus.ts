import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));
const SHIMS = fileURLToPath(new URL('../corpus/', import.meta.url));

/** What a person does on a corpus page: a click (or, where a click would do nothing, a key). */
export type Interaction = { click: string } | { press: string };

/**
 * A real page that nobody in this project wrote, shipped inside an npm package (a devDependency,
 * so `npm ci` unpacks it into the ignored node_modules/). tests/corpus/README.md lists them with
 * their licences.
 */
export interface CorpusPage {
  /** Short name, used in test names and file names. */
  name: string;
  /** The npm package that ships the page. */
  package: string;
  /** The page inside the package. */
  path: string;
  notes: string;
  /** Present once the page's own code has rendered it. */
  ready: string;
  /** What the customer does before sharing, so the page has more than its empty state. */
  setup?: (page: Page) => Promise<void>;
  /** Something harmless to do on the page for the "after an interaction" picture. */
  interaction: Interaction;
  /** Files of the package replaced by one in tests/corpus/ (package path → shim file). */
  shims?: Record<string, string>;
  /**
   * The widget's own 12 ms time slices instead of parts counted in nodes. For the heaviest page:
   * its ~4,000 nodes and 635 shadow roots in ~100 parts took 10–12 s at 4× on a loaded 2-core
   * machine (each part is a task of its own), over the 10 s the test allows.
   */
  timeSlices?: true;
}

/** TodoMVC apps start empty: three to-dos give them a list, a counter and a footer. */
const addTodos = async (page: Page) => {
  const input = page.locator('#new-todo');
  for (const todo of ['Buy milk', 'Call the bank about the card', 'Water the plants']) {
    await input.fill(todo);
    await input.press('Enter');
  }
  await page.locator('#todo-list li').nth(2).waitFor();
  // The focused input's caret and focus ring would differ with timing, not with fidelity.
  await input.blur();
};

const todomvc = (framework: string, notes: string): CorpusPage => ({
  name: `todomvc-${framework}`,
  package: 'todomvc',
  path: `examples/${framework}/index.html`,
  notes,
  // Always rendered (the list itself only once there are to-dos, in React and Ember).
  ready: '#new-todo',
  setup: addTodos,
  // The first to-do's checkbox (Ember 1.x puts metamorph <script>s between the <li>s: no :first-child).
  interaction: { click: '#todo-list li .toggle' },
});

export const CORPUS: readonly CorpusPage[] = [
  todomvc('react', 'React 0.x with JSX compiled in the browser (JSXTransformer fetches the .jsx files), director routes'),
  todomvc('vue', 'Vue 0.x templates in the HTML, hash routes'),
  todomvc('emberjs', 'Ember 1.x with Handlebars templates and ember-data on localStorage'),
  todomvc('angularjs', 'AngularJS 1.x directives, ngRoute'),
  todomvc('mithril', 'Mithril 0.1 virtual DOM'),
  {
    name: 'reveal-demo',
    package: 'reveal.js',
    path: 'demo.html',
    notes: "reveal.js's feature tour: 3D-transformed slides, backgrounds, highlighted code, markdown, fragments",
    ready: '.reveal.ready',
    interaction: { click: '.controls .navigate-right' },
  },
  {
    name: 'impress-demo',
    package: 'impress.js',
    path: 'index.html',
    notes: 'impress.js demo: CSS 3D transforms on a huge canvas; web fonts from the internet fail offline, on both sides alike',
    ready: 'body.impress-enabled',
    // A click on the current step does nothing and the others are off screen: the space bar moves on.
    interaction: { press: 'Space' },
  },
  {
    name: 'swagger-ui',
    package: 'swagger-ui-dist',
    path: 'index.html',
    notes: 'Swagger UI, a React single-page app, rendering a local OpenAPI spec (shim: tests/corpus/swagger-initializer.js, petstore.json)',
    ready: '.opblock-summary',
    interaction: { click: '.opblock-tag-section .opblock-summary-control >> nth=0' },
    shims: { 'swagger-initializer.js': 'swagger-initializer.js' },
  },
  {
    name: 'jquery-ui-widgets',
    package: 'jquery-ui-dist',
    path: 'index.html',
    notes: "jQuery UI's widget gallery (accordion, tabs, dialog, datepicker, slider, menu, …)",
    ready: '#tabs.ui-tabs',
    interaction: { click: '#tabs a[href="#tabs-2"]' },
  },
  {
    name: 'ionicons-cheatsheet',
    package: 'ionicons',
    path: 'dist/cheatsheet.html',
    notes: '635 <ion-icon> web components (Stencil): shadow roots, icons fetched lazily as they scroll into view',
    ready: 'ion-icon.hydrated',
    interaction: { click: 'h1' },
    timeSlices: true,
  },
];

/** The version of a corpus package that is installed (what the test actually ran on). */
export function installedVersion(pkg: string): string {
  return (JSON.parse(readFileSync(`${NODE_MODULES}${pkg}/package.json`, 'utf8')) as { version: string }).version;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.jsx': 'text/jsx; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * How the widget gets onto a corpus page. `on-load` (the default) adds the script tag from the
 * page's `load` event, as integrators who load third-party widgets late do: the widget then
 * starts on a page whose own scripts are already busy rendering, which is where races show.
 * `tag` pastes the tag at the end of the body, exactly like tests/fixtures/html/*.html.
 */
export type Embed = 'on-load' | 'tag';

export function embedSnippet(coviewServer: string, embed: Embed): string {
  const tag = `<script src="${coviewServer}/widget.js" data-server="${coviewServer}" async></script>`;
  if (embed === 'tag') return tag;
  const server = JSON.stringify(coviewServer);
  return (
    '<script>addEventListener("load", function () {' +
    ' var s = document.createElement("script");' +
    ` s.src = ${server} + "/widget.js"; s.setAttribute("data-server", ${server}); s.async = true;` +
    ' document.body.appendChild(s); });</script>'
  );
}

/** Puts the snippet last in the body (or last in the file), leaving doctype and head as they were. */
export function injectWidget(html: string, snippet: string): string {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at === -1 ? html + snippet : html.slice(0, at) + snippet + html.slice(at);
}

/**
 * Serves the corpus packages from node_modules/ on their own origin, like a customer's site:
 * `/<package>/<path>` is that file of the package (only corpus packages; a folder serves its
 * index.html), with the widget added to every HTML page (`?embed=tag` for the pasted tag);
 * `/__corpus/<file>` serves tests/corpus/. Files a page names in `shims` come from tests/corpus/.
 */
export async function startCorpusServer(coviewServer: string, pages: readonly CorpusPage[] = CORPUS) {
  const packages = new Set(pages.map((page) => page.package));
  const shims = new Map<string, string>(pages.flatMap((page) => Object.entries(page.shims ?? {}).map(([path, shim]) => [`${page.package}/${path}`, shim] as const)));

  const resolve = (pathname: string): string | null => {
    let relative: string;
    try {
      relative = decodeURIComponent(pathname).replace(/^\/+/, '');
    } catch {
      return null;
    }
    if (relative.endsWith('/') || relative === '') relative += 'index.html';
    if (relative.startsWith('__corpus/')) return inside(SHIMS, relative.slice('__corpus/'.length));
    const shim = shims.get(relative);
    if (shim) return inside(SHIMS, shim);
    const pkg = relative.startsWith('@') ? relative.split('/').slice(0, 2).join('/') : relative.split('/')[0]!;
    if (!packages.has(pkg)) return null;
    return inside(`${NODE_MODULES}${pkg}${sep}`, relative.slice(pkg.length + 1));
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = resolve(url.pathname);
    if (!file) return void res.writeHead(404).end('not found');
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    try {
      if (type.startsWith('text/html')) {
        const embed: Embed = url.searchParams.get('embed') === 'tag' ? 'tag' : 'on-load';
        const html = injectWidget(await readFile(file, 'utf8'), embedSnippet(coviewServer, embed));
        return void res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(html);
      }
      // Web fonts and icons are fetched with CORS by some pages (and by the agent's mirror).
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': type, 'access-control-allow-origin': '*' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    /** The address of a corpus page on this server. */
    urlOf: (page: CorpusPage, embed: Embed = 'on-load') => `${origin}/${page.package}/${page.path}${embed === 'tag' ? '?embed=tag' : ''}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** `root` + `relative`, or null if `relative` climbs out of `root` (`..`, absolute paths). */
function inside(root: string, relative: string): string | null {
  const joined = normalize(`${root}${relative}`);
  return joined.startsWith(normalize(root)) ? joined : null;
}
