import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cardBody, categoriesBody, pageBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse } from '../../test/fixtures';
import { renderApp } from '../../test/render';

/** A fake catalog: every GET /v1/agents is recorded (its query, and its request for the abort signal). */
function catalogApi(answer: (query: URLSearchParams, request: Request) => Response | Promise<Response>) {
  const requests: { query: URLSearchParams; request: Request }[] = [];
  mockRoutes({
    'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.'),
    'GET /v1/categories': () => jsonResponse(categoriesBody),
    'GET /v1/agents': (request) => {
      const query = new URL(request.url).searchParams;
      // The search page always asks for facet counts; the rest is what varies.
      expect(query.get('facets')).toBe('true');
      query.delete('facets');
      requests.push({ query, request });
      return answer(query, request);
    },
  });
  /** The queries sent, as readable strings (`q=...&mode=...`), `facets=true` aside. */
  const sent = () => requests.map(({ query }) => query.toString());
  return { requests, sent };
}

const contract = cardBody();
const sqlExplainer = cardBody({ slug: 'sql-explainer', name: 'SQL Explainer', category: 'coding', tags: ['sql'] });

function search(page: ReturnType<typeof renderApp>) {
  return new URLSearchParams(page.router.state.location.search);
}

describe('SearchPage', () => {
  it('searches once typing pauses, cancels the stale request, and keeps the words in the URL', async () => {
    const { requests, sent } = catalogApi((query, request) => {
      // The first search with words hangs until it is cancelled.
      if (query.get('q') === 'contr') {
        return new Promise((_, reject) =>
          request.signal.addEventListener('abort', () => reject(new DOMException('The search was cancelled.', 'AbortError'))),
        );
      }
      return jsonResponse(pageBody(query.get('q') ? [contract] : [contract, sqlExplainer]));
    });
    const page = renderApp('/marketplace/search');
    await waitFor(() => expect(screen.getAllByTestId('agent-card')).toHaveLength(2));
    expect(sent()).toEqual(['']);

    const input = screen.getByTestId('search-input');
    for (const text of ['c', 'co', 'con', 'cont', 'contr']) fireEvent.change(input, { target: { value: text } });
    // One request for the pause after "contr", none for the keystrokes before it.
    await waitFor(() => expect(sent()).toEqual(['', 'q=contr&mode=hybrid']));
    expect(search(page).get('q')).toBe('contr');

    fireEvent.change(input, { target: { value: 'contract' } });
    await waitFor(() => expect(sent()).toEqual(['', 'q=contr&mode=hybrid', 'q=contract&mode=hybrid']));
    // The search nobody waits for any more was cancelled.
    expect(requests[1]?.request.signal.aborted).toBe(true);
    await waitFor(() => expect(screen.getAllByTestId('agent-card')).toHaveLength(1));
    expect(search(page).get('q')).toBe('contract');
    // Typing replaces the history entry rather than adding one per pause.
    expect(page.router.state.historyAction).toBe('REPLACE');
  });

  it('reads its state from the URL, and the mode switch changes it', async () => {
    const { sent } = catalogApi(() => jsonResponse(pageBody([contract])));
    const page = renderApp('/marketplace/search?q=risky+clauses&mode=semantic&licence=open&sort=newest');
    await screen.findByTestId('agent-card');
    expect(screen.getByTestId('search-input')).toHaveValue('risky clauses');
    expect(screen.getByRole('radio', { name: 'Describe your task' })).toBeChecked();
    expect(screen.getByTestId('search-sort')).toHaveValue('newest');
    expect(sent()).toEqual(['q=risky+clauses&mode=semantic&licence=open&sort=newest']);

    fireEvent.click(screen.getByRole('radio', { name: 'Keyword' }));
    await waitFor(() => expect(search(page).get('mode')).toBe('keyword'));
    await waitFor(() => expect(sent()).toContain('q=risky+clauses&mode=keyword&licence=open&sort=newest'));
    // Back to the semantic search with the browser's history.
    await act(() => page.router.navigate(-1));
    await waitFor(() => expect(screen.getByRole('radio', { name: 'Describe your task' })).toBeChecked());
  });

  it('shows the facet counts and filters by them', async () => {
    const { sent } = catalogApi(() => jsonResponse(pageBody([contract, sqlExplainer])));
    const page = renderApp('/marketplace/search');
    await waitFor(() => expect(screen.getAllByTestId('agent-card')).toHaveLength(2));

    const category = screen.getByTestId('facet-category');
    // Names from GET /v1/categories, counts from the listing.
    await waitFor(() => expect(within(category).getByText('Legal')).toBeInTheDocument());
    expect(within(category).getByLabelText('2 agents')).toBeInTheDocument();
    expect(within(screen.getByTestId('facet-licence')).getByText('Sealed')).toBeInTheDocument();

    fireEvent.click(screen.getByTestId('facet-category-legal'));
    await waitFor(() => expect(search(page).get('category')).toBe('legal'));
    await waitFor(() => expect(sent()).toContain('category=legal'));
    expect(screen.getByTestId('facet-category-legal')).toBeChecked();

    fireEvent.click(screen.getByTestId('facet-tags-contracts'));
    fireEvent.click(await screen.findByTestId('facet-tags-legal'));
    await waitFor(() => expect(sent()).toContain('category=legal&tags=contracts%2Clegal'));

    // Choosing the selected category again removes the filter; "Clear all" removes the rest.
    fireEvent.click(screen.getByTestId('facet-category-legal'));
    await waitFor(() => expect(search(page).get('category')).toBeNull());
    fireEvent.click(screen.getByRole('button', { name: 'Clear all' }));
    await waitFor(() => expect(page.router.state.location.search).toBe(''));
  });

  it('filters by price, refusing a range it cannot send', async () => {
    const { sent } = catalogApi(() => jsonResponse(pageBody([contract])));
    const page = renderApp('/marketplace/search');
    await screen.findByTestId('agent-card');
    fireEvent.change(screen.getByLabelText('Minimum price'), { target: { value: '1' } });
    fireEvent.change(screen.getByLabelText('Maximum price'), { target: { value: '0.5' } });
    expect(screen.getByText('The minimum is above the maximum.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Apply' })).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Minimum price'), { target: { value: '0.01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(sent()).toContain('min_price=0.01&max_price=0.5'));
    expect(search(page).get('max_price')).toBe('0.5');
  });

  it('loads more with next_cursor', async () => {
    const { sent } = catalogApi((query) =>
      jsonResponse(
        query.get('cursor') === 'page-2'
          ? { agents: [sqlExplainer], next_cursor: null }
          : pageBody([contract], { next_cursor: 'page-2' }),
      ),
    );
    renderApp('/marketplace/search?sort=newest');
    await screen.findByTestId('agent-card');
    fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => expect(screen.getAllByTestId('agent-card')).toHaveLength(2));
    expect(sent()).toEqual(['sort=newest', 'sort=newest&cursor=page-2']);
    expect(screen.queryByTestId('load-more')).not.toBeInTheDocument();
    // The facets of the first page stay.
    expect(screen.getByTestId('facet-category')).toBeInTheDocument();
  });

  it('says when semantic ranking used the offline embeddings', async () => {
    catalogApi((query) =>
      jsonResponse(pageBody([contract], { embedding_model: query.get('q') ? 'agora/offline-hash-256' : null })),
    );
    renderApp('/marketplace/search?q=review+my+contract&mode=semantic');
    const note = await screen.findByTestId('embedding-note');
    expect(note).toHaveTextContent('Offline embeddings');
    expect(note).toHaveTextContent('approximate');
  });

  it('names a real embedding model without the offline warning', async () => {
    catalogApi(() => jsonResponse(pageBody([contract], { embedding_model: 'openai/text-embedding-3-small' })));
    renderApp('/marketplace/search?q=review');
    const note = await screen.findByTestId('embedding-note');
    expect(note).toHaveTextContent('Ranked by meaning with openai/text-embedding-3-small');
    expect(note).not.toHaveTextContent('Offline');
  });

  it('has an empty state that offers to clear the filters', async () => {
    catalogApi((query) => jsonResponse(pageBody(query.get('category') ? [] : [contract])));
    const page = renderApp('/marketplace/search?category=fun');
    expect(await screen.findByTestId('search-empty')).toHaveTextContent('No agents match');
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(page.router.state.location.search).toBe(''));
    await screen.findByTestId('agent-card');
  });

  it('shows what the API said about a bad filter', async () => {
    catalogApi(() =>
      problemResponse(422, 'validation', 'Validation failed', '1 field is invalid', [
        { field: 'provider', message: 'is not a provider' },
      ]),
    );
    renderApp('/marketplace/search?provider=nobody');
    const error = await screen.findByTestId('search-error');
    expect(error).toHaveTextContent('Could not search: Validation failed');
    expect(error).toHaveTextContent('provider is not a provider');
    expect(within(error).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
