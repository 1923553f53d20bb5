// The scaffolding shared by the browser tests (*.e2e.ts): where the server is, how Chromium
// is launched, the guard on requests leaving the server, and the notes for the secret canary.
// Not a test file itself: vitest.e2e.config.ts collects only e2e/**/*.e2e.ts.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type Page,
  type ViewportSize,
} from 'playwright-core';

/** The Agora server under test, without trailing slashes. The repo's test script starts one and sets AGORA_URL. */
export const AGORA_URL: string = agoraUrl();

function agoraUrl(): string {
  const url = process.env.AGORA_URL?.replace(/\/+$/, '');
  if (!url) {
    throw new Error(
      'AGORA_URL is not set: start `agora serve` and run e.g. `AGORA_URL=http://127.0.0.1:8080 npm run e2e`',
    );
  }
  return url;
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../test-results');
const CAPTURE_DIR = process.env.AGORA_TEST_CAPTURE_DIR;
export const REFRESH_COOKIE = 'agora_refresh';
export const WAIT = { timeout: 30_000 };

/** The flags every Chromium of these tests runs with. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Notes a secret this test created for the secret canary (scripts/lib/secret-canary.py),
 * which fails the run if any log line holds one. Never printed.
 */
export function captureSecret(secret: string) {
  if (CAPTURE_DIR && secret) appendFileSync(join(CAPTURE_DIR, 'web-e2e.secrets'), `${secret}\n`);
}

/** Every access token the server hands out is a secret too: notes those `target` receives for the canary. */
export function captureAccessTokens(target: Page) {
  target.on('response', (response) => {
    if (!/\/v1\/auth\/(register|login|refresh)$/.test(new URL(response.url()).pathname) || !response.ok()) return;
    response
      .json()
      .then((body: { access_token?: unknown }) => {
        if (typeof body.access_token === 'string') captureSecret(body.access_token);
      })
      .catch(() => undefined);
  });
}

/** Notes the refresh token of the context's session, which only the cookie jar has seen. */
export async function captureRefreshCookies(context: BrowserContext | undefined) {
  const cookies = (await context?.cookies().catch(() => [])) ?? [];
  for (const cookie of cookies) if (cookie.name === REFRESH_COOKIE) captureSecret(cookie.value);
}

/** Runs `start` with the results folder made, and says what to do when Chromium does not start. */
async function launching<T>(start: () => Promise<T>): Promise<T> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  try {
    return await start();
  } catch (cause) {
    throw new Error(
      `Could not launch Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH, or apt-get install chromium)`,
      { cause },
    );
  }
}

/** Launches Chromium where no name but loopback resolves. */
export function launchChromium(): Promise<Browser> {
  return launching(() =>
    chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        ...CHROMIUM_ARGS,
        // Belt and braces: no name but loopback resolves, so nothing can leave the machine.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    }),
  );
}

/** A context in which every request but those to the Agora server is recorded in `strayRequests` and refused. */
export async function newGuardedContext(
  browser: Browser,
  { viewport }: { viewport: ViewportSize },
  strayRequests: string[],
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  try {
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin === AGORA_URL) return route.continue();
      strayRequests.push(url.href);
      return route.abort();
    });
  } catch (error) {
    await context.close().catch(() => undefined);
    throw error;
  }
  return context;
}

/** What the browser refused under the server's Content-Security-Policy, reported as an error. */
function isPolicyViolation(message: ConsoleMessage): boolean {
  return message.type() === 'error' && message.text().includes('Content Security Policy');
}

/**
 * Records the page's uncaught errors and anything the Content-Security-Policy refused, and
 * dismisses and records any dialog it opens.
 */
export function watchPage(target: Page, records: { pageErrors: string[]; dialogs: string[] }) {
  target.on('pageerror', (error) => records.pageErrors.push(error.message));
  target.on('console', (message) => {
    if (isPolicyViolation(message)) records.pageErrors.push(message.text());
  });
  target.on('dialog', (dialog) => {
    records.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
}

export interface GuardedPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  /** The dialogs the page opened (all dismissed). */
  dialogs: string[];
  /** Every request leaving the Agora server (all refused). */
  strayRequests: string[];
}

/** Launches Chromium and opens a page in a guarded context (see newGuardedContext, watchPage). */
export async function openGuardedPage({ viewport }: { viewport: ViewportSize }): Promise<GuardedPage> {
  const browser = await launchChromium();
  const records = { pageErrors: [] as string[], dialogs: [] as string[], strayRequests: [] as string[] };
  try {
    const context = await newGuardedContext(browser, { viewport }, records.strayRequests);
    const page = await context.newPage();
    watchPage(page, records);
    return { browser, context, page, ...records };
  } catch (error) {
    await browser.close().catch(() => undefined);
    throw error;
  }
}

export interface PersistentPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  /** Closes the browser and removes its profile. */
  close: () => Promise<void>;
}

/** Launches Chromium with a fresh profile in a temporary folder, and answers its first page. */
export async function openPersistentPage({ viewport }: { viewport: ViewportSize }): Promise<PersistentPage> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'agora-e2e-chromium-'));
  const removeProfile = () => rmSync(userDataDir, { recursive: true, force: true });
  let context: BrowserContext;
  try {
    context = await launching(() =>
      chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport,
      }),
    );
  } catch (error) {
    removeProfile();
    throw error;
  }
  const close = async () => {
    try {
      await context.close();
    } finally {
      removeProfile();
    }
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (isPolicyViolation(message)) pageErrors.push(message.text());
    });
    return { context, page, pageErrors, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * Confirms the signed-in account's email address as its owner would on a server that sends
 * no real email: opens the dev outbox (unless already there), clicks the newest mail's
 * "Confirm email" and waits for the confirmation page's success. New accounts get their
 * sign-up credits only then: call it after a sign-up in any test that spends credits.
 * Answers what the page said about the credits ("5 credits were added to your balance."),
 * or '' when it added none.
 */
export async function confirmEmailFromOutbox(page: Page): Promise<string> {
  if (new URL(page.url()).pathname !== '/outbox') {
    await page.goto(`${AGORA_URL}/outbox`, { waitUntil: 'domcontentloaded' });
  }
  await page.getByRole('heading', { level: 1, name: 'Dev outbox' }).waitFor({ state: 'visible', ...WAIT });
  const newest = page.getByTestId('outbox-mail').first();
  // The mail is sent with the sign-up; should it be late, ask again until it is there.
  const deadline = Date.now() + WAIT.timeout;
  while (!(await newest.isVisible())) {
    if (Date.now() > deadline) throw new Error('No mail arrived in the dev outbox');
    const checkAgain = page.getByRole('button', { name: 'Check for new mail' });
    if (await checkAgain.isEnabled().catch(() => false)) await checkAgain.click().catch(() => undefined);
    await page.waitForTimeout(500);
  }
  const confirm = newest.getByRole('link', { name: 'Confirm email' });
  // The token in the link is a credential: the secret canary must never find it in a log.
  const token = new URLSearchParams(((await confirm.getAttribute('href')) ?? '').split('#')[1] ?? '').get('token');
  if (token) captureSecret(token);
  await confirm.click();
  await page.getByTestId('verify-success').waitFor({ state: 'visible', ...WAIT });
  if (new URL(page.url()).hash !== '') throw new Error(`The token stayed in the address bar: ${page.url()}`);
  const credits = page.getByTestId('credits-granted');
  return (await credits.count()) > 0 ? (await credits.innerText()).trim() : '';
}
