import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
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

// Runs against a real `agora serve`, which loads the demo agents and runs workflows on its
// in-process queue. The demo agents answer with the offline model `agora/echo` ("[agora/echo ·
// offline model] You said: <the message>"), so no provider is needed. The repo's test
// script starts one and sets AGORA_URL.

/** A free demo agent: a new account's credits cover any number of runs of it. */
const AGENT = 'agora-demo/sql-explainer';
const AGENT_NAME = 'SQL Explainer';
const ECHO_PREFIX = '[agora/echo · offline model] You said:';

/** A made-up word nobody else's workflow has: consonant-vowel syllables from random bytes. */
function randomWord(): string {
  const consonants = 'bdfgklmnprstvz';
  const vowels = 'aeiou';
  let word = '';
  for (const byte of randomBytes(4)) word += consonants.charAt(byte % consonants.length) + vowels.charAt((byte >> 4) % vowels.length);
  return word;
}

describe('workflows in Chromium: the visual editor, validation on the graph, a live run, the library', () => {
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const user = {
    email: `web-workflows-${suffix}@example.com`,
    displayName: `Workflows E2E ${suffix}`,
    password: `pw-${randomBytes(18).toString('base64url')}`,
  };
  const word = randomWord();
  const workflowName = `Explain and polish ${word}`;
  const slug = `flow-${word}`;
  const topic = `tide tables ${word}`;
  let address = '';
  let runPath = '';

  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let dialogs: string[];
  /** Any request leaving the Agora server. */
  let strayRequests: string[];

  beforeAll(async () => {
    captureSecret(user.password);
    ({ browser, context, page, pageErrors, dialogs, strayRequests } = await openGuardedPage({
      viewport: { width: 1440, height: 1000 },
    }));
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

  /** The graph's node of a step. */
  function node(step: string): Locator {
    return page.locator(`[data-testid="wf-node"][data-step="${step}"]`);
  }

  /** The input, select or textarea for an API field path. */
  function control(path: string): Locator {
    return page.locator(`[name="${path}"]`);
  }

  /** Adds an agent step, picks the demo agent with the picker, and names the step. */
  async function addAgentStep(index: number, id: string, prompt: string) {
    await page.getByTestId('add-agent').click();
    const form = page.getByTestId('step-form');
    await form.waitFor({ state: 'visible', ...WAIT });
    await form.getByTestId('agent-search').fill(AGENT_NAME);
    const option = form.locator(`[data-testid="agent-option"][data-address="${AGENT}"]`);
    await option.waitFor({ state: 'visible', ...WAIT });
    await option.click();
    await expect.poll(() => form.getByTestId('picked-agent').innerText(), WAIT).toBe(AGENT);
    // The latest published version is pinned.
    await expect.poll(() => form.getByTestId('agent-version').inputValue(), WAIT).toMatch(/^\d+$/);
    await control(`steps[${index}].id`).fill(id);
    await control(`steps[${index}].agent.prompt`).fill(prompt);
    await node(id).waitFor({ state: 'visible', ...WAIT });
  }

  it('signs up and opens a new workflow in the studio', async () => {
    screenshotOnFailure('workflows-signup');
    const response = await page.goto(`${AGORA_URL}/signup`, { waitUntil: 'domcontentloaded' });
    expect(response?.status()).toBe(200);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Display name').fill(user.displayName);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${AGORA_URL}/account`, WAIT);
    await page.getByRole('banner').getByTestId('user-name').waitFor({ state: 'visible', ...WAIT });
    // The run below spends credits: new accounts get theirs once the email is confirmed.
    await confirmEmailFromOutbox(page);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My agents' }).click();
    await page.waitForURL(`${AGORA_URL}/studio`, WAIT);
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'My workflows' }).click();
    await page.waitForURL(`${AGORA_URL}/studio/workflows`, WAIT);
    await page.getByTestId('no-workflows').waitFor({ state: 'visible', ...WAIT });
    await page.getByTestId('new-workflow').click();
    await page.waitForURL(`${AGORA_URL}/studio/workflows/new`, WAIT);
    await page.getByTestId('workflow-editor').waitFor({ state: 'visible', ...WAIT });
  });

  it('draws two agent steps picked from the marketplace, and shows a bad reference on its node', async () => {
    screenshotOnFailure('workflows-editor');
    await control('name').fill(workflowName);
    await control('summary').fill(`Explains a topic, then polishes the explanation (${word}).`);
    await control('slug').fill(slug);
    await page.getByRole('tab', { name: /Inputs/ }).click();
    await page.getByRole('button', { name: '+ Add an input' }).click();
    await control('inputs[0].name').fill('topic');
    await control('inputs[0].label').fill('Topic');

    await addAgentStep(0, 'draft', 'Explain {{ inputs.topic }}');
    // A typo: the second step names a step that does not exist.
    await addAgentStep(1, 'polish', 'Polish: {{ steps.drafts.output }}');
    await page.getByRole('tab', { name: /Outputs/ }).click();
    await page.getByRole('button', { name: '+ Add an output' }).click();
    await control('outputs[0].template').fill('{{ steps.polish.output }}');

    await page.getByTestId('validate').click();
    await expect.poll(() => node('polish').getAttribute('data-invalid'), WAIT).toBe('true');
    expect(await node('draft').getAttribute('data-invalid')).toBeNull();
    expect(await page.getByTestId('validation-errors').innerText()).toContain('Step polish');
    await page.screenshot({ path: join(RESULTS_DIR, 'workflows-invalid.png'), fullPage: true });

    // Its messages are in the panel once the red node is selected, and on the prompt.
    await node('polish').getByRole('button').click();
    const errors = page.getByTestId('step-errors');
    await errors.waitFor({ state: 'visible', ...WAIT });
    expect(await errors.innerText()).toContain('drafts');
    expect(await control('steps[1].agent.prompt').getAttribute('aria-invalid')).toBe('true');

    await control('steps[1].agent.prompt').fill('Polish: {{ steps.draft.output }}');
    await page.getByTestId('validate').click();
    const estimate = page.getByTestId('estimate');
    await estimate.waitFor({ state: 'visible', ...WAIT });
    expect(await estimate.getByTestId('estimate-step').count()).toBe(2);
    expect(await estimate.getByTestId('worst-case').innerText()).toMatch(/^\d+(\.\d+)?$/);
    expect(await estimate.getByTestId('agents-used').innerText()).toContain(AGENT_NAME);
    expect(await page.locator('[data-testid="wf-node"][data-invalid]').count()).toBe(0);
    // One edge: draft → polish. React Flow draws edges only once it has measured both
    // nodes, a frame or more after the prompt changed, so wait for it.
    await expect.poll(() => page.locator('.react-flow__edge').count(), WAIT).toBe(1);
  });

  it('saves the workflow and runs it: the run page follows each step to the end', async () => {
    screenshotOnFailure('workflows-run');
    await page.getByTestId('save-workflow').click();
    await page.waitForURL(new RegExp(`/studio/workflows/[^/]+/${slug}$`), WAIT);
    address = new URL(page.url()).pathname.replace('/studio/workflows/', '');
    await page.getByTestId('arrival-notice').waitFor({ state: 'visible', ...WAIT });
    await node('polish').waitFor({ state: 'visible', ...WAIT });

    await page.getByTestId('run-workflow').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible', ...WAIT });
    await dialog.getByLabel('Topic (required)').fill(topic);
    await dialog.getByRole('button', { name: 'Start the run' }).click();
    await page.waitForURL(/\/workflow-runs\/[0-9a-f-]+$/, WAIT);
    runPath = new URL(page.url()).pathname;

    const status = page.getByTestId('run-status');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    await expect.poll(() => node('draft').getAttribute('data-status'), WAIT).toBe('succeeded');
    await expect.poll(() => node('polish').getAttribute('data-status'), WAIT).toBe('succeeded');
    expect(await page.getByTestId('run-step-row').count()).toBe(2);
    // The result: the second agent echoed the first one's answer.
    const output = page.getByTestId('run-outputs');
    await expect.poll(() => output.innerText(), WAIT).toContain(`${ECHO_PREFIX} Polish: ${ECHO_PREFIX}`);
    expect(await output.innerText()).toContain(`Explain ${topic}`);
    expect(['draft', 'polish']).toContain(await page.getByTestId('step-details').getAttribute('data-step'));
    expect(await page.getByTestId('step-cost-chart').getByTestId('bar').count()).toBe(2);
    expect(await page.getByTestId('run-charged').innerText()).toMatch(/^\d+(\.\d+)?$/);
    expect(await page.getByTestId('cancel-run').count()).toBe(0);
    await page.screenshot({ path: join(RESULTS_DIR, 'workflows-run.png'), fullPage: true });
  });

  it('lists the run and the workflow, publishes it, and finds it under Workflows', async () => {
    screenshotOnFailure('workflows-lists');
    await page.getByRole('link', { name: '← Workflow runs' }).click();
    await page.waitForURL(`${AGORA_URL}/workflow-runs`, WAIT);
    const row = page.locator(`[data-testid="workflow-run-row"][data-run="${runPath.split('/').at(-1) ?? ''}"]`);
    await row.waitFor({ state: 'visible', ...WAIT });
    expect(await row.getAttribute('data-status')).toBe('succeeded');
    expect(await row.innerText()).toContain(workflowName);

    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'My workflows' }).click();
    const mine = page.locator(`[data-testid="my-workflow-row"][data-address="${address}"]`);
    await mine.waitFor({ state: 'visible', ...WAIT });
    await mine.getByRole('link', { name: `Edit ${workflowName}` }).click();
    await page.getByTestId('workflow-editor').waitFor({ state: 'visible', ...WAIT });
    await control('visibility').selectOption('public');
    await control('changelog').fill('First version');
    await page.getByTestId('publish-workflow').click();
    await expect.poll(() => page.getByTestId('editor-saved').innerText(), WAIT).toBe('Published version 1.');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
    await page.waitForURL(`${AGORA_URL}/workflows`, WAIT);
    await page.getByLabel('Search workflows').fill(word);
    await page.getByRole('button', { name: 'Search' }).click();
    const card = page.locator(`[data-testid="workflow-card"][data-address="${address}"]`);
    await card.waitFor({ state: 'visible', ...WAIT });
    // Listings name each agent by its address and pinned version (names need a lookup per agent).
    expect(await card.getByTestId('workflow-agents').innerText()).toContain(`${AGENT} v1`);
    expect(await card.getByTestId('workflow-runs').innerText()).toMatch(/^\d+ runs?$/);
    await page.screenshot({ path: join(RESULTS_DIR, 'workflows-listing.png'), fullPage: true });
  });

  it('saves the workflow from its page, and finds it under Saved workflows', async () => {
    screenshotOnFailure('workflows-saved');
    const card = page.locator(`[data-testid="workflow-card"][data-address="${address}"]`);
    await card.getByRole('link', { name: workflowName }).click();
    await page.waitForURL(`${AGORA_URL}/workflows/${address}`, WAIT);
    await expect.poll(() => page.getByTestId('workflow-name').innerText(), WAIT).toBe(workflowName);
    // Its owner may save it too; the button is enabled once the library has loaded.
    await page.getByRole('button', { name: 'Save', exact: true }).click(WAIT);
    const saved = page.getByRole('button', { name: 'Saved', exact: true });
    await expect.poll(() => saved.getAttribute('aria-pressed'), WAIT).toBe('true');
    await expect.poll(() => page.getByTestId('workflow-save-count').innerText(), WAIT).toBe('1 save');

    await page.getByRole('banner').getByTestId('user-name').click();
    await page.waitForURL(`${AGORA_URL}/account`, WAIT);
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Saved workflows' }).click();
    await page.waitForURL(`${AGORA_URL}/account/saved-workflows`, WAIT);
    const row = page.locator(`[data-testid="saved-workflow-row"][data-address="${address}"]`);
    await row.waitFor({ state: 'visible', ...WAIT });
    expect(await row.getByRole('link', { name: workflowName, exact: true }).getAttribute('href')).toBe(`/workflows/${address}`);
    // textContent: the stats are shown in small caps (text-transform), which innerText applies.
    expect(await row.getByTestId('saved-workflow-stats').textContent()).toContain('v1');
    await page.screenshot({ path: join(RESULTS_DIR, 'workflows-saved.png'), fullPage: true });

    expect(dialogs, 'no dialog opened').toEqual([]);
    expect(strayRequests, 'nothing but the server was asked for anything').toEqual([]);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});
