import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const SLOW = { timeout: 5000 };

function credential(id: string, name: string, provider: string, extra: Record<string, unknown> = {}) {
  return { id, name, provider, base_url: null, key_last_four: '1234', created_at: '2026-03-01T10:00:00Z', ...extra };
}

function keysApi() {
  let keys = [credential('k1', 'my-vllm', 'openai_compatible', { base_url: 'https://llm.example.com/v1', key_last_four: '' })];
  const created: unknown[] = [];
  const deleted: string[] = [];
  mockRoutes({
    'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
    'GET /v1/me': () => jsonResponse(userBody),
    'GET /v1/me/provider-keys': () => jsonResponse({ provider_keys: keys }),
    'POST /v1/me/provider-keys': async (request) => {
      const body = (await request.json()) as { name: string; provider: string; api_key?: string; base_url?: string };
      created.push(body);
      const host = body.base_url ? new URL(body.base_url).hostname : '';
      if (host === '169.254.169.254' || host === '10.0.0.7') {
        return problemResponse(422, 'validation', 'Unprocessable Entity', 'Some fields are invalid', [
          { field: 'base_url', message: `${host} is not a public address` },
        ]);
      }
      const saved = credential(`k${keys.length + 1}`, body.name, body.provider, {
        key_last_four: body.api_key?.slice(-4) ?? '',
        base_url: body.base_url ?? null,
      });
      keys = [saved, ...keys];
      return jsonResponse(saved, 201);
    },
    'DELETE /v1/me/provider-keys/k1': () => {
      deleted.push('k1');
      keys = keys.filter((key) => key.id !== 'k1');
      return new Response(null, { status: 204 });
    },
  });
  return { created, deleted };
}

describe('ProviderKeysPage', () => {
  it('lists the keys by name, provider, last four and base URL', async () => {
    keysApi();
    renderApp('/account/provider-keys');
    const row = await screen.findByTestId('provider-key-row', {}, SLOW);
    expect(row).toHaveTextContent('my-vllm');
    expect(row).toHaveTextContent('OpenAI-compatible endpoint');
    expect(row).toHaveTextContent('No key');
    expect(row).toHaveTextContent('https://llm.example.com/v1');
  });

  it('adds a key: checks the form, shows the API’s field errors, never shows the key again', async () => {
    const { created } = keysApi();
    renderApp('/account/provider-keys');
    const form = await screen.findByTestId('provider-key-form', {}, SLOW);
    // The base URL is only asked for an OpenAI-compatible endpoint.
    expect(within(form).queryByLabelText('Base URL')).not.toBeInTheDocument();
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'My Key' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add provider key' }));
    expect(await within(form).findByTestId('field-error-name')).toHaveTextContent('lower-case letters');
    expect(within(form).getByTestId('field-error-api_key')).toHaveTextContent('Paste the API key');
    expect(created).toEqual([]);

    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'metadata' } });
    fireEvent.change(within(form).getByLabelText('Provider'), { target: { value: 'openai_compatible' } });
    fireEvent.change(within(form).getByLabelText('Base URL'), { target: { value: 'http://169.254.169.254/v1' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add provider key' }));
    expect(await within(form).findByTestId('field-error-base_url')).toHaveTextContent('169.254.169.254 is not a public address');
    expect(within(form).getByLabelText('Base URL')).toHaveAttribute('aria-invalid', 'true');
    expect(within(form).getByLabelText('Base URL')).toHaveFocus();

    fireEvent.change(within(form).getByLabelText('Provider'), { target: { value: 'anthropic' } });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'claude' } });
    fireEvent.change(within(form).getByLabelText('API key'), { target: { value: 'sk-ant-secret-9876' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add provider key' }));
    expect(await within(form).findByTestId('provider-key-added')).toHaveTextContent('Saved “claude”');
    expect(created.at(-1)).toEqual({ name: 'claude', provider: 'anthropic', api_key: 'sk-ant-secret-9876' });
    expect(within(form).getByLabelText('API key')).toHaveValue('');
    const rows = await screen.findAllByTestId('provider-key-row');
    expect(rows[0]).toHaveTextContent('…9876');
    expect(document.body.textContent).not.toContain('sk-ant-secret-9876');
  });

  it('saves an MCP server: its URL is required, its token optional, the server’s refusal on the URL field', async () => {
    const { created } = keysApi();
    renderApp('/account/provider-keys');
    const form = await screen.findByTestId('provider-key-form', {}, SLOW);
    const provider = within(form).getByLabelText('Provider');
    expect(within(provider).getByRole('option', { name: 'MCP server' })).toHaveValue('mcp_server');
    fireEvent.change(provider, { target: { value: 'mcp_server' } });
    const url = within(form).getByLabelText('Server URL');
    expect(url).toHaveAttribute('placeholder', 'https://mcp.example.com/mcp');
    expect(url).toHaveAccessibleDescription(/Streamable HTTP endpoint/);
    expect(within(form).getByLabelText(/API key/)).toHaveAccessibleDescription(/Sent to this server only, as a bearer token/);
    expect(within(form).getByText('(optional)')).toBeInTheDocument();

    // Checked here first: the URL is required, the token is not.
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'calc' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add provider key' }));
    expect(await within(form).findByTestId('field-error-base_url')).toHaveTextContent('Enter the server’s URL');
    expect(within(form).queryByTestId('field-error-api_key')).not.toBeInTheDocument();
    expect(created).toEqual([]);

    // The server refuses a private address: its message is on the URL field, which takes the focus.
    fireEvent.change(url, { target: { value: 'http://10.0.0.7/mcp' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add provider key' }));
    expect(await within(form).findByTestId('field-error-base_url')).toHaveTextContent('10.0.0.7 is not a public address');
    expect(url).toHaveAttribute('aria-invalid', 'true');
    await waitFor(() => expect(url).toHaveFocus());
    expect(created).toEqual([{ name: 'calc', provider: 'mcp_server', base_url: 'http://10.0.0.7/mcp' }]);

    // With a token: sent once, never shown again.
    fireEvent.change(url, { target: { value: ' https://mcp.example.com/mcp ' } });
    fireEvent.change(within(form).getByLabelText(/API key/), { target: { value: 'mcp-token-5678' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add provider key' }));
    expect(await within(form).findByTestId('provider-key-added')).toHaveTextContent('Saved “calc”');
    expect(created.at(-1)).toEqual({
      name: 'calc',
      provider: 'mcp_server',
      api_key: 'mcp-token-5678',
      base_url: 'https://mcp.example.com/mcp',
    });
    expect(within(form).queryByTestId('field-error-base_url')).not.toBeInTheDocument();
    const row = (await screen.findAllByTestId('provider-key-row')).find((item) => item.dataset.name === 'calc');
    expect(row).toHaveTextContent('MCP server');
    expect(row).toHaveTextContent('…5678');
    expect(row).toHaveTextContent('https://mcp.example.com/mcp');
    expect(document.body.textContent).not.toContain('mcp-token-5678');
  });

  it('deletes a key after a confirm step', async () => {
    const { deleted } = keysApi();
    renderApp('/account/provider-keys');
    const row = await screen.findByTestId('provider-key-row', {}, SLOW);
    fireEvent.click(within(row).getByRole('button', { name: 'Delete my-vllm' }));
    expect(deleted).toEqual([]);
    fireEvent.click(within(row).getByRole('button', { name: 'Yes, delete' }));
    expect(await screen.findByTestId('no-provider-keys')).toBeInTheDocument();
    await waitFor(() => expect(deleted).toEqual(['k1']));
  });
});
