import '../../test/reactFlow';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { RUN, runBody, stepRecordBody, workflowSpecBody, workflowViewBody } from '../../test/workflowFixtures';

const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
};
const signedOut = {
  'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.'),
};
/** The first render waits for the page's code (loaded on demand). */
const SLOW = { timeout: 5000 };

const published = workflowViewBody({
  address: 'grace/triage',
  owner_handle: 'grace',
  slug: 'triage',
  status: 'published',
  visibility: 'public',
  latest_version: 3,
  is_owner: false,
  run_count: 1234,
  fork_count: 5,
  save_count: 1,
  spec: workflowSpecBody({ name: 'Bug triage', summary: 'Sorts bug reports, then drafts replies.' }),
  agents: [
    { agent: 'agora-demo/code-reviewer', version: 2, name: 'Pull Request Reviewer', price_per_run: '0.03' },
    { agent: 'agora-demo/cold-email-writer', version: 1, name: null, price_per_run: null },
  ],
});

describe('workflow lists', () => {
  it('lists the caller’s workflows, drafts included, with links to edit and run them', async () => {
    const queries: string[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows': (request) => {
        queries.push(new URL(request.url).search);
        return jsonResponse({
          workflows: [
            workflowViewBody({ forked_from: 'grace/triage' }),
            workflowViewBody({ address: 'ada/live', slug: 'live', status: 'published', latest_version: 2, run_count: 7 }),
          ],
        });
      },
    });
    renderApp('/studio/workflows');
    const rows = await screen.findAllByTestId('my-workflow-row', {}, SLOW);
    expect(queries).toEqual(['?mine=true&limit=100']);
    expect(rows.map((row) => row.dataset.status)).toEqual(['draft', 'published']);
    const [draft, live] = rows as [HTMLElement, HTMLElement];
    expect(draft).toHaveTextContent('Digest');
    expect(draft).toHaveTextContent('forked from grace/triage');
    expect(within(draft).getByRole('link', { name: 'Edit Digest' })).toHaveAttribute('href', '/studio/workflows/ada/digest');
    expect(live).toHaveTextContent('v2');
    expect(within(live).getByRole('link', { name: 'Run Digest' })).toHaveAttribute('href', '/workflows/ada/live?run=1');
    expect(screen.getByTestId('new-workflow')).toHaveAttribute('href', '/studio/workflows/new');
    const studio = screen.getByRole('navigation', { name: 'Studio' });
    expect(within(studio).getByRole('link', { name: 'My workflows' })).toHaveAttribute('aria-current', 'page');
    expect(within(studio).getByRole('link', { name: 'Workflow runs' })).toHaveAttribute('href', '/workflow-runs');
  });

  it('lists the caller’s runs with status, workflow, cost and start, page after page', async () => {
    const befores: (string | null)[] = [];
    const failed = runBody({
      id: 'run-2',
      status: 'failed',
      error: { step: 'polish', kind: 'step-failed', detail: 'The model did not answer.' },
      steps: [runBody().steps[0], stepRecordBody('polish', { status: 'failed', charged_micros: 20 })],
    });
    mockRoutes({
      ...signedIn,
      'GET /v1/workflow-runs': (request) => {
        const before = new URL(request.url).searchParams.get('before');
        befores.push(before);
        return before
          ? jsonResponse({ runs: [runBody({ id: 'run-3', status: 'succeeded', workflow_version: 2 })], next_before: null })
          : jsonResponse({ runs: [runBody(), failed], next_before: 'run-2' });
      },
    });
    renderApp('/workflow-runs');
    const rows = await screen.findAllByTestId('workflow-run-row', {}, SLOW);
    expect(rows.map((row) => row.dataset.status)).toEqual(['running', 'failed']);
    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(within(first).getByTestId('run-status')).toHaveTextContent('Running');
    expect(within(first).getByTestId('workflow-run-cost')).toHaveTextContent('0.05001');
    expect(within(first).getAllByRole('link')[0]).toHaveAttribute('href', `/workflow-runs/${RUN}`);
    expect(within(first).getByRole('link', { name: 'Digest' })).toHaveAttribute('href', '/workflows/ada/digest');
    expect(first).toHaveTextContent('draft');
    expect(within(second).getByTestId('workflow-run-cost')).toHaveTextContent('0.05003');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('workflow-run-row')).toHaveLength(3));
    expect(befores).toEqual([null, 'run-2']);
    expect(screen.getAllByTestId('workflow-run-row')[2]).toHaveTextContent('v2');
  });

  it('lists published workflows with their agents and runs, searches them, and forks one into the editor', async () => {
    const queries: (string | null)[] = [];
    const forks: string[] = [];
    const fork = workflowViewBody({ address: 'ada/triage', slug: 'triage', forked_from: 'grace/triage', spec: published.spec });
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows': (request) => {
        queries.push(new URL(request.url).searchParams.get('q'));
        return jsonResponse({ workflows: [published] });
      },
      'POST /v1/workflows/grace/triage/fork': () => {
        forks.push('grace/triage');
        return jsonResponse(fork, 201);
      },
      'GET /v1/workflows/ada/triage': () => jsonResponse(fork),
      'GET /v1/agents/agora-demo/sql-explainer/versions': () => jsonResponse({ versions: [] }),
    });
    const page = renderApp('/workflows');
    const card = await screen.findByTestId('workflow-card', {}, SLOW);
    expect(card).toHaveAttribute('data-address', 'grace/triage');
    expect(within(card).getByRole('link', { name: 'Bug triage' })).toHaveAttribute('href', '/workflows/grace/triage');
    expect(card).toHaveTextContent('Sorts bug reports, then drafts replies.');
    expect(within(card).getByTestId('workflow-agents')).toHaveTextContent('Pull Request Reviewer v2');
    expect(within(card).getByTestId('workflow-agents')).toHaveTextContent('agora-demo/cold-email-writer v1');
    expect(within(card).getByTestId('workflow-runs')).toHaveTextContent('1,234 runs');
    expect(within(card).getByTestId('workflow-saves')).toHaveTextContent('1 save');

    fireEvent.change(screen.getByLabelText('Search workflows'), { target: { value: 'bug reports' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(page.router.state.location.search).toBe('?q=bug+reports'));
    await waitFor(() => expect(queries.at(-1)).toBe('bug reports'));

    fireEvent.click(within(await screen.findByTestId('workflow-card')).getByTestId('fork-workflow'));
    await waitFor(() => expect(page.router.state.location.pathname).toBe('/studio/workflows/ada/triage'));
    expect(await screen.findByTestId('arrival-notice', {}, SLOW)).toHaveTextContent('Forked');
    expect(forks).toEqual(['grace/triage']);
  });

  it('asks visitors to sign in to fork', async () => {
    mockRoutes({
      ...signedOut,
      'GET /v1/workflows': () => jsonResponse({ workflows: [published] }),
    });
    renderApp('/workflows');
    const card = await screen.findByTestId('workflow-card', {}, SLOW);
    await waitFor(() =>
      expect(within(card).getByRole('link', { name: /Sign in to fork/ })).toHaveAttribute('href', '/signin?next=%2Fworkflows'),
    );
  });

  it('shows a workflow’s page: its graph, agents, inputs and versions, with Run and Fork', async () => {
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/grace/triage': () => jsonResponse(published),
      'GET /v1/me/saved-workflows': () => jsonResponse({ saved: [] }),
      'GET /v1/workflows/grace/triage/versions': () =>
        jsonResponse({
          versions: [
            { version: 3, changelog: 'Shorter replies', created_at: '2026-03-03T10:00:00Z', spec: published.spec },
            { version: 2, changelog: 'Polish step', created_at: '2026-03-02T10:00:00Z', spec: published.spec },
          ],
        }),
    });
    renderApp('/workflows/grace/triage?run=1');
    expect(await screen.findByTestId('workflow-name', {}, SLOW)).toHaveTextContent('Bug triage');
    expect(document.querySelectorAll('[data-testid="wf-node"]')).toHaveLength(2);
    expect(screen.getAllByTestId('agent-used').map((item) => item.dataset.agent)).toEqual([
      'agora-demo/code-reviewer',
      'agora-demo/cold-email-writer',
    ]);
    expect(screen.getByTestId('workflow-inputs')).toHaveTextContent('topic');
    const versions = await screen.findAllByTestId('workflow-version');
    expect(versions[0]).toHaveTextContent('v3');
    expect(versions[0]).toHaveTextContent('Shorter replies');
    expect(screen.getByTestId('fork-workflow')).toBeInTheDocument();
    expect(screen.queryByTestId('edit-workflow')).not.toBeInTheDocument();
    // `?run=1` opens the run dialog: a visitor runs the latest version.
    const dialog = await screen.findByRole('dialog', { name: 'Run Bug triage' });
    expect(dialog).toHaveTextContent('Runs version 3, the latest.');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('saves a workflow to the library from its page, with its save count, and removes it again', async () => {
    let saves = 1;
    let saved: Record<string, unknown>[] = [];
    const calls: string[] = [];
    const view = () => ({ ...published, save_count: saves });
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/grace/triage': () => jsonResponse(view()),
      'GET /v1/workflows/grace/triage/versions': () => jsonResponse({ versions: [] }),
      'GET /v1/me/saved-workflows': () => jsonResponse({ saved }),
      'PUT /v1/me/saved-workflows/grace/triage': () => {
        calls.push('PUT');
        saves += 1;
        const entry = { workflow: { ...view(), agents: [] }, saved_at: '2026-03-04T10:00:00Z' };
        saved = [entry];
        return jsonResponse(entry);
      },
      'DELETE /v1/me/saved-workflows/grace/triage': () => {
        calls.push('DELETE');
        saves -= 1;
        saved = [];
        return new Response(null, { status: 204 });
      },
    });
    renderApp('/workflows/grace/triage');
    await screen.findByTestId('workflow-name', {}, SLOW);
    const toggle = await screen.findByRole('button', { name: 'Save' });
    await waitFor(() => expect(toggle).toBeEnabled());
    expect(toggle).toHaveAttribute('aria-pressed', 'false');
    expect(screen.getByTestId('workflow-save-count')).toHaveTextContent('1 save');

    fireEvent.click(toggle);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Saved' })).toHaveAttribute('aria-pressed', 'true'));
    await waitFor(() => expect(screen.getByTestId('workflow-save-count')).toHaveTextContent('2 saves'));
    expect(calls).toEqual(['PUT']);

    fireEvent.click(screen.getByRole('button', { name: 'Saved' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Save' })).toHaveAttribute('aria-pressed', 'false'));
    await waitFor(() => expect(screen.getByTestId('workflow-save-count')).toHaveTextContent('1 save'));
    expect(calls).toEqual(['PUT', 'DELETE']);
  });

  it('shows why a save failed', async () => {
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/grace/triage': () => jsonResponse(published),
      'GET /v1/workflows/grace/triage/versions': () => jsonResponse({ versions: [] }),
      'GET /v1/me/saved-workflows': () => jsonResponse({ saved: [] }),
      'PUT /v1/me/saved-workflows/grace/triage': () =>
        problemResponse(404, 'not-found', 'Not Found', 'No workflow you may see has this address.'),
    });
    renderApp('/workflows/grace/triage');
    const toggle = await screen.findByRole('button', { name: 'Save' }, SLOW);
    await waitFor(() => expect(toggle).toBeEnabled());
    fireEvent.click(toggle);
    const control = screen.getByTestId('workflow-save-control');
    expect(await within(control).findByRole('alert')).toHaveTextContent('No workflow you may see has this address.');
    expect(screen.getByRole('button', { name: 'Save' })).toHaveAttribute('aria-pressed', 'false');
  });

  it('lets the owner save a published workflow, but not a draft', async () => {
    const own = { ...published, is_owner: true, visibility: 'public' };
    const draft = workflowViewBody();
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/grace/triage': () => jsonResponse(own),
      'GET /v1/workflows/grace/triage/versions': () => jsonResponse({ versions: [] }),
      'GET /v1/workflows/ada/digest': () => jsonResponse(draft),
      'GET /v1/me/saved-workflows': () => jsonResponse({ saved: [] }),
    });
    const page = renderApp('/workflows/grace/triage');
    await screen.findByTestId('edit-workflow', {}, SLOW);
    expect(await screen.findByRole('button', { name: 'Save' })).toBeInTheDocument();
    expect(screen.queryByTestId('fork-workflow')).not.toBeInTheDocument();

    await act(() => page.router.navigate('/workflows/ada/digest'));
    await waitFor(() => expect(screen.getByTestId('workflow-name')).toHaveTextContent('Digest'));
    expect(screen.queryByTestId('workflow-save-control')).not.toBeInTheDocument();
  });

  it('asks visitors to sign in to save, and shows the save count', async () => {
    mockRoutes({
      ...signedOut,
      'GET /v1/workflows/grace/triage': () => jsonResponse({ ...published, save_count: 12 }),
      'GET /v1/workflows/grace/triage/versions': () => jsonResponse({ versions: [] }),
    });
    renderApp('/workflows/grace/triage');
    const link = await screen.findByRole('link', { name: /Sign in to save/ }, SLOW);
    expect(link).toHaveAttribute('href', '/signin?next=%2Fworkflows%2Fgrace%2Ftriage');
    expect(screen.getByTestId('workflow-save-count')).toHaveTextContent('12 saves');
    expect(screen.queryByRole('button', { name: 'Save' })).not.toBeInTheDocument();
  });
});
