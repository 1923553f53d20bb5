import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { degradedReport, jsonResponse, mockFetch, okReport } from '../../test/fixtures';
import { renderApp } from '../../test/render';

describe('StatusPage', () => {
  it('shows a loading state, then all systems operational for an ok report', async () => {
    mockFetch(() => jsonResponse(okReport));
    renderApp('/status');

    expect(screen.getByRole('heading', { level: 1, name: 'System status' })).toBeInTheDocument();
    expect(screen.getByTestId('status-loading')).toBeInTheDocument();

    const overall = await screen.findByTestId('overall-status');
    expect(overall).toHaveAttribute('data-status', 'ok');
    expect(overall).toHaveTextContent('All systems operational');
    expect(overall).toHaveTextContent('2 of 2 dependencies healthy');
    expect(screen.queryByTestId('status-loading')).not.toBeInTheDocument();

    const database = screen.getByTestId('check-database');
    expect(database).toHaveAttribute('data-status', 'ok');
    expect(within(database).getByRole('heading', { name: 'Database' })).toBeInTheDocument();
    expect(within(database).getByTestId('check-badge')).toHaveTextContent('OK');
    expect(within(database).getByText('1.7 ms')).toBeInTheDocument();
    expect(within(database).queryByTestId('check-error')).not.toBeInTheDocument();
    expect(within(screen.getByTestId('check-cache')).getByTestId('check-badge')).toHaveTextContent('OK');

    // One bar per dependency in the latency chart.
    expect(within(screen.getByTestId('latency-database')).getByText('1.7 ms')).toBeInTheDocument();
    expect(within(screen.getByTestId('latency-cache')).getByText('0.1 ms')).toBeInTheDocument();

    // The footer shows the API version from the same report.
    expect(screen.getByTestId('api-version')).toHaveTextContent('v0.1.0');
  });

  it('shows a degraded report (a 503 answer) with the failed check and its error', async () => {
    mockFetch(() => jsonResponse(degradedReport, 503));
    renderApp('/status');

    const overall = await screen.findByTestId('overall-status');
    expect(overall).toHaveAttribute('data-status', 'degraded');
    expect(overall).toHaveTextContent('Degraded');
    expect(overall).toHaveTextContent('1 of 2 dependencies failing: cache');

    const cache = screen.getByTestId('check-cache');
    expect(cache).toHaveAttribute('data-status', 'failed');
    expect(within(cache).getByTestId('check-badge')).toHaveTextContent('Failed');
    expect(within(cache).getByTestId('check-error')).toHaveTextContent('connection refused (os error 111)');
    expect(within(cache).getByText('250 ms')).toBeInTheDocument();

    const database = screen.getByTestId('check-database');
    expect(within(database).getByTestId('check-badge')).toHaveTextContent('OK');
  });

  it('shows a clear error when the API cannot be reached, and recovers on retry', async () => {
    let reachable = false;
    mockFetch(() => (reachable ? jsonResponse(okReport) : Promise.reject(new TypeError('Failed to fetch'))));
    renderApp('/status');

    const alert = await screen.findByTestId('status-error');
    expect(alert).toHaveAttribute('role', 'alert');
    expect(alert).toHaveTextContent('Cannot reach the Agora API');
    expect(screen.queryByTestId('overall-status')).not.toBeInTheDocument();

    reachable = true;
    within(alert).getByRole('button', { name: 'Try again' }).click();
    await waitFor(() => expect(screen.getByTestId('overall-status')).toHaveAttribute('data-status', 'ok'));
  });

  it('shows the problem of an error answer', async () => {
    mockFetch(() =>
      jsonResponse(
        { type: 'about:blank', title: 'Service Unavailable', status: 500, detail: 'shutting down', request_id: 'abc' },
        500,
        'application/problem+json',
      ),
    );
    renderApp('/status');

    const alert = await screen.findByTestId('status-error');
    expect(alert).toHaveTextContent('The status check failed');
    expect(alert).toHaveTextContent('Service Unavailable: shutting down');
    expect(alert).toHaveTextContent('Request ID: abc');
  });
});
