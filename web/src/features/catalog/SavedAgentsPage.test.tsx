import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cardBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const pinnedOld = {
  card: cardBody({ latest_version: 3 }),
  address: 'agora-demo/contract-reviewer',
  pinned_version: 1,
  latest_version: 3,
  newer_version_available: true,
  saved_at: '2026-03-03T10:00:00Z',
};
const gone = {
  card: null,
  address: 'someone/went-private',
  pinned_version: null,
  latest_version: null,
  newer_version_available: false,
  saved_at: '2026-03-02T10:00:00Z',
};

describe('SavedAgentsPage', () => {
  it('flags a newer version, re-pins to it or to the latest, and removes entries', async () => {
    let saved: Record<string, unknown>[] = [pinnedOld, gone];
    const calls: string[] = [];
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'GET /v1/me/saved-agents': () => jsonResponse({ saved }),
      'PUT /v1/me/saved-agents/agora-demo/contract-reviewer': async (request) => {
        const body = (await request.json()) as { pinned_version?: number };
        calls.push(`PUT ${JSON.stringify(body)}`);
        const pinned = body.pinned_version ?? null;
        const entry = { ...pinnedOld, pinned_version: pinned, newer_version_available: pinned !== null && pinned < 3 };
        saved = [entry, gone];
        return jsonResponse(entry);
      },
      'DELETE /v1/me/saved-agents/someone/went-private': () => {
        calls.push('DELETE someone/went-private');
        saved = saved.filter((entry) => entry.address !== 'someone/went-private');
        return new Response(null, { status: 204 });
      },
    });
    renderApp('/account/saved');
    const list = await screen.findByTestId('saved-list');
    const [first, second] = within(list).getAllByTestId('saved-row') as [HTMLElement, HTMLElement];
    expect(first).toHaveTextContent('Contract Reviewer');
    expect(within(first).getByTestId('newer-version')).toHaveTextContent('v3 is out; you use v1');
    expect(within(first).getByTestId('pin-select')).toHaveValue('1');
    expect(within(first).getAllByRole('option').map((option) => option.textContent)).toEqual([
      'Latest (follow updates)',
      'Pin to v3',
      'Pin to v2',
      'Pin to v1',
    ]);
    expect(second).toHaveTextContent('No longer available');

    fireEvent.click(within(first).getByTestId('pin-latest'));
    await waitFor(() => expect(within(first).queryByTestId('newer-version')).not.toBeInTheDocument());
    expect(within(first).getByTestId('pin-select')).toHaveValue('3');
    expect(calls).toEqual(['PUT {"pinned_version":3}']);

    fireEvent.change(within(first).getByTestId('pin-select'), { target: { value: '' } });
    await waitFor(() => expect(within(first).getByTestId('pin-select')).toHaveValue(''));
    expect(calls.at(-1)).toBe('PUT {}');

    fireEvent.click(within(second).getByRole('button', { name: 'Remove someone/went-private from saved agents' }));
    await waitFor(() => expect(within(list).getAllByTestId('saved-row')).toHaveLength(1));
    expect(calls.at(-1)).toBe('DELETE someone/went-private');
    // The re-pinned entry kept its place at the top.
    expect(within(list).getByTestId('saved-row')).toHaveAttribute('data-address', 'agora-demo/contract-reviewer');
  });

  it('says when nothing is saved', async () => {
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'GET /v1/me/saved-agents': () => jsonResponse({ saved: [] }),
    });
    renderApp('/account/saved');
    expect(await screen.findByTestId('no-saved')).toHaveTextContent('Nothing saved yet.');
  });
});
