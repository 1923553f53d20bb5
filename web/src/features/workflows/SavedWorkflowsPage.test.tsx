import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { formatDate } from '../../format/dates';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { savedWorkflowBody, workflowSpecBody } from '../../test/workflowFixtures';

const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
};
/** The first render waits for the page's code (loaded on demand). */
const SLOW = { timeout: 5000 };

const triage = savedWorkflowBody(
  {
    address: 'grace/triage',
    owner_handle: 'grace',
    slug: 'triage',
    status: 'published',
    visibility: 'public',
    latest_version: 3,
    is_owner: false,
    run_count: 1234,
    save_count: 7,
    spec: workflowSpecBody({ name: 'Bug triage', summary: 'Sorts bug reports, then drafts replies.' }),
  },
  '2026-03-03T10:00:00Z',
);
const digest = savedWorkflowBody(
  { status: 'published', visibility: 'public', latest_version: 1, save_count: 1 },
  '2026-03-02T10:00:00Z',
);

describe('SavedWorkflowsPage', () => {
  it('lists the saved workflows, most recently saved first, and removes one', async () => {
    let saved = [triage, digest];
    const calls: string[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/me/saved-workflows': (request) => {
        calls.push(`GET ${new URL(request.url).search}`);
        return jsonResponse({ saved });
      },
      'DELETE /v1/me/saved-workflows/ada/digest': () => {
        calls.push('DELETE ada/digest');
        saved = saved.filter((entry) => entry.workflow.address !== 'ada/digest');
        return new Response(null, { status: 204 });
      },
    });
    renderApp('/account/saved-workflows');
    const list = await screen.findByTestId('saved-workflows-list', {}, SLOW);
    expect(calls).toEqual(['GET ?limit=100']);
    const rows = within(list).getAllByTestId('saved-workflow-row');
    expect(rows.map((row) => row.dataset.address)).toEqual(['grace/triage', 'ada/digest']);
    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(within(first).getByRole('link', { name: 'Bug triage' })).toHaveAttribute('href', '/workflows/grace/triage');
    expect(first).toHaveTextContent('grace/triage');
    expect(first).toHaveTextContent('Sorts bug reports, then drafts replies.');
    expect(within(first).getByTestId('saved-workflow-stats')).toHaveTextContent('v3 7 saves · 1,234 runs');
    expect(within(first).getByTestId('saved-at')).toHaveTextContent(formatDate('2026-03-03T10:00:00Z'));
    expect(within(first).getByRole('link', { name: 'Run Bug triage' })).toHaveAttribute('href', '/workflows/grace/triage?run=1');
    expect(within(second).getByTestId('saved-workflow-stats')).toHaveTextContent('v1 1 save · 0 runs');
    // The account's tabs lead here.
    const tabs = screen.getByRole('navigation', { name: 'Account' });
    expect(within(tabs).getByRole('link', { name: 'Saved workflows' })).toHaveAttribute('aria-current', 'page');
    expect(within(tabs).getByRole('link', { name: 'Saved agents' })).not.toHaveAttribute('aria-current');

    fireEvent.click(within(second).getByRole('button', { name: 'Remove Digest from saved workflows' }));
    await waitFor(() => expect(within(list).getAllByTestId('saved-workflow-row')).toHaveLength(1));
    expect(calls).toContain('DELETE ada/digest');
    expect(within(list).getByTestId('saved-workflow-row')).toHaveAttribute('data-address', 'grace/triage');
  });

  it('shows why a removal failed', async () => {
    mockRoutes({
      ...signedIn,
      'GET /v1/me/saved-workflows': () => jsonResponse({ saved: [triage] }),
      'DELETE /v1/me/saved-workflows/grace/triage': () =>
        problemResponse(404, 'not-found', 'Not Found', 'This workflow is not in your library.'),
    });
    renderApp('/account/saved-workflows');
    const row = await screen.findByTestId('saved-workflow-row', {}, SLOW);
    fireEvent.click(within(row).getByRole('button', { name: 'Remove Bug triage from saved workflows' }));
    expect(await within(row).findByRole('alert')).toHaveTextContent('This workflow is not in your library.');
  });

  it('points to the workflows when nothing is saved', async () => {
    mockRoutes({
      ...signedIn,
      'GET /v1/me/saved-workflows': () => jsonResponse({ saved: [] }),
    });
    renderApp('/account/saved-workflows');
    const empty = await screen.findByTestId('no-saved-workflows', {}, SLOW);
    expect(empty).toHaveTextContent('No saved workflows yet.');
    expect(within(empty).getByRole('link', { name: 'Browse workflows' })).toHaveAttribute('href', '/workflows');
  });

  it('sends visitors to sign in first', async () => {
    mockRoutes({
      'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.'),
    });
    const page = renderApp('/account/saved-workflows');
    await waitFor(() => expect(page.router.state.location.pathname).toBe('/signin'));
    expect(page.router.state.location.search).toBe('?next=%2Faccount%2Fsaved-workflows');
  });
});
