import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const unconfirmed = { ...userBody, email_verified: false };

const mail = {
  id: '0196f5a2-0000-7000-8000-0000000000a1',
  to: 'ada@example.com',
  subject: 'Confirm your email for Agora',
  text: 'Hello Ada,\n\nConfirm your email to get your free credits:\nhttp://127.0.0.1:8080/verify-email#token=tok-newest\n',
  link: 'http://127.0.0.1:8080/verify-email#token=tok-newest',
  sent_at: '2026-03-01T10:05:00Z',
};

/** A signed-in account whose address is not confirmed; `overrides` replace routes. */
function unconfirmedApi(overrides: Record<string, (request: Request) => Response | Promise<Response>> = {}) {
  const calls: string[] = [];
  let me: Record<string, unknown> = unconfirmed;
  const fetchMock = mockRoutes({
    'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
    'GET /v1/me': () => {
      calls.push('GET /v1/me');
      return jsonResponse(me);
    },
    'GET /v1/me/outbox': () => jsonResponse({ mails: [mail] }),
    'POST /v1/me/verification-email': () => {
      calls.push('POST /v1/me/verification-email');
      return jsonResponse({ sent_to: 'ada@example.com', expires_at: '2026-03-02T10:05:00Z' }, 202);
    },
    ...overrides,
  });
  return {
    fetchMock,
    calls,
    confirm: () => {
      me = userBody;
    },
  };
}

async function findBanner() {
  return screen.findByRole('region', { name: 'Email confirmation' }, { timeout: 5000 });
}

describe('VerifyEmailBanner', () => {
  it('asks an unconfirmed user to confirm, sends a new link and leads to the dev outbox', async () => {
    const { calls } = unconfirmedApi();
    renderApp('/account');
    const banner = await findBanner();
    expect(banner).toHaveTextContent('Confirm your email to get your free credits. We sent a link to ada@example.com.');
    // The server keeps its mail in the dev outbox: the banner leads there.
    expect(await within(banner).findByRole('link', { name: 'Open the dev outbox' })).toHaveAttribute('href', '/outbox');

    fireEvent.click(within(banner).getByRole('button', { name: 'Send a new link' }));
    expect(await within(banner).findByRole('status')).toHaveTextContent('Sent to ada@example.com. The link works until');
    expect(calls.filter((call) => call.startsWith('POST'))).toEqual(['POST /v1/me/verification-email']);
  });

  it('is keyboard-usable: the button is a real button in the tab order', async () => {
    unconfirmedApi();
    renderApp('/account');
    const button = within(await findBanner()).getByRole('button', { name: 'Send a new link' });
    expect(button.tagName).toBe('BUTTON');
    expect(button).not.toHaveAttribute('tabindex', '-1');
    // Enter in a form submits it: the same as a click.
    fireEvent.submit(button.closest('form')!);
    expect(await screen.findByTestId('resend-sent')).toHaveTextContent('Sent to ada@example.com');
  });

  it('shows a 429’s message and waits out its Retry-After', async () => {
    unconfirmedApi({
      'POST /v1/me/verification-email': () =>
        problemResponse(429, 'rate-limited', 'Too Many Requests', 'At most 3 confirmation emails an hour: try again in 20 minutes.', undefined, {
          'retry-after': '1200',
        }),
    });
    renderApp('/account');
    const banner = await findBanner();
    fireEvent.click(within(banner).getByRole('button', { name: 'Send a new link' }));
    expect(await within(banner).findByRole('alert')).toHaveTextContent('At most 3 confirmation emails an hour: try again in 20 minutes.');
    expect(within(banner).getByRole('button', { name: 'Try again in 20 min' })).toBeDisabled();
  });

  it('hides the outbox link where the server sends real email, and says why a link could not be sent', async () => {
    unconfirmedApi({
      'GET /v1/me/outbox': () => problemResponse(404, 'not-found', 'Not Found', 'This server sends real email.'),
      'POST /v1/me/verification-email': () =>
        problemResponse(503, 'unavailable', 'Service Unavailable', 'This server sends no email.'),
    });
    renderApp('/account');
    const banner = await findBanner();
    fireEvent.click(within(banner).getByRole('button', { name: 'Send a new link' }));
    expect(await within(banner).findByTestId('resend-error')).toHaveTextContent('This server sends no email.');
    expect(within(banner).queryByRole('link', { name: 'Open the dev outbox' })).not.toBeInTheDocument();
  });

  it('goes away when the server says the address is confirmed already (409)', async () => {
    const api = unconfirmedApi({
      'POST /v1/me/verification-email': () => {
        api.confirm();
        return problemResponse(409, 'conflict', 'Conflict', 'Your email address is confirmed already.');
      },
    });
    renderApp('/account');
    const banner = await findBanner();
    fireEvent.click(within(banner).getByRole('button', { name: 'Send a new link' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Email confirmation' })).not.toBeInTheDocument());
    expect(api.calls.filter((call) => call === 'GET /v1/me').length).toBeGreaterThanOrEqual(2);
  });

  it('is not shown to a confirmed user', async () => {
    const api = unconfirmedApi({ 'GET /v1/me': () => jsonResponse(userBody) });
    renderApp('/account');
    expect(await screen.findByTestId('account-email', {}, { timeout: 5000 })).toHaveTextContent('ada@example.com');
    expect(screen.queryByRole('region', { name: 'Email confirmation' })).not.toBeInTheDocument();
    // Nobody asked for the outbox.
    expect(api.fetchMock.mock.calls.map(([input]) => (input instanceof Request ? new URL(input.url).pathname : ''))).not.toContain('/v1/me/outbox');
  });
});
