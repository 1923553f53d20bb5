import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { isoDay } from '../../format/dates';
import { agentViewBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const SLOW = { timeout: 5000 };
const AGENT = '/v1/agents/agora-demo/contract-reviewer';
const today = isoDay(new Date());

const statsBody = {
  versions: [
    { version: null, runs: 3, succeeded: 3, failed: 0, distinct_users: 1, input_tokens: 300, output_tokens: 30, revenue_micros: 0 },
    { version: 2, runs: 10, succeeded: 9, failed: 1, distinct_users: 4, input_tokens: 1000, output_tokens: 120, revenue_micros: 450_000 },
  ],
  daily: [{ day: today, runs: 13, distinct_users: 5, revenue_micros: 450_000 }],
};

function statsApi(stats: () => Response) {
  mockRoutes({
    'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
    'GET /v1/me': () => jsonResponse(userBody),
    [`GET ${AGENT}`]: () => jsonResponse(agentViewBody({ is_owner: true })),
    [`GET ${AGENT}/stats`]: stats,
  });
}

describe('AgentStatsPage', () => {
  it('shows per-version runs, users and revenue, and 30 days of charts', async () => {
    statsApi(() => jsonResponse(statsBody));
    renderApp('/studio/agents/agora-demo/contract-reviewer/stats');
    const table = await screen.findByTestId('version-stats', {}, SLOW);
    const rows = within(table).getAllByTestId('version-stats-row');
    expect(rows.map((row) => row.dataset.version)).toEqual(['draft', '2']);
    expect(rows[1]).toHaveTextContent('v2');
    expect(rows[1]).toHaveTextContent('90%');
    expect(rows[1]).toHaveTextContent('0.45');
    expect(screen.getByTestId('stats-revenue-all')).toHaveTextContent('0.45 credits');
    expect(screen.getByTestId('stats-runs-30')).toHaveTextContent('13');
    expect(await screen.findByTestId('stats-title')).toHaveTextContent('Contract Reviewer');
    for (const chart of ['stats-runs-chart', 'stats-users-chart', 'stats-revenue-chart']) {
      const bars = within(screen.getByTestId(chart)).getAllByTestId('bar');
      expect(bars, chart).toHaveLength(30);
    }
    expect(within(screen.getByTestId('stats-users-chart')).getAllByTestId('bar').at(-1)).toHaveAttribute('data-value', '5');
    expect(within(screen.getByTestId('stats-revenue-chart')).getAllByTestId('bar').at(-1)).toHaveTextContent('0.45');
  });

  it('says so when the agent is not the caller’s', async () => {
    statsApi(() => problemResponse(404, 'not-found', 'Not Found', 'You have no agent at this address.'));
    renderApp('/studio/agents/agora-demo/contract-reviewer/stats');
    expect(await screen.findByTestId('stats-error', {}, SLOW)).toHaveTextContent('only its creator sees its stats');
  });
});
