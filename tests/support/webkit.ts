import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Builder, type WebDriver } from 'selenium-webdriver';
import { freePort } from './processes.js';

/**
 * Debian's WebKitGTK (the nearest engine to Safari that runs here), driven over WebDriver:
 * WebKitWebDriver under its own X server (`xvfb-run -a` picks a free display), MiniBrowser as the
 * browser. It has no WebRTC at all, so it is the customer whose browser cannot make a peer connection.
 */
export interface WebKit {
  driver: WebDriver;
  /** Runs `fn` in the page, awaits its promise, returns its (JSON) result. */
  run<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R>;
  close(): Promise<void>;
}

const MINIBROWSER = ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser', '/usr/libexec/webkit2gtk-4.1/MiniBrowser'];

export async function launchWebKit(): Promise<WebKit> {
  const binary = [process.env.MINIBROWSER_PATH, ...MINIBROWSER].find((path): path is string => !!path && existsSync(path));
  if (!binary) throw new Error('No MiniBrowser found. Install WebKitGTK (apt-get install -y webkit2gtk-driver xvfb) or set MINIBROWSER_PATH.');
  const port = await freePort();
  // A process group of its own: xvfb-run, Xvfb, WebKitWebDriver and the browser stop together.
  const server = spawn('xvfb-run', ['-a', 'WebKitWebDriver', `--port=${port}`], { detached: true, stdio: 'ignore' });
  const stopServer = () => {
    try {
      process.kill(-server.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${url}/status`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline || server.exitCode !== null) throw new Error('WebKitWebDriver did not start (is xvfb installed?)');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const driver = await new Builder().usingServer(url).withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary, args: ['--automation'] } }).build();
    await driver.manage().setTimeouts({ script: 60_000 });
    return {
      driver,
      run: <A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A) =>
        driver.executeAsyncScript(`const done = arguments[arguments.length - 1]; Promise.resolve().then(() => (${fn.toString()})(...arguments[0])).then((value) => done({ value }), (error) => done({ error: String(error && error.stack || error) }));`, args).then((out) => {
          const { value, error } = out as { value?: R; error?: string };
          if (error !== undefined) throw new Error(`in WebKit: ${error}`);
          return value as R;
        }),
      close: async () => {
        await driver.quit().catch(() => {});
        stopServer();
      },
    };
  } catch (error) {
    stopServer();
    throw error;
  }
}
