import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';

// Runs against a real `agora serve`: the repo's test script starts one and sets AGORA_URL.
const AGORA_URL = process.env.AGORA_URL?.replace(/\/+$/, '');
if (!AGORA_URL) {
  throw new Error(
    'AGORA_URL is not set: start `agora serve` and run e.g. `AGORA_URL=http://127.0.0.1:8080 npm run e2e`',
  );
}

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../test-results');
const CAPTURE_DIR = process.env.AGORA_TEST_CAPTURE_DIR;
const REFRESH_COOKIE = 'agora_refresh';

/**
 * Notes a secret this test created for the secret canary (scripts/lib/secret-canary.py),
 * which fails the run if any log line holds one. Never printed.
 */
function captureSecret(secret: string) {
  if (CAPTURE_DIR && secret) appendFileSync(join(CAPTURE_DIR, 'web-e2e.secrets'), `${secret}\n`);
}

/** GET /v1/me from Node (not the browser) with an API key; answers the status. */
async function meStatusWithKey(key: string): Promise<number> {
  const response = await fetch(`${AGORA_URL}/v1/me`, {
    headers: { Authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  return response.status;
}

describe('accounts in Chromium', () => {
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const email = `web-e2e-${suffix}@example.com`;
  const displayName = `Web E2E ${suffix}`;
  const password = `pw-${randomBytes(18).toString('base64url')}`;
  const keyName = `e2e key ${suffix}`;
  let apiKey = '';

  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    captureSecret(password);
    mkdirSync(RESULTS_DIR, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), 'agora-e2e-chromium-'));
    try {
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport: { width: 1280, height: 900 },
      });
    } catch (cause) {
      throw new Error(
        `Could not launch Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH, or apt-get install chromium)`,
        { cause },
      );
    }
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: AGORA_URL });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Every access token the server hands out is a secret too: note it for the canary.
    page.on('response', (response) => {
      if (!/\/v1\/auth\/(register|login|refresh)$/.test(new URL(response.url()).pathname) || !response.ok()) return;
      response
        .json()
        .then((body: { access_token?: unknown }) => {
          if (typeof body.access_token === 'string') captureSecret(body.access_token);
        })
        .catch(() => undefined);
    });
  });

  afterAll(async () => {
    // The refresh token of the last session, which only the cookie jar has seen.
    const cookies = (await context?.cookies().catch(() => [])) ?? [];
    for (const cookie of cookies) if (cookie.name === REFRESH_COOKIE) captureSecret(cookie.value);
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  function screenshotOnFailure(name: string) {
    onTestFailed(async () => {
      const path = join(RESULTS_DIR, `${name}-failure.png`);
      // Keep a key shown once out of the screenshot.
      await page
        ?.evaluate(() => {
          document.querySelectorAll('[data-testid="api-key-secret"]').forEach((element) => {
            element.textContent = '(hidden in the screenshot)';
          });
        })
        .catch(() => undefined);
      await page?.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.error(`Screenshot of the failure: ${path}`);
    });
  }

  async function expectSignedInHeader() {
    const name = page.getByRole('banner').getByTestId('user-name');
    await name.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await name.innerText()).toBe(displayName);
  }

  /** The refresh cookie as the browser would send it to /v1/auth/refresh (its Path is /v1/auth). */
  async function refreshCookie() {
    const cookies = await context.cookies(`${AGORA_URL}/v1/auth/refresh`);
    return cookies.find((cookie) => cookie.name === REFRESH_COOKIE && cookie.value !== '');
  }

  it('signs up with a fresh email and is signed in', async () => {
    screenshotOnFailure('accounts-signup');
    const response = await page.goto(`${AGORA_URL}/signup`, { waitUntil: 'domcontentloaded' });
    expect(response?.status(), `GET ${AGORA_URL}/signup must serve the UI (SPA fallback)`).toBe(200);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Display name').fill(displayName);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL(`${AGORA_URL}/account`, { timeout: 30_000 });
    await expectSignedInHeader();
    expect(await page.getByTestId('account-email').innerText()).toBe(email);
  });

  it('keeps the refresh token in an HttpOnly, Secure, SameSite=Strict cookie, and no token in web storage', async () => {
    screenshotOnFailure('accounts-storage');
    const cookie = await refreshCookie();
    expect(cookie, `the ${REFRESH_COOKIE} cookie must be stored for ${AGORA_URL}/v1/auth`).toBeDefined();
    captureSecret(cookie?.value ?? '');
    expect({
      httpOnly: cookie?.httpOnly,
      secure: cookie?.secure,
      sameSite: cookie?.sameSite,
      path: cookie?.path,
    }).toEqual({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/v1/auth' });

    const storage = await page.evaluate(() => ({
      local: Object.keys(localStorage).length,
      session: Object.keys(sessionStorage).length,
      cookie: document.cookie,
    }));
    expect(storage).toEqual({ local: 0, session: 0, cookie: '' });
  });

  it('restores the session with the silent refresh after a reload', async () => {
    screenshotOnFailure('accounts-reload');
    const refreshed = page.waitForResponse(
      (response) => new URL(response.url()).pathname === '/v1/auth/refresh',
      { timeout: 30_000 },
    );
    await page.reload({ waitUntil: 'domcontentloaded' });
    expect((await refreshed).status(), 'the cookie must be sent to /v1/auth/refresh and accepted').toBe(200);

    await expectSignedInHeader();
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.getByTestId('account-email').innerText()).toBe(email);
  });

  it('signs out, then signs in again', async () => {
    screenshotOnFailure('accounts-signin');
    const header = page.getByRole('banner');
    await header.getByRole('button', { name: 'Sign out' }).click();

    // The account pages send a signed-out visitor to sign in, back to where they were.
    await page.waitForURL(`${AGORA_URL}/signin?next=%2Faccount`, { timeout: 30_000 });
    await header.getByRole('link', { name: 'Sign in' }).waitFor({ state: 'visible' });
    expect(await refreshCookie(), 'signing out clears the refresh cookie').toBeUndefined();

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(`${AGORA_URL}/account`, { timeout: 30_000 });
    await expectSignedInHeader();
    const cookie = await refreshCookie();
    expect(cookie?.httpOnly).toBe(true);
    captureSecret(cookie?.value ?? '');
  });

  it('creates an API key that works, and revokes it', async () => {
    screenshotOnFailure('accounts-api-keys');
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(`${AGORA_URL}/account/api-keys`);

    await page.getByLabel('Name', { exact: true }).fill(keyName);
    await page.getByRole('button', { name: 'Create API key' }).click();

    const panel = page.getByTestId('new-key-panel');
    await panel.waitFor({ state: 'visible', timeout: 30_000 });
    apiKey = (await panel.getByTestId('api-key-secret').innerText()).trim();
    captureSecret(apiKey);
    expect(apiKey.startsWith('agora_sk_'), 'the panel shows an agora_sk_ key').toBe(true);
    expect(await panel.innerText()).toContain('you will not see it again');

    await panel.getByRole('button', { name: 'Copy' }).click();
    await expect
      .poll(() => panel.getByTestId('copy-status').innerText(), { timeout: 10_000 })
      .toMatch(/Copied to the clipboard|the key is selected/);

    // The key works from outside the browser...
    expect(await meStatusWithKey(apiKey)).toBe(200);

    // ...and is listed by its prefix only.
    const row = page.getByTestId('api-key-row').filter({ hasText: keyName });
    await row.waitFor({ state: 'visible' });
    expect(await row.getAttribute('data-status')).toBe('active');
    expect(await page.getByTestId('api-key-table').innerText()).not.toContain(apiKey);

    await panel.getByRole('button', { name: /I have stored it/ }).click();
    await panel.waitFor({ state: 'detached' });

    await row.getByRole('button', { name: `Revoke ${keyName}` }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('revoked');
    expect(await row.getByTestId('key-status').innerText()).toMatch(/^revoked$/i);

    // Revoked: the same request is now refused.
    await expect.poll(() => meStatusWithKey(apiKey), { timeout: 10_000, interval: 500 }).toBe(401);

    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    await page.screenshot({ path: join(RESULTS_DIR, 'accounts.png'), fullPage: true });
  });
});
