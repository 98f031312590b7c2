import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serviceUrl } from './services.js';

/**
 * What the browser tests of the pages share: Debian's Chromium launched headless with nothing of its own on the
 * network, and a session per test that records every request and every page error or CSP report.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The system browser that the `chromium` service names (no browser download). */
export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({ executablePath: serviceUrl('chromium'), args: ARGS });

export interface Session {
  context: BrowserContext;
  page: Page;
  requests: { url: string; method: string; body: string | null }[];
  problems: string[];
}

/** A fresh context (its own session storage) on `origin + path`, recording what the page does. */
export async function openSession(
  browser: Browser,
  origin: string,
  path: string,
  viewport = { width: 1280, height: 900 },
): Promise<Session> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const session: Session = { context, page, requests: [], problems: [] };
  page.on('request', (r) => session.requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
  page.on('pageerror', (e) => session.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs every 4xx answer (a filter error is a 400; a missing key a 401); the page itself must
    // log nothing.
    if (
      m.type() === 'error' &&
      !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())
    )
      session.problems.push(`console: ${m.text()}`);
  });
  await page.goto(origin + path);
  return session;
}

/** The requests of a session that went anywhere but `origin`. */
export const foreignRequests = (session: Session, origin: string) =>
  session.requests.filter((r) => !r.url.startsWith(`${origin}/`));

/** A browser and a server share two busy cores with the rest of the suite: room for a slow step, not a bound on speed. */
export const SLOW_MACHINE = { timeout: 90_000 };
