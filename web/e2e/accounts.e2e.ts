import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  AGORA_URL,
  REFRESH_COOKIE,
  RESULTS_DIR,
  captureAccessTokens,
  captureRefreshCookies,
  captureSecret,
  confirmEmailFromOutbox,
  openPersistentPage,
} from './harness.ts';

// Runs against a real `agora serve`: the repo's test script starts one and sets AGORA_URL.

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

  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    captureSecret(password);
    ({ context, page, pageErrors, close: closeBrowser } = await openPersistentPage({ viewport: { width: 1280, height: 900 } }));
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: AGORA_URL });
    captureAccessTokens(page);
  });

  afterAll(async () => {
    await captureRefreshCookies(context);
    await closeBrowser?.();
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

  it('confirms the email from the dev outbox: the banner goes and the sign-up credits arrive', async () => {
    screenshotOnFailure('accounts-verify-email');
    // Until the address is confirmed, a banner asks for it on every page, and there are no credits.
    const banner = page.getByRole('region', { name: 'Email confirmation' });
    await banner.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await banner.innerText()).toContain(`Confirm your email to get your free credits. We sent a link to ${email}.`);
    await expect.poll(() => page.getByTestId('credits-chip').innerText(), { timeout: 30_000 }).toMatch(/^0(\.0+)? credits$/);

    // The local server sends no real email: the banner leads to its dev outbox.
    await banner.getByRole('link', { name: 'Open the dev outbox' }).click();
    await page.waitForURL(`${AGORA_URL}/outbox`, { timeout: 30_000 });
    const newest = page.getByTestId('outbox-mail').first();
    await newest.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await newest.getByTestId('outbox-to').innerText()).toBe(email);

    const granted = await confirmEmailFromOutbox(page);
    expect(granted).toMatch(/^5(\.0+)? credits were added to your balance\.$/);
    expect(new URL(page.url()).pathname).toBe('/verify-email');
    await page.screenshot({ path: join(RESULTS_DIR, 'accounts-verify-email.png'), fullPage: true });

    await page.getByRole('link', { name: 'See your credits' }).click();
    await page.waitForURL(`${AGORA_URL}/account/billing`, { timeout: 30_000 });
    await expect.poll(() => page.getByTestId('credits-available').innerText(), { timeout: 30_000 }).toMatch(/^5(\.0+)?$/);
    await expect.poll(() => page.getByTestId('credits-chip').innerText(), { timeout: 30_000 }).toMatch(/^5(\.0+)? credits$/);
    expect(await banner.count(), 'no banner once the address is confirmed').toBe(0);
    expect(await page.getByTestId('signup-credits-pending').count()).toBe(0);
    // The sign-up credits are in the ledger.
    await page.locator('[data-testid="ledger-row"][data-kind="signup_grant"]').waitFor({ state: 'visible', timeout: 30_000 });

    // Back where the next tests start.
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Profile' }).click();
    await page.waitForURL(`${AGORA_URL}/account`, { timeout: 30_000 });
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
