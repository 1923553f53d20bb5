import '../../../test/reactFlow';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../../test/fixtures';
import { renderApp } from '../../../test/render';
import { controlledSse } from '../../../test/streamFixtures';
import { RUN, runBody, stepRecordBody } from '../../../test/workflowFixtures';

const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
  'GET /v1/me/credits': () => jsonResponse({ balance: '5', held: '0', available: '5', spent_today: '0', spent_this_month: '0', limits: { daily: null, monthly: null } }),
};
/** The first render waits for the page's code (loaded on demand). */
const SLOW = { timeout: 5000 };

function node(step: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(`[data-testid="wf-node"][data-step="${step}"]`);
  if (!found) throw new Error(`no node for step ${step}`);
  return found;
}

const finished = runBody({
  status: 'succeeded',
  finished_at: '2026-03-01T10:00:05Z',
  outputs: { answer: 'A <img src=x onerror=alert(1)> polished draft' },
  hold_micros: 0,
  steps: [
    runBody().steps[0],
    stepRecordBody('polish', {
      status: 'succeeded',
      attempts: 1,
      output: { title: 'Tides', words: 120 },
      input_tokens: 40,
      output_tokens: 35,
      charged_micros: 50_020,
      creator_share_micros: 50_000,
      started_at: '2026-03-01T10:00:02Z',
      finished_at: '2026-03-01T10:00:04Z',
    }),
  ],
});

describe('the workflow run page', () => {
  it('draws each step with its status, and follows the event stream until the run ends', async () => {
    const stream = controlledSse();
    let opened = 0;
    mockRoutes({
      ...signedIn,
      [`GET /v1/workflow-runs/${RUN}`]: () => jsonResponse(runBody()),
      [`GET /v1/workflow-runs/${RUN}/events`]: (request) => {
        opened++;
        expect(request.headers.get('authorization')).toBe('Bearer access-1');
        expect(request.headers.get('accept')).toBe('text/event-stream');
        return stream.response();
      },
      'GET /v1/workflow-runs': () => jsonResponse({ runs: [], next_before: null }),
    });
    renderApp(`/workflow-runs/${RUN}`);
    expect(await screen.findByTestId('run-workflow-name', {}, SLOW)).toHaveTextContent('Digest');
    expect(screen.getByTestId('run-status')).toHaveTextContent('Running');
    await waitFor(() => expect(node('polish')).toHaveAttribute('data-status', 'running'));
    expect(node('draft')).toHaveAttribute('data-status', 'succeeded');
    expect(node('draft')).toHaveClass('wf-status-succeeded');
    expect(node('polish')).toHaveClass('wf-status-running');
    expect(within(node('polish')).getByTestId('wf-node-status')).toHaveTextContent('Running');
    // The costs so far, per step and in total.
    expect(screen.getByTestId('run-charged')).toHaveTextContent('0.05001');
    expect(screen.getByTestId('run-creators-share')).toHaveTextContent('0.05');
    const bars = within(screen.getByTestId('step-cost-chart')).getAllByTestId('bar');
    expect(bars.map((bar) => [bar.dataset.label, bar.dataset.value])).toEqual([
      ['draft', '50010'],
      ['polish', '0'],
    ]);
    expect(screen.getByTestId('cancel-run')).toBeInTheDocument();
    await waitFor(() => expect(opened).toBe(1));
    expect(screen.getByTestId('run-live')).toHaveAttribute('data-mode', 'stream');

    // A step finishes: the `run` event replaces the whole run.
    act(() => stream.send('run', finished));
    await waitFor(() => expect(node('polish')).toHaveAttribute('data-status', 'succeeded'));
    expect(screen.getByTestId('run-status')).toHaveTextContent('Succeeded');
    expect(screen.getByTestId('run-charged')).toHaveTextContent('0.10003');
    expect(screen.queryByTestId('cancel-run')).not.toBeInTheDocument();
    act(() => {
      stream.send('end', 'succeeded');
      stream.close();
    });

    // The run's outputs are inert text: no element comes from the model's answer.
    const output = within(screen.getByTestId('run-outputs')).getByTestId('run-output');
    await waitFor(() => expect(output).toHaveTextContent('A <img src=x onerror=alert(1)> polished draft'));
    expect(output.querySelector('img')).toBeNull();
    // The last step is shown first; a JSON output is shown as JSON text.
    expect(screen.getByTestId('step-details')).toHaveAttribute('data-step', 'polish');
    expect(screen.getByTestId('output-json')).toHaveTextContent('"title": "Tides"');
    // Another step, from the graph.
    fireEvent.click(within(node('draft')).getByRole('button'));
    expect(screen.getByTestId('step-details')).toHaveAttribute('data-step', 'draft');
    await waitFor(() => expect(screen.getByTestId('step-output')).toHaveTextContent('A draft about tides'));
    expect(screen.getByTestId('step-cost')).toHaveTextContent('0.05001 credits');
    expect(opened).toBe(1);
  });

  it('reads the run every 2 s when the event stream cannot be opened', async () => {
    let reads = 0;
    mockRoutes({
      ...signedIn,
      [`GET /v1/workflow-runs/${RUN}`]: () => {
        reads++;
        return jsonResponse(reads >= 2 ? finished : runBody());
      },
      [`GET /v1/workflow-runs/${RUN}/events`]: () => problemResponse(503, 'unavailable', 'Service Unavailable', 'Try later.'),
      'GET /v1/workflow-runs': () => jsonResponse({ runs: [], next_before: null }),
    });
    renderApp(`/workflow-runs/${RUN}`);
    expect(await screen.findByTestId('run-workflow-name', {}, SLOW)).toHaveTextContent('Digest');
    await waitFor(() => expect(screen.getByTestId('run-live')).toHaveAttribute('data-mode', 'poll'));
    expect(screen.getByTestId('run-live')).toHaveTextContent('Refreshing every 2 s');
    await waitFor(() => expect(screen.getByTestId('run-status')).toHaveTextContent('Succeeded'), { timeout: 4000 });
    expect(node('polish')).toHaveAttribute('data-status', 'succeeded');
  });

  it('cancels a running run, and shows why a run failed', async () => {
    const cancelled = runBody({
      status: 'cancelled',
      finished_at: '2026-03-01T10:00:03Z',
      error: { step: 'polish', kind: 'cancelled', detail: 'You cancelled the run.' },
      steps: [runBody().steps[0], stepRecordBody('polish', { status: 'cancelled' })],
    });
    const calls: string[] = [];
    const stream = controlledSse();
    mockRoutes({
      ...signedIn,
      [`GET /v1/workflow-runs/${RUN}`]: () => jsonResponse(runBody()),
      [`GET /v1/workflow-runs/${RUN}/events`]: () => stream.response(),
      [`POST /v1/workflow-runs/${RUN}/cancel`]: () => {
        calls.push('cancel');
        return jsonResponse(cancelled);
      },
      'GET /v1/workflow-runs': () => jsonResponse({ runs: [], next_before: null }),
    });
    renderApp(`/workflow-runs/${RUN}`);
    fireEvent.click(await screen.findByTestId('cancel-run', {}, SLOW));
    await waitFor(() => expect(screen.getByTestId('run-status')).toHaveTextContent('Cancelled'));
    expect(calls).toEqual(['cancel']);
    expect(node('polish')).toHaveClass('wf-status-cancelled');
    const failure = screen.getByTestId('run-failure');
    expect(failure).toHaveAttribute('data-kind', 'cancelled');
    expect(failure).toHaveTextContent('You cancelled the run.');
    expect(failure).toHaveTextContent('at step polish');
  });

  it('says when there is no such run', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    mockRoutes({
      ...signedIn,
      'GET /v1/workflow-runs/nope': () => problemResponse(404, 'not-found', 'Not Found', 'You have no run with this id.'),
    });
    renderApp('/workflow-runs/nope');
    expect(await screen.findByRole('heading', { name: 'Run not found' }, SLOW)).toBeInTheDocument();
  });
});
