import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cardBody, categoriesBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse } from '../../test/fixtures';
import { renderApp } from '../../test/render';

describe('CreatorPage', () => {
  it('shows the profile, the totals as figures and a chart, and the agents', async () => {
    mockRoutes({
      'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.'),
      'GET /v1/categories': () => jsonResponse(categoriesBody),
      'GET /v1/creators/agora-demo': () =>
        jsonResponse({
          handle: 'agora-demo',
          display_name: 'Agora Demo',
          bio: 'Example agents that come with Agora.',
          avatar: null,
          joined_at: '2026-01-01T00:00:00Z',
          public_agents: 2,
          total_saves: 14,
          total_forks: 3,
          total_runs: 1234,
          agents: [cardBody(), cardBody({ slug: 'sql-explainer', name: 'SQL Explainer', save_count: 2 })],
        }),
    });
    renderApp('/creators/agora-demo');
    expect(await screen.findByTestId('creator-name')).toHaveTextContent('Agora Demo');
    expect(screen.getByTestId('creator-header')).toHaveTextContent('@agora-demo');
    expect(screen.getByText('Example agents that come with Agora.')).toBeInTheDocument();
    expect(screen.getByTestId('creator-totals')).toHaveTextContent('Runs1,234');
    const chart = screen.getByTestId('creator-chart');
    expect(within(chart).getAllByTestId('bar').map((bar) => [bar.dataset.label, bar.dataset.value])).toEqual([
      ['Saves', '14'],
      ['Forks', '3'],
      ['Runs', '1234'],
    ]);
    expect(within(screen.getByTestId('creator-agents-chart')).getAllByTestId('bar').map((bar) => bar.dataset.label)).toEqual([
      'Contract Reviewer',
      'SQL Explainer',
    ]);
    expect(within(screen.getByTestId('creator-agents')).getAllByTestId('agent-card')).toHaveLength(2);
  });

  it('says when nobody has the handle', async () => {
    mockRoutes({ 'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.') });
    renderApp('/creators/nobody');
    expect(await screen.findByRole('heading', { level: 1, name: 'Creator not found' })).toBeInTheDocument();
  });
});
