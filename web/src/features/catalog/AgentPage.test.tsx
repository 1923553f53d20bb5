import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { agentViewBody, cardBody, categoriesBody, specBody, summaryBody, versionBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const AGENT = '/v1/agents/agora-demo/contract-reviewer';
const SAVED = '/v1/me/saved-agents/agora-demo/contract-reviewer';
const signedOut = { 'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.') };
const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
};
const versions = { versions: [versionBody(2), versionBody(1, { deprecated_at: '2026-03-02T10:00:00Z', deprecation_note: 'Use v2' })] };

function savedEntry(pinned: number | null) {
  return {
    card: cardBody(),
    address: 'agora-demo/contract-reviewer',
    pinned_version: pinned,
    latest_version: 2,
    newer_version_available: pinned !== null && pinned < 2,
    saved_at: '2026-03-03T10:00:00Z',
  };
}

/** A fake library that PUT and DELETE change, recording each call. */
function libraryApi(view = agentViewBody()) {
  let saved: ReturnType<typeof savedEntry>[] = [];
  const calls: string[] = [];
  mockRoutes({
    ...signedIn,
    'GET /v1/categories': () => jsonResponse(categoriesBody),
    [`GET ${AGENT}`]: () => jsonResponse(view),
    [`GET ${AGENT}/versions`]: () => jsonResponse(versions),
    'GET /v1/me/saved-agents': () => jsonResponse({ saved }),
    [`PUT ${SAVED}`]: async (request) => {
      const body = (await request.json()) as { pinned_version?: number };
      calls.push(`PUT ${JSON.stringify(body)}`);
      const entry = savedEntry(body.pinned_version ?? null);
      saved = [entry];
      return jsonResponse(entry);
    },
    [`DELETE ${SAVED}`]: () => {
      calls.push('DELETE');
      saved = [];
      return new Response(null, { status: 204 });
    },
  });
  return { calls };
}

describe('AgentPage', () => {
  it('shows the listing: badges, creator, Markdown, examples, inputs, model, versions and counters', async () => {
    mockRoutes({
      ...signedOut,
      'GET /v1/categories': () => jsonResponse(categoriesBody),
      [`GET ${AGENT}`]: () =>
        jsonResponse(
          agentViewBody({
            agent: summaryBody({ forked_from: { address: 'someone/original', version: 4 } }),
          }),
        ),
      [`GET ${AGENT}/versions`]: () => jsonResponse(versions),
    });
    renderApp('/agents/agora-demo/contract-reviewer');
    expect(await screen.findByTestId('agent-name')).toHaveTextContent('Contract Reviewer');
    expect(screen.getByTestId('creator-link')).toHaveAttribute('href', '/creators/agora-demo');
    expect(screen.getByTestId('badge-demo')).toBeInTheDocument();
    expect(screen.getByTestId('badge-open')).toBeInTheDocument();
    expect(screen.getByTestId('agent-price')).toHaveTextContent('0.05 credits per run');
    expect(screen.getByTestId('forked-from')).toHaveTextContent('Forked from someone/original (v4)');
    expect(within(screen.getByTestId('forked-from')).getByRole('link')).toHaveAttribute('href', '/agents/someone/original');
    // The Markdown renderer loads on demand: give its first import time on a busy machine.
    expect(await screen.findByRole('heading', { level: 3, name: 'Contract Reviewer' }, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByTestId('examples')).toHaveTextContent('Review this NDA');
    expect(screen.getByTestId('examples')).toHaveTextContent('Yes: it is unlimited.');
    expect(screen.getByTestId('inputs')).toHaveTextContent('Contract');
    expect(screen.getByTestId('fallbacks')).toHaveTextContent('gpt-4o-mini');
    expect(screen.getByTestId('prompt')).toHaveTextContent('You are a careful lawyer.');
    // No tools, no Tools section.
    expect(screen.queryByTestId('agent-tools')).not.toBeInTheDocument();
    expect(screen.getByTestId('stat-saves')).toHaveTextContent('12');
    expect(within(screen.getByTestId('stats-chart')).getAllByTestId('bar').map((bar) => bar.dataset.value)).toEqual([
      '12',
      '3',
      '120',
      '40',
    ]);
    const history = await screen.findByTestId('versions');
    const [v2, v1] = within(history).getAllByTestId('version');
    expect(v2).toHaveTextContent('Latest');
    expect(v1).toHaveTextContent('Deprecated');
    expect(v1).toHaveTextContent('Use v2');
    // Signed out: save and fork lead to sign-in, and come back here.
    expect(screen.getByRole('link', { name: 'Sign in to save' })).toHaveAttribute(
      'href',
      '/signin?next=%2Fagents%2Fagora-demo%2Fcontract-reviewer',
    );
    expect(screen.getByRole('link', { name: 'Sign in to fork' })).toBeInTheDocument();
    expect(screen.queryByTestId('edit-agent')).not.toBeInTheDocument();
  });

  it('lists the tools the agent may use, in the order it declares them, with what each does', async () => {
    const spec = specBody({
      tools: [
        { type: 'builtin', name: 'fetch_page' },
        { type: 'builtin', name: 'current_time' },
        { type: 'mcp', server: 'docs', tools: [{ name: 'search_docs', description: 'Searches <b>the</b> docs.' }] },
      ],
    });
    mockRoutes({
      ...signedOut,
      'GET /v1/categories': () => jsonResponse(categoriesBody),
      [`GET ${AGENT}`]: () => jsonResponse(agentViewBody({ latest: versionBody(2, { spec }) })),
      [`GET ${AGENT}/versions`]: () => jsonResponse(versions),
    });
    renderApp('/agents/agora-demo/contract-reviewer');
    const section = await screen.findByTestId('agent-tools');
    expect(within(section).getByRole('heading', { level: 2 })).toHaveTextContent('Tools');
    const tools = within(section).getAllByTestId('agent-tool');
    expect(tools.map((tool) => tool.dataset.tool)).toEqual(['fetch_page', 'current_time', 'docs']);
    expect(tools[0]).toHaveTextContent('Fetch web pages');
    expect(tools[0]).toHaveTextContent(
      'Reads a public web page as text (public addresses only, through Agora’s egress guard)',
    );
    expect(tools[1]).toHaveTextContent('Current time');
    expect(tools[1]).toHaveTextContent('The current date and time (UTC)');
    // A tool of the creator's MCP server, with the description its server gave, as text.
    expect(tools[2]).toHaveTextContent('MCP server “docs”');
    expect(tools[2]).toHaveTextContent('search_docs');
    expect(tools[2]).toHaveTextContent('Searches <b>the</b> docs.');
    expect(tools[2]!.querySelector('b')).toBeNull();
  });

  it('says when the prompt is sealed, and offers neither fork nor export', async () => {
    const sealed = versionBody(2, { sealed: true, spec: specBody({ licence: 'sealed', system_prompt: '' }) });
    mockRoutes({
      ...signedIn,
      'GET /v1/categories': () => jsonResponse(categoriesBody),
      'GET /v1/me/saved-agents': () => jsonResponse({ saved: [] }),
      [`GET ${AGENT}`]: () => jsonResponse(agentViewBody({ latest: sealed })),
      [`GET ${AGENT}/versions`]: () => jsonResponse({ versions: [sealed] }),
    });
    renderApp('/agents/agora-demo/contract-reviewer');
    expect(await screen.findByTestId('sealed-note')).toHaveTextContent('The prompt is sealed by its creator');
    expect(screen.getByTestId('badge-sealed')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Fork' })).toBeDisabled();
    expect(screen.queryByTestId('export-agent')).not.toBeInTheDocument();
  });

  it('saves, pins to a version, follows the latest again, and unsaves', async () => {
    const { calls } = libraryApi();
    renderApp('/agents/agora-demo/contract-reviewer');
    fireEvent.click(await screen.findByTestId('save-agent'));
    await screen.findByTestId('saved-mark');
    expect(calls).toEqual(['PUT {}']);

    const pin = await screen.findByTestId('pin-select');
    await waitFor(() => expect(within(pin).getAllByRole('option').map((option) => option.textContent)).toEqual([
      'Latest (follow updates)',
      'Pin to v2',
      'Pin to v1',
    ]));
    fireEvent.change(pin, { target: { value: '1' } });
    await waitFor(() => expect(screen.getByTestId('pin-select')).toHaveValue('1'));
    expect(calls).toEqual(['PUT {}', 'PUT {"pinned_version":1}']);
    expect(await screen.findByTestId('newer-version')).toHaveTextContent('v2 available');

    fireEvent.change(screen.getByTestId('pin-select'), { target: { value: '' } });
    await waitFor(() => expect(screen.queryByTestId('newer-version')).not.toBeInTheDocument());
    expect(calls.at(-1)).toBe('PUT {}');

    fireEvent.click(screen.getByRole('button', { name: 'Unsave' }));
    await screen.findByTestId('save-agent');
    expect(calls.at(-1)).toBe('DELETE');
  });

  it('forks into a draft and opens it in the editor', async () => {
    const fork = agentViewBody({
      agent: summaryBody({
        address: 'ada/contract-reviewer',
        handle: 'ada',
        creator_name: 'Ada Lovelace',
        status: 'draft',
        visibility: 'private',
        latest_version: null,
        is_demo: false,
        forked_from: { address: 'agora-demo/contract-reviewer', version: 2 },
      }),
      latest: null,
      draft: specBody(),
      is_owner: true,
    });
    mockRoutes({
      ...signedIn,
      'GET /v1/categories': () => jsonResponse(categoriesBody),
      'GET /v1/me/saved-agents': () => jsonResponse({ saved: [] }),
      'GET /v1/llm-models': () => jsonResponse({ models: [{ provider: 'agora', name: 'echo', max_output_tokens: 4096 }] }),
      [`GET ${AGENT}`]: () => jsonResponse(agentViewBody()),
      [`GET ${AGENT}/versions`]: () => jsonResponse(versions),
      [`POST ${AGENT}/forks`]: () => jsonResponse(fork, 201),
      'GET /v1/agents/ada/contract-reviewer': () => jsonResponse(fork),
      'GET /v1/me/agents': () => jsonResponse({ agents: [fork] }),
    });
    const page = renderApp('/agents/agora-demo/contract-reviewer');
    fireEvent.click(await screen.findByTestId('fork-agent'));
    await waitFor(() => expect(page.router.state.location.pathname).toBe('/studio/agents/ada/contract-reviewer'));
    expect(await screen.findByTestId('forked-from')).toHaveTextContent('Forked from agora-demo/contract-reviewer (v2)');
    expect(screen.getByTestId('arrival-notice')).toHaveTextContent('Forked');
  });

  it('shows a 404 for an agent one may not see', async () => {
    mockRoutes({ ...signedOut });
    renderApp('/agents/someone/private-thing');
    expect(await screen.findByTestId('agent-error')).toHaveTextContent('Agent not found');
  });
});
