import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  AGORA_URL,
  RESULTS_DIR,
  WAIT,
  captureAccessTokens,
  captureRefreshCookies,
  captureSecret,
  launchChromium,
  newGuardedContext,
  watchPage,
} from './harness.ts';

// Runs against a real `agora serve` (which loads the demo agents): the repo's test script
// starts one and sets AGORA_URL.

/** The host the XSS payloads try to reach. Nothing may ever ask it for anything. */
const ATTACKER_HOST = 'attacker.invalid';

/** A made-up word nobody else's agent has: consonant-vowel syllables from random bytes. */
function randomWord(): string {
  const consonants = 'bdfgklmnprstvz';
  const vowels = 'aeiou';
  let word = '';
  for (const byte of randomBytes(3)) word += consonants.charAt(byte % consonants.length) + vowels.charAt((byte >> 4) % vowels.length);
  return word.charAt(0).toUpperCase() + word.slice(1);
}

interface User {
  email: string;
  displayName: string;
  password: string;
}

function newUser(label: string): User {
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  return {
    email: `web-catalog-${label}-${suffix}@example.com`,
    displayName: `Catalog ${label.toUpperCase()} ${suffix}`,
    password: `pw-${randomBytes(18).toString('base64url')}`,
  };
}

describe('the marketplace in Chromium', () => {
  const word = randomWord();
  const agentName = `${word} Quill ${randomInt(1000, 10_000)}`;
  const summary = `Turns crumpled grocery receipts into a tidy monthly household budget spreadsheet (${word}).`;
  const taskDescription = 'make a household budget spreadsheet from my grocery receipts';
  const creator = newUser('a');
  const forker = newUser('b');
  let address = '';

  let browser: Browser;
  let creatorContext: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  const attackerRequests: string[] = [];
  const contexts: BrowserContext[] = [];

  /** A context that blocks (and records) every request leaving the Agora server, and notes the tokens it gets. */
  async function newContext(): Promise<BrowserContext> {
    const context = await newGuardedContext(browser, { viewport: { width: 1280, height: 900 } }, attackerRequests);
    contexts.push(context);
    context.on('page', (opened) => watch(opened));
    return context;
  }

  function watch(target: Page) {
    watchPage(target, { pageErrors, dialogs });
    target.on('request', (request) => {
      if (new URL(request.url()).hostname === ATTACKER_HOST) attackerRequests.push(request.url());
    });
    captureAccessTokens(target);
  }

  beforeAll(async () => {
    captureSecret(creator.password);
    captureSecret(forker.password);
    browser = await launchChromium();
    creatorContext = await newContext();
    page = await creatorContext.newPage();
  });

  afterAll(async () => {
    for (const context of contexts) {
      // The refresh token of each session, which only the cookie jar has seen.
      await captureRefreshCookies(context);
      await context.close().catch(() => undefined);
    }
    await browser?.close();
  });

  function screenshotOnFailure(name: string, target: () => Page | undefined = () => page) {
    onTestFailed(async () => {
      const path = join(RESULTS_DIR, `${name}-failure.png`);
      await target()
        ?.screenshot({ path, fullPage: true })
        .catch(() => undefined);
      console.error(`Screenshot of the failure: ${path}`);
    });
  }

  async function signUp(target: Page, user: User) {
    const response = await target.goto(`${AGORA_URL}/signup`, { waitUntil: 'domcontentloaded' });
    expect(response?.status()).toBe(200);
    await target.getByLabel('Email').fill(user.email);
    await target.getByLabel('Display name').fill(user.displayName);
    await target.getByLabel('Password', { exact: true }).fill(user.password);
    await target.getByRole('button', { name: 'Create account' }).click();
    await target.waitForURL(`${AGORA_URL}/account`, WAIT);
    await target.getByRole('banner').getByTestId('user-name').waitFor({ state: 'visible', ...WAIT });
  }

  /** Fills the editor's basic fields and creates the draft; answers the new agent's address. */
  async function createDraft(fields: { name: string; summary: string; description: string; tags: string[] }) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My agents' }).click();
    await page.waitForURL(`${AGORA_URL}/studio`, WAIT);
    await page.getByTestId('new-agent').click();
    await page.waitForURL(`${AGORA_URL}/studio/new`, WAIT);
    const editor = page.getByTestId('agent-editor');
    await editor.locator('[name="name"]').fill(fields.name);
    await editor.locator('[name="summary"]').fill(fields.summary);
    await editor.locator('[name="category"]').selectOption({ label: 'Productivity' });
    const tags = editor.getByTestId('tag-input').getByRole('textbox');
    for (const tag of fields.tags) {
      await tags.fill(tag);
      await tags.press('Enter');
    }
    await editor.getByRole('textbox', { name: 'Description' }).fill(fields.description);
    await editor.locator('[name="system_prompt"]').fill('You turn receipts into a budget. Group by category, total by month.');
    await editor.getByRole('button', { name: '+ Add a prompt' }).click();
    await editor.locator('[name="examples.prompts[0]"]').fill('Here are my receipts for March');
    await editor.getByRole('button', { name: '+ Add a field' }).click();
    await editor.locator('[name="inputs[0].name"]').fill('month');
    await editor.locator('[name="inputs[0].label"]').fill('Month');
    // The live preview follows the form.
    await expect.poll(() => page.getByTestId('listing-preview').innerText(), WAIT).toContain(fields.name);

    await page.getByTestId('save-draft').click();
    await page.waitForURL(/\/studio\/agents\/[^/]+\/[^/]+$/, WAIT);
    await page.getByTestId('arrival-notice').waitFor({ state: 'visible', ...WAIT });
    const [, handle, slug] = /\/studio\/agents\/([^/]+)\/([^/]+)$/.exec(new URL(page.url()).pathname) ?? [];
    expect(handle && slug, 'the editor URL names the new agent').toBeTruthy();
    return `${handle}/${slug}`;
  }

  async function publish(changelog: string) {
    await page.locator('[name="changelog"]').fill(changelog);
    await page.getByTestId('publish').click();
    await expect.poll(() => page.getByTestId('editor-saved').innerText(), WAIT).toBe('Published version 1.');
    await expect.poll(() => page.getByTestId('agent-status').innerText(), WAIT).toMatch(/published/i);
  }

  /**
   * The addresses of the result cards, in order, once the search has settled: while a new
   * query is fetched the page keeps showing the previous query's results (marked busy), and
   * those must not be taken for the new ranking.
   */
  async function resultAddresses(): Promise<string[]> {
    if ((await page.locator('section.search-results').getAttribute('aria-busy')) !== 'false') return [];
    return page
      .getByTestId('search-results')
      .getByTestId('agent-card')
      .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-address') ?? ''));
  }

  it('signs up and creates an agent in the editor, then publishes it with a changelog', async () => {
    screenshotOnFailure('catalog-create');
    await signUp(page, creator);
    address = await createDraft({
      name: agentName,
      summary,
      description: `## What it does\n\nReads your **grocery receipts** and builds a *monthly budget*.\n\n- groups spending\n- totals by month`,
      tags: ['receipts', 'budget'],
    });
    await publish('First release: receipts to budget.');
    await page.screenshot({ path: join(RESULTS_DIR, 'catalog-editor.png'), fullPage: true });
  });

  it('finds the agent by keyword, and by describing the task', async () => {
    screenshotOnFailure('catalog-search');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketplace' }).click();
    await page.getByTestId('marketplace-search').getByRole('searchbox').fill(word);
    await page.getByTestId('marketplace-search').getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/marketplace\/search\?/, WAIT);

    await page.getByTestId('search-mode').getByText('Keyword', { exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('mode'), WAIT).toBe('keyword');
    // Typo tolerance may bring near matches along, but the exact word ranks first.
    await expect.poll(async () => (await resultAddresses())[0], WAIT).toBe(address);
    expect(new URL(page.url()).searchParams.get('q')).toBe(word);

    // Describe the task instead: typed, debounced, ranked by the (offline) embeddings.
    await page.getByTestId('search-mode').getByText('Describe your task', { exact: true }).click();
    await page.getByTestId('search-input').fill(taskDescription);
    await expect.poll(() => new URL(page.url()).searchParams.get('q'), WAIT).toBe(taskDescription);
    expect(new URL(page.url()).searchParams.get('mode')).toBe('semantic');
    // First, unless agents of earlier runs against the same database share the task.
    await expect.poll(resultAddresses, WAIT).toContain(address);
    const ranked = await page
      .getByTestId('search-results')
      .getByTestId('agent-card')
      .evaluateAll((cards) => cards.map((card) => ({ address: card.getAttribute('data-address'), text: card.textContent ?? '' })));
    const before = ranked.slice(0, ranked.findIndex((card) => card.address === address));
    expect(before.filter((card) => !card.text.includes('grocery receipts into a tidy monthly household budget'))).toEqual([]);
    expect(await page.getByTestId('embedding-note').innerText()).toContain('Offline embeddings');
    await page.screenshot({ path: join(RESULTS_DIR, 'catalog-search.png'), fullPage: true });
  });

  it('opens the agent page and saves the agent, pinned to its version', async () => {
    screenshotOnFailure('catalog-agent');
    const card = page.getByTestId('search-results').locator(`[data-address="${address}"]`);
    await card.getByRole('link', { name: agentName }).click();
    await page.waitForURL(`${AGORA_URL}/agents/${address}`, WAIT);
    await expect.poll(() => page.getByTestId('agent-name').innerText(), WAIT).toBe(agentName);
    await expect.poll(() => page.getByTestId('markdown').innerText(), WAIT).toContain('grocery receipts');
    expect(await page.getByTestId('versions').innerText()).toContain('First release: receipts to budget.');

    await page.getByTestId('save-agent').click();
    await page.getByTestId('saved-mark').waitFor({ state: 'visible', ...WAIT });
    const pinned = page.waitForResponse(
      (response) => response.request().method() === 'PUT' && response.url().includes('/v1/me/saved-agents/'),
      WAIT,
    );
    await page.getByTestId('pin-select').selectOption('1');
    expect((await pinned).status()).toBe(200);
    await expect.poll(() => page.getByTestId('stat-saves').innerText(), WAIT).toBe('1');

    await page.goto(`${AGORA_URL}/account/saved`, { waitUntil: 'domcontentloaded' });
    const row = page.getByTestId('saved-row').filter({ hasText: agentName });
    await row.waitFor({ state: 'visible', ...WAIT });
    expect(await row.getByTestId('pin-select').inputValue()).toBe('1');
    await page.screenshot({ path: join(RESULTS_DIR, 'catalog-saved.png'), fullPage: true });
  });

  it('exports the definition, and imports the file back as a new draft at another address', async () => {
    screenshotOnFailure('catalog-export');
    await page.goto(`${AGORA_URL}/agents/${address}`, { waitUntil: 'domcontentloaded' });
    const downloading = page.waitForEvent('download', WAIT);
    await page.getByTestId('export-agent').click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`${address.replace('/', '-')}.agent.json`);
    const file = await download.path();
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { format: string; name: string; summary: string };
    expect(exported).toMatchObject({ format: 'agora.agent/v1', name: agentName, summary });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My agents' }).click();
    await page.waitForURL(`${AGORA_URL}/studio`, WAIT);
    await page.getByTestId('import-file').setInputFiles(file);
    // The address made from the name is this agent's own: the page asks for another.
    const retry = page.getByTestId('import-slug-form');
    await retry.waitFor({ state: 'visible', ...WAIT });
    const copySlug = `${address.split('/')[1]}-copy`;
    await retry.getByRole('textbox').fill(copySlug);
    await retry.getByRole('button', { name: 'Import' }).click();
    await page.waitForURL(new RegExp(`/studio/agents/[^/]+/${copySlug}$`), WAIT);
    expect(await page.getByTestId('arrival-notice').innerText()).toContain('Imported');
    expect(await page.locator('[name="name"]').inputValue()).toBe(agentName);
    expect(await page.getByTestId('agent-status').innerText()).toMatch(/draft/i);
  });

  it('lets another user fork it: the fork opens in the editor, forked from the original', async () => {
    const context = await newContext();
    const other = await context.newPage();
    screenshotOnFailure('catalog-fork', () => other);
    await signUp(other, forker);
    await other.goto(`${AGORA_URL}/agents/${address}`, { waitUntil: 'domcontentloaded' });
    await other.getByTestId('fork-agent').click();
    await other.waitForURL(/\/studio\/agents\/[^/]+\/[^/]+$/, WAIT);
    expect(new URL(other.url()).pathname).not.toBe(`/studio/agents/${address}`);
    await expect.poll(() => other.getByTestId('forked-from').innerText(), WAIT).toContain(`Forked from ${address}`);
    expect(await other.getByTestId('arrival-notice').innerText()).toContain('Forked');
    expect(await other.locator('[name="name"]').inputValue()).toBe(agentName);
    await other.screenshot({ path: join(RESULTS_DIR, 'catalog-fork.png'), fullPage: true });
  });

  it('renders hostile Markdown inert: no script, no handler, no javascript: link, no request out', async () => {
    screenshotOnFailure('catalog-xss');
    const payload = [
      'Try to break out:',
      '',
      `<script>alert('xss-script')</script>`,
      '',
      `<img src="http://${ATTACKER_HOST}/pixel.png" onerror="alert('xss-img')">`,
      '',
      `[click me](javascript:alert('xss-link'))`,
      '',
      `![tracker](http://${ATTACKER_HOST}/tracker.png)`,
      '',
      `<a href="javascript:alert('xss-html-link')">html link</a> and <svg onload="alert('xss-svg')"></svg>`,
      '',
      'A [fine link](https://example.com/docs) stays.',
    ].join('\n');
    await page.goto(`${AGORA_URL}/account`, { waitUntil: 'domcontentloaded' });
    const xssAddress = await createDraft({
      name: `${word} Payload ${randomInt(1000, 10_000)}`,
      summary: 'Checks that a description cannot run code in the reader’s browser.',
      description: payload,
      tags: ['security'],
    });
    await publish('Hostile description.');

    await page.goto(`${AGORA_URL}/agents/${xssAddress}`, { waitUntil: 'domcontentloaded' });
    const markdown = page.getByTestId('markdown');
    await expect.poll(() => markdown.innerText(), WAIT).toContain('click me');
    // The JavaScript link is text, not a link: clicking it does nothing.
    await markdown.getByText('click me').click();
    await page.waitForTimeout(500);

    const found = await markdown.evaluate((root) => ({
      scripts: root.querySelectorAll('script').length,
      images: root.querySelectorAll('img, svg, iframe, object, embed').length,
      handlers: Array.from(root.querySelectorAll('*')).flatMap((element) =>
        Array.from(element.attributes).filter((attribute) => attribute.name.startsWith('on')).map((a) => a.name),
      ),
      javascriptLinks: Array.from(root.querySelectorAll('a')).filter((a) => !/^(https?|mailto):/i.test(a.href)).length,
      links: Array.from(root.querySelectorAll('a')).map((a) => ({ href: a.href, rel: a.rel, target: a.target })),
    }));
    expect(found.scripts).toBe(0);
    expect(found.images).toBe(0);
    expect(found.handlers).toEqual([]);
    expect(found.javascriptLinks).toBe(0);
    // The image became a link to it, and the fine link stays, both opened safely.
    expect(found.links).toEqual([
      { href: `http://${ATTACKER_HOST}/tracker.png`, rel: 'noopener noreferrer nofollow', target: '_blank' },
      { href: 'https://example.com/docs', rel: 'noopener noreferrer nofollow', target: '_blank' },
    ]);
    expect(dialogs, 'no script ran').toEqual([]);
    expect(attackerRequests, `nothing asked ${ATTACKER_HOST} (or any host but the server) for anything`).toEqual([]);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    await page.screenshot({ path: join(RESULTS_DIR, 'catalog-xss.png'), fullPage: true });
  });
});
