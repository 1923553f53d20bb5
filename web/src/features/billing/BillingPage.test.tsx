import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { isoDay } from '../../format/dates';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody, USER_ID } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const SLOW = { timeout: 5000 };
const today = isoDay(new Date());

function creditsBody(overrides: Record<string, unknown> = {}) {
  return {
    balance: '4.89997',
    held: '0.01',
    available: '4.88997',
    daily_limit: null,
    monthly_limit: '20',
    spent_today: '0.10003',
    spent_this_month: '0.10003',
    daily: [{ day: today, spent_micros: 100_030, earned_micros: 0, runs: 2 }],
    ...overrides,
  };
}

function ledgerEntry(id: number, kind: string, amount: number, after: number) {
  return { id, kind, amount_micros: amount, balance_after_micros: after, run_id: kind === 'run_charge' ? `run-${id}` : null, note: '', created_at: '2026-03-01T10:00:00Z' };
}

function run(id: string, status: string, charged: number) {
  return {
    id,
    user_id: USER_ID,
    agent_id: 'a1',
    agent: 'agora-demo/contract-reviewer',
    agent_version: 1,
    conversation_id: null,
    source: 'api',
    status,
    credential: 'offline',
    provider: 'agora',
    model: 'echo',
    attempts: [],
    input_tokens: 77,
    output_tokens: 11,
    usage_estimated: false,
    model_cost_micros: 10,
    agent_price_micros: 50_000,
    charged_micros: charged,
    hold_micros: 50_238,
    price_table: '2026-11-01',
    cached: false,
    output: '',
    finish_reason: 'stop',
    error: null,
    ttft_ms: 39,
    latency_ms: 1_353,
    created_at: '2026-03-01T10:00:00Z',
    finished_at: '2026-03-01T10:00:01Z',
  };
}

function billingApi(user: Record<string, unknown> = userBody) {
  const limits: unknown[] = [];
  const ledgerQueries: string[] = [];
  mockRoutes({
    'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
    'GET /v1/me': () => jsonResponse(user),
    'GET /v1/me/outbox': () => jsonResponse({ mails: [] }),
    'POST /v1/me/verification-email': () => jsonResponse({ sent_to: 'ada@example.com', expires_at: '2026-03-02T10:00:00Z' }, 202),
    'GET /v1/me/credits': () => jsonResponse(creditsBody()),
    'GET /v1/me/runs': () => jsonResponse({ runs: [run('r2', 'succeeded', 50_010), run('r1', 'stopped', 37)], next_before: null }),
    'GET /v1/me/credits/ledger': (request) => {
      const before = new URL(request.url).searchParams.get('before');
      ledgerQueries.push(before ?? '');
      return before
        ? jsonResponse({ entries: [ledgerEntry(1, 'signup_grant', 5_000_000, 5_000_000)], next_before: null })
        : jsonResponse({
            entries: [ledgerEntry(3, 'run_charge', -50_010, 4_949_953), ledgerEntry(2, 'run_charge', -37, 4_999_963)],
            next_before: 2,
          });
    },
    'PUT /v1/me/credits/limits': async (request) => {
      const body = (await request.json()) as { daily: string | null; monthly: string | null };
      limits.push(body);
      if (body.daily === '1000000000') {
        return problemResponse(422, 'validation', 'Unprocessable Entity', 'Some fields are invalid', [
          { field: 'daily', message: 'must be at most 1000000 credits' },
        ]);
      }
      return jsonResponse(creditsBody({ daily_limit: body.daily, monthly_limit: body.monthly }));
    },
  });
  return { limits, ledgerQueries };
}

describe('BillingPage', () => {
  it('shows the credits, 30 days of spending, the runs with their cost and the ledger page by page', async () => {
    const { ledgerQueries } = billingApi();
    renderApp('/account/billing');
    expect(await screen.findByTestId('credits-available', {}, SLOW)).toHaveTextContent('4.88997');
    expect(screen.getByTestId('credits-held')).toHaveTextContent('0.01');
    // The header shows what is available too, and leads here.
    await waitFor(() => expect(screen.getByTestId('credits-chip')).toHaveTextContent('4.88997 credits'));
    expect(screen.getByTestId('credits-chip')).toHaveAttribute('href', '/account/billing');
    expect(screen.getByRole('link', { name: 'Usage & billing' })).toHaveAttribute('aria-current', 'page');

    const bars = within(screen.getByTestId('spend-chart')).getAllByTestId('bar');
    expect(bars).toHaveLength(30);
    expect(bars.at(-1)).toHaveAttribute('data-value', '100030');
    expect(bars.at(-1)).toHaveTextContent('0.10003');
    expect(screen.getByTestId('spend-total')).toHaveTextContent('0.10003 credits spent in the last 30 days');

    const rows = await screen.findAllByTestId('run-row');
    expect(rows.map((row) => [row.dataset.status, within(row).getByTestId('run-cost').textContent])).toEqual([
      ['succeeded', '0.05001'],
      ['stopped', '0.000037'],
    ]);
    expect(rows[0]).toHaveTextContent('1.4 s');
    expect(within(rows[0]!).getByRole('link', { name: 'agora-demo/contract-reviewer' })).toHaveAttribute(
      'href',
      '/agents/agora-demo/contract-reviewer',
    );

    const ledger = await screen.findByTestId('ledger');
    expect(within(ledger).getAllByTestId('ledger-amount').map((cell) => cell.textContent)).toEqual(['-0.05001', '-0.000037']);
    fireEvent.click(screen.getByTestId('ledger-more'));
    await waitFor(() => expect(within(ledger).getAllByTestId('ledger-row')).toHaveLength(3));
    expect(within(ledger).getAllByTestId('ledger-amount').at(-1)).toHaveTextContent('+5');
    expect(ledgerQueries).toEqual(['', '2']);
    expect(screen.queryByTestId('ledger-more')).not.toBeInTheDocument();
  });

  it('saves spending limits, checking them first and showing the API’s errors per field', async () => {
    const { limits } = billingApi();
    renderApp('/account/billing');
    const form = await screen.findByTestId('limits-form', {}, SLOW);
    const daily = within(form).getByLabelText(/Daily limit/);
    const monthly = within(form).getByLabelText(/Monthly limit/);
    expect(monthly).toHaveValue('20');

    fireEvent.change(daily, { target: { value: 'lots' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save limits' }));
    expect(await within(form).findByTestId('field-error-daily')).toHaveTextContent('Enter an amount of credits');
    expect(limits).toEqual([]);

    fireEvent.change(daily, { target: { value: '1000000000' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save limits' }));
    await waitFor(() => expect(within(form).getByTestId('field-error-daily')).toHaveTextContent('must be at most 1000000 credits'));
    expect(daily).toHaveAttribute('aria-invalid', 'true');

    fireEvent.change(daily, { target: { value: '2.5' } });
    fireEvent.change(monthly, { target: { value: '' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save limits' }));
    expect(await within(form).findByTestId('limits-saved')).toHaveTextContent('Limits saved.');
    expect(limits).toEqual([
      { daily: '1000000000', monthly: '20' },
      { daily: '2.5', monthly: null },
    ]);
    expect(within(form).queryByTestId('field-error-daily')).not.toBeInTheDocument();
  });

  it('says the sign-up credits arrive once the email is confirmed', async () => {
    billingApi();
    renderApp('/account/billing');
    expect(await screen.findByTestId('signup-credits-help', {}, SLOW)).toHaveTextContent(
      'New accounts get free sign-up credits once their email address is confirmed.',
    );
    expect(screen.queryByTestId('signup-credits-pending')).not.toBeInTheDocument();
  });

  it('tells an unconfirmed user their sign-up credits wait for the email, with a new link and the dev outbox', async () => {
    billingApi({ ...userBody, email_verified: false });
    renderApp('/account/billing');
    const pending = await screen.findByTestId('signup-credits-pending', {}, SLOW);
    expect(pending).toHaveTextContent('Your free sign-up credits arrive once you confirm your email address: follow the link we sent to ada@example.com.');
    expect(await within(pending).findByRole('link', { name: 'Open the dev outbox' })).toHaveAttribute('href', '/outbox');
    fireEvent.click(within(pending).getByRole('button', { name: 'Send a new link' }));
    expect(await within(pending).findByTestId('resend-sent')).toHaveTextContent('Sent to ada@example.com.');
  });
});
