import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

describe('status page in Chromium', () => {
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
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
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('shows the overall status and an ok database check', async () => {
    onTestFailed(async () => {
      const path = join(RESULTS_DIR, 'status-failure.png');
      await page?.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.error(`Screenshot of the failure: ${path}`);
    });

    const response = await page.goto(`${AGORA_URL}/status`, { waitUntil: 'domcontentloaded' });
    expect(response?.status(), `GET ${AGORA_URL}/status must serve the UI (SPA fallback)`).toBe(200);

    // Either the report or the page's own error state, whichever comes first.
    const overall = page.getByTestId('overall-status');
    const apiError = page.getByTestId('status-error');
    await overall.or(apiError).first().waitFor({ state: 'visible', timeout: 30_000 });
    if (await apiError.isVisible()) {
      throw new Error(`The status page could not load /v1/health: ${await apiError.innerText()}`);
    }
    expect(['ok', 'degraded']).toContain(await overall.getAttribute('data-status'));

    const database = page.getByTestId('check-database');
    await database.waitFor({ state: 'visible' });
    expect(await database.getAttribute('data-status')).toBe('ok');
    expect(await database.getByTestId('check-badge').innerText()).toMatch(/^ok$/i);

    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    await page.screenshot({ path: join(RESULTS_DIR, 'status.png'), fullPage: true });
  });
});
