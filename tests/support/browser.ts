import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * Finds a Chromium without downloading one: $CHROMIUM_PATH, else Playwright's own if it was
 * installed, else Debian's /usr/bin/chromium.
 */
export function findChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, safe(() => chromium.executablePath()), '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((path): path is string => !!path && existsSync(path));
  if (!found) throw new Error('No Chromium found. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.');
  return found;
}

function safe(fn: () => string): string | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // WebRTC on loopback only: tests run in a network namespace that has nothing but `lo`.
      '--allow-loopback-in-peer-connection',
    ],
  });
}

/**
 * A fresh browser profile for one person (customer or agent). The microphone grant makes
 * Chromium expose raw host candidates instead of mDNS names, so peers find each other on loopback.
 */
export async function newPerson(browser: Browser, origin: string, viewport = { width: 1280, height: 720 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['microphone'], { origin });
  return context;
}

/**
 * Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (playwright-core's BiDi
 * Firefox does not work with ESR 153). $FIREFOX_PATH overrides /usr/bin/firefox-esr. The prefs
 * let WebRTC gather loopback candidates inside the test network namespace.
 */
export async function launchFirefox() {
  const executablePath = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox'].find((path): path is string => !!path && existsSync(path));
  if (!executablePath) throw new Error('No Firefox found. Install it (apt-get install -y firefox-esr) or set FIREFOX_PATH.');
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    extraPrefsFirefox: {
      'media.peerconnection.ice.loopback': true,
      'media.peerconnection.ice.no_host': false,
      'media.navigator.permission.disabled': true,
      'media.peerconnection.ice.obfuscate_host_addresses': false,
    },
  });
}
