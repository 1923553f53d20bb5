import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cardBody, categoriesBody, pageBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const cards = [
  cardBody({ slug: 'a-one', name: 'Alpha', save_count: 2, is_demo: false }),
  cardBody({ slug: 'b-two', name: 'Bravo', save_count: 9, is_demo: false }),
  cardBody({ slug: 'c-three', name: 'Charlie', save_count: 2, is_demo: true }),
  cardBody({ slug: 'd-four', name: 'Delta', save_count: 5, is_demo: true }),
];

function marketplaceApi() {
  const sent: string[] = [];
  mockRoutes({
    'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.'),
    'GET /v1/categories': () => jsonResponse(categoriesBody),
    'GET /v1/agents': (request) => {
      const query = new URL(request.url).searchParams;
      sent.push(query.toString());
      return jsonResponse(pageBody(query.get('sort') === 'newest' ? [...cards].reverse() : cards));
    },
  });
  return sent;
}

const names = (section: HTMLElement) => within(section).getAllByRole('heading', { level: 3 }).map((h) => h.textContent);

describe('MarketplacePage', () => {
  it('shows featured (most saved, demo first among equals), trending, newest and the categories', async () => {
    const sent = marketplaceApi();
    renderApp('/marketplace');
    const featured = screen.getByTestId('featured');
    await waitFor(() => expect(names(featured)).toEqual(['Bravo', 'Delta', 'Charlie']));
    await waitFor(() => expect(names(screen.getByTestId('trending'))).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta']));
    await waitFor(() => expect(names(screen.getByTestId('newest'))).toEqual(['Delta', 'Charlie', 'Bravo', 'Alpha']));
    expect(sent.sort()).toEqual(['sort=most_used&limit=50', 'sort=newest&limit=8', 'sort=trending&limit=8']);

    const legal = await screen.findByTestId('category-legal');
    expect(legal).toHaveTextContent('Legal');
    expect(legal).toHaveTextContent('2 agents');
    expect(legal).toHaveAttribute('href', '/marketplace/search?category=legal');
    expect(screen.getByTestId('category-productivity')).toHaveClass('is-empty');
    // Cards show the category's name, and the Demo badge where it applies.
    expect(within(featured).getAllByText('Legal')).toHaveLength(3);
    expect(within(featured).getAllByTestId('badge-demo')).toHaveLength(2);
  });

  it('sends the search box to the search page', async () => {
    marketplaceApi();
    const page = renderApp('/marketplace');
    const box = screen.getByTestId('marketplace-search');
    fireEvent.change(within(box).getByRole('searchbox'), { target: { value: ' review my contract ' } });
    fireEvent.submit(box);
    await waitFor(() => expect(page.router.state.location.pathname).toBe('/marketplace/search'));
    expect(page.router.state.location.search).toBe('?q=review%20my%20contract');
    expect(await screen.findByTestId('search-input')).toHaveValue('review my contract');
  });
});
