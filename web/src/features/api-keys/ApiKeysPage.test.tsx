import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const SECRET = 'agora_sk_3xT9qZ-this-is-the-secret-part';

const activeKey = {
  id: '0196f5a2-0000-7000-8000-000000000001',
  name: 'Old laptop',
  prefix: 'agora_sk_Ab12Cd',
  status: 'active',
  created_at: '2026-01-05T09:00:00Z',
  expires_at: null,
  last_used_at: '2026-02-01T12:00:00Z',
  revoked_at: null,
};
const revokedKey = {
  ...activeKey,
  id: '0196f5a2-0000-7000-8000-000000000002',
  name: 'Leaked key',
  prefix: 'agora_sk_Zz99Yy',
  status: 'revoked',
  last_used_at: null,
  revoked_at: '2026-02-02T08:00:00Z',
};

/** A fake API with a key list that POST and DELETE change. */
function apiWithKeys() {
  let keys: Record<string, unknown>[] = [activeKey, revokedKey];
  const created: unknown[] = [];
  const revoked: string[] = [];
  const fetchMock = mockRoutes({
    'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
    'GET /v1/me': () => jsonResponse(userBody),
    'GET /v1/me/api-keys': () => jsonResponse({ api_keys: keys }),
    'POST /v1/me/api-keys': async (request) => {
      const body = (await request.json()) as { name: string; expires_at?: string };
      created.push(body);
      if (body.name === 'taken') {
        return problemResponse(422, 'validation', 'Validation failed', '1 field is invalid', [
          { field: 'name', message: 'is already used by another key' },
        ]);
      }
      const apiKey = {
        id: '0196f5a2-0000-7000-8000-000000000003',
        name: body.name,
        prefix: SECRET.slice(0, 15),
        status: 'active',
        created_at: '2026-03-01T10:00:00Z',
        expires_at: body.expires_at ?? null,
        last_used_at: null,
        revoked_at: null,
      };
      keys = [apiKey, ...keys];
      return jsonResponse({ key: SECRET, api_key: apiKey }, 201);
    },
    [`DELETE /v1/me/api-keys/${activeKey.id}`]: () => {
      revoked.push(activeKey.id);
      keys = keys.map((k) => (k.id === activeKey.id ? { ...k, status: 'revoked', revoked_at: '2026-03-01T11:00:00Z' } : k));
      return new Response(null, { status: 204 });
    },
  });
  return { fetchMock, created, revoked };
}

function createKey(name: string, expiresOn = '') {
  fireEvent.change(screen.getByLabelText('Name'), { target: { value: name } });
  if (expiresOn) fireEvent.change(screen.getByLabelText(/^Expires on/), { target: { value: expiresOn } });
  fireEvent.click(screen.getByRole('button', { name: 'Create API key' }));
}

describe('ApiKeysPage', () => {
  it('lists the keys with their prefix, status, dates and a revoke button for live ones', async () => {
    apiWithKeys();
    renderApp('/account/api-keys');
    const table = await screen.findByTestId('api-key-table');
    const rows = within(table).getAllByTestId('api-key-row');
    expect(rows).toHaveLength(2);

    const [active, revoked] = rows as [HTMLElement, HTMLElement];
    expect(within(active).getByRole('rowheader')).toHaveTextContent('Old laptop');
    expect(active).toHaveTextContent('agora_sk_Ab12Cd…');
    expect(within(active).getByTestId('key-status')).toHaveTextContent('Active');
    expect(within(active).getAllByText('Never')).toHaveLength(1); // expires
    expect(within(active).getByRole('button', { name: 'Revoke Old laptop' })).toBeInTheDocument();

    expect(within(revoked).getByTestId('key-status')).toHaveTextContent('Revoked');
    expect(revoked).toHaveAttribute('data-status', 'revoked');
    expect(within(revoked).queryByRole('button')).not.toBeInTheDocument();
  });

  it('shows a new secret once, copies it, and forgets it after leaving the page', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const { created } = apiWithKeys();
    const { router, queryClient } = renderApp('/account/api-keys');
    await screen.findByTestId('api-key-table');

    createKey('CI pipeline', '2030-12-31');

    const panel = await screen.findByTestId('new-key-panel');
    expect(within(panel).getByTestId('api-key-secret')).toHaveTextContent(SECRET);
    expect(panel).toHaveTextContent('you will not see it again');
    await waitFor(() => expect(panel).toHaveFocus());
    // The expiry is the end of the picked day, in RFC 3339.
    const body = created[0] as { name: string; expires_at: string };
    expect(body.name).toBe('CI pipeline');
    expect(new Date(body.expires_at).getDate()).toBe(31);
    expect(new Date(body.expires_at).getHours()).toBe(23);
    // The form is cleared and the new key is listed, by its prefix only.
    expect(screen.getByLabelText('Name')).toHaveValue('');
    const table = screen.getByTestId('api-key-table');
    await waitFor(() => expect(within(table).getAllByTestId('api-key-row')).toHaveLength(3));
    expect(table).not.toHaveTextContent(SECRET);

    fireEvent.click(within(panel).getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(SECRET));
    expect(await within(panel).findByTestId('copy-status')).toHaveTextContent('Copied to the clipboard.');

    // Leave for the profile tab, and come back: the secret is not shown again...
    fireEvent.click(within(screen.getByRole('navigation', { name: 'Account' })).getByRole('link', { name: 'Profile' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'));
    expect(document.body).not.toHaveTextContent(SECRET);
    fireEvent.click(within(screen.getByRole('navigation', { name: 'Account' })).getByRole('link', { name: 'API keys' }));
    await screen.findByTestId('api-key-table');
    expect(screen.queryByTestId('new-key-panel')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
    // ...and no cache keeps it: not the queries, and not the finished mutation.
    await waitFor(() => expect(JSON.stringify(queryClient.getMutationCache().getAll().map((m) => m.state))).not.toContain(SECRET));
    expect(JSON.stringify(queryClient.getQueryCache().getAll().map((q) => q.state.data))).not.toContain(SECRET);
  });

  it('hides the secret when the user says it is stored', async () => {
    apiWithKeys();
    renderApp('/account/api-keys');
    await screen.findByTestId('api-key-table');
    createKey('Deploy bot');
    const panel = await screen.findByTestId('new-key-panel');
    fireEvent.click(within(panel).getByRole('button', { name: /I have stored it/ }));
    expect(screen.queryByTestId('new-key-panel')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it('selects the secret for a manual copy when the clipboard is not available', async () => {
    vi.stubGlobal('navigator', { ...navigator, clipboard: undefined });
    apiWithKeys();
    renderApp('/account/api-keys');
    await screen.findByTestId('api-key-table');
    createKey('Deploy bot');
    const panel = await screen.findByTestId('new-key-panel');
    fireEvent.click(within(panel).getByRole('button', { name: 'Copy' }));
    expect(await within(panel).findByTestId('copy-status')).toHaveTextContent(/the key is selected, press Ctrl\+C/);
    expect(window.getSelection()?.toString()).toBe(SECRET);
  });

  it('shows a field error of the API next to the name field', async () => {
    apiWithKeys();
    renderApp('/account/api-keys');
    await screen.findByTestId('api-key-table');
    createKey('taken');
    expect(await screen.findByTestId('field-error-name')).toHaveTextContent('is already used by another key');
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('new-key-panel')).not.toBeInTheDocument();
  });

  it('revokes a key only after the confirm step, then shows it revoked', async () => {
    const { revoked } = apiWithKeys();
    renderApp('/account/api-keys');
    const table = await screen.findByTestId('api-key-table');
    const row = within(table).getAllByTestId('api-key-row')[0]!;

    fireEvent.click(within(row).getByRole('button', { name: 'Revoke Old laptop' }));
    expect(revoked).toEqual([]);
    const confirm = within(row).getByRole('group', { name: 'Confirm revoking Old laptop' });
    expect(confirm).toHaveTextContent('Programs using this key stop working.');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(row).getByRole('button', { name: 'Revoke Old laptop' })).toBeInTheDocument();
    expect(revoked).toEqual([]);

    fireEvent.click(within(row).getByRole('button', { name: 'Revoke Old laptop' }));
    fireEvent.click(within(row).getByRole('button', { name: 'Yes, revoke' }));

    await waitFor(() => expect(within(row).getByTestId('key-status')).toHaveTextContent('Revoked'));
    expect(revoked).toEqual([activeKey.id]);
    expect(row).toHaveAttribute('data-status', 'revoked');
    expect(within(row).queryByRole('button')).not.toBeInTheDocument();
  });
});
