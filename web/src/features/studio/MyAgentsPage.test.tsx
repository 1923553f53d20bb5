import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { agentViewBody, specBody, summaryBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const draft = agentViewBody({
  agent: summaryBody({
    id: 'draft-1',
    address: 'ada/new-idea',
    handle: 'ada',
    slug: 'new-idea',
    status: 'draft',
    visibility: 'private',
    latest_version: null,
    forked_from: { address: 'agora-demo/contract-reviewer', version: 2 },
  }),
  latest: null,
  draft: specBody({ name: 'New Idea' }),
  is_owner: true,
});
const live = agentViewBody({
  agent: summaryBody({ id: 'live-1', address: 'ada/live-one', handle: 'ada', slug: 'live-one', latest_version: 3 }),
  latest: null,
  draft: specBody({ name: 'Live One' }),
  is_owner: true,
});

describe('MyAgentsPage', () => {
  it('lists the caller’s agents with status, visibility and version', async () => {
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'GET /v1/me/agents': () => jsonResponse({ agents: [draft, live] }),
    });
    renderApp('/studio');
    const rows = await screen.findAllByTestId('my-agent-row');
    expect(rows.map((row) => row.dataset.status)).toEqual(['draft', 'published']);
    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(first).toHaveTextContent('New Idea');
    expect(first).toHaveTextContent('Private');
    expect(first).toHaveTextContent('forked from agora-demo/contract-reviewer');
    expect(within(first).queryByRole('link', { name: 'View' })).not.toBeInTheDocument();
    expect(second).toHaveTextContent('v3');
    expect(within(second).getByRole('link', { name: 'Edit' })).toHaveAttribute('href', '/studio/agents/ada/live-one');
    expect(within(second).getByRole('link', { name: 'View' })).toHaveAttribute('href', '/agents/ada/live-one');
    expect(screen.getByTestId('new-agent')).toHaveAttribute('href', '/studio/new');
  });

  it('imports a file, and names the bad fields of one the server refuses', async () => {
    const imported: unknown[] = [];
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'GET /v1/me/agents': () => jsonResponse({ agents: [] }),
      'POST /v1/agents/import': async (request) => {
        imported.push(await request.json());
        return problemResponse(422, 'validation', 'Validation failed', '1 field is invalid', [
          { field: 'definition.model.name', message: '`gpt-9` is not a openai model Agora knows' },
        ]);
      },
    });
    renderApp('/studio');
    await screen.findByTestId('no-agents');
    const input = screen.getByTestId('import-file');
    const file = (text: string) => new File([text], 'agent.json', { type: 'application/json' });

    fireEvent.change(input, { target: { files: [file('not json')] } });
    expect(await screen.findByTestId('import-error')).toHaveTextContent('This file is not JSON');
    expect(imported).toEqual([]);

    fireEvent.change(input, { target: { files: [file(JSON.stringify({ name: 'X', model: { provider: 'openai', name: 'gpt-9' } }))] } });
    await waitFor(() => expect(screen.getByTestId('import-error')).toHaveTextContent('definition.model.name'));
    expect(screen.getByTestId('import-error')).toHaveTextContent('is not a openai model');
    expect(imported).toEqual([{ name: 'X', model: { provider: 'openai', name: 'gpt-9' } }]);
  });

  it('asks for another address when the one made from the name is taken, and imports there', async () => {
    const slugs: (string | null)[] = [];
    const copy = agentViewBody({
      agent: summaryBody({ address: 'ada/copy-one', handle: 'ada', slug: 'copy-one', status: 'draft', latest_version: null }),
      latest: null,
      draft: specBody(),
      is_owner: true,
    });
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'GET /v1/me/agents': () => jsonResponse({ agents: [] }),
      'GET /v1/agents/ada/copy-one': () => jsonResponse(copy),
      'POST /v1/agents/import': (request) => {
        const slug = new URL(request.url).searchParams.get('slug');
        slugs.push(slug);
        return slug
          ? jsonResponse(copy, 201)
          : problemResponse(409, 'conflict', 'Conflict', 'You already have an agent at `contract-reviewer`; choose another slug.');
      },
    });
    const page = renderApp('/studio');
    await screen.findByTestId('no-agents');
    fireEvent.change(screen.getByTestId('import-file'), {
      target: { files: [new File([JSON.stringify(specBody())], 'agent.json', { type: 'application/json' })] },
    });
    const form = await screen.findByTestId('import-slug-form');
    expect(screen.getByTestId('import-error')).toHaveTextContent('You already have an agent at `contract-reviewer`');
    const address = within(form).getByLabelText('Import at another address:');
    fireEvent.change(address, { target: { value: 'Not A Slug' } });
    expect(within(form).getByRole('button', { name: 'Import' })).toBeDisabled();
    fireEvent.change(address, { target: { value: 'copy-one' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Import' }));
    await waitFor(() => expect(page.router.state.location.pathname).toBe('/studio/agents/ada/copy-one'));
    expect(slugs).toEqual([null, 'copy-one']);
  });
});
