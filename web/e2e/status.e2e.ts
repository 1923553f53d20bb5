import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { AGORA_URL, RESULTS_DIR, openPersistentPage } from './harness.ts';

// Runs against a real `agora serve`: the repo's test script starts one and sets AGORA_URL.

describe('status page in Chromium', () => {
  let page: Page;
  let pageErrors: string[];
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ page, pageErrors, close: closeBrowser } = await openPersistentPage({ viewport: { width: 1280, height: 900 } }));
  });

  afterAll(async () => {
    await closeBrowser?.();
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
