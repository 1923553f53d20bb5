import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, unauthorized, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const SLOW = { timeout: 5000 };
const TOKEN = 'tok_4Jm9-secret-part';

function creditsBody(available: string) {
  return {
    balance: available,
    held: '0',
    available,
    daily_limit: null,
    monthly_limit: null,
    spent_today: '0',
    spent_this_month: '0',
    daily: [],
  };
}

const invalidToken = () =>
  problemResponse(422, 'validation', 'Unprocessable Entity', '1 field is invalid', [
    { field: 'token', message: 'has expired; ask for a new link with Send a new link at the top of any page, signed in' },
  ]);

/**
 * A fake API: signed in (an account that confirms when the link is followed) or signed out,
 * and POST /v1/auth/verify-email answering `verify`.
 */
function verifyApi({ signedIn, verify }: { signedIn: boolean; verify: () => Response }) {
  const tokens: string[] = [];
  const authorizations: (string | null)[] = [];
  let confirmed = false;
  mockRoutes({
    'POST /v1/auth/refresh': () => (signedIn ? jsonResponse(sessionBody()) : unauthorized()),
    'GET /v1/me': () => jsonResponse({ ...userBody, email_verified: confirmed }),
    'GET /v1/me/credits': () => jsonResponse(creditsBody(confirmed ? '5' : '0')),
    'GET /v1/me/outbox': () => jsonResponse({ mails: [] }),
    'POST /v1/me/verification-email': () => jsonResponse({ sent_to: 'ada@example.com', expires_at: '2026-03-02T10:05:00Z' }, 202),
    'POST /v1/auth/verify-email': async (request) => {
      tokens.push(((await request.json()) as { token: string }).token);
      authorizations.push(request.headers.get('authorization'));
      const answer = verify();
      if (answer.ok) confirmed = true;
      return answer;
    },
  });
  return { tokens, authorizations };
}

const granted = (credits: string) => () => jsonResponse({ email_verified: true, credits_granted: credits });

describe('VerifyEmailPage', () => {
  it('confirms the address once (even in Strict Mode), takes the token out of the address bar and adds the credits', async () => {
    const { tokens } = verifyApi({ signedIn: true, verify: granted('5.00') });
    const { router } = renderApp(`/verify-email#token=${TOKEN}`, { strict: true });

    const success = await screen.findByTestId('verify-success', {}, SLOW);
    expect(success).toHaveTextContent('Your email is confirmed.');
    expect(screen.getByTestId('credits-granted')).toHaveTextContent('5.00 credits were added to your balance.');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Email confirmed');
    expect(screen.getByRole('link', { name: 'Browse the marketplace' })).toHaveAttribute('href', '/marketplace');
    expect(screen.getByRole('link', { name: 'See your credits' })).toHaveAttribute('href', '/account/billing');
    expect(tokens).toEqual([TOKEN]);
    // The token is gone from the address bar, and from the history entry.
    expect(router.state.location.pathname).toBe('/verify-email');
    expect(router.state.location.hash).toBe('');

    // The header's balance is read again.
    await waitFor(() => expect(screen.getByTestId('credits-chip')).toHaveTextContent('5 credits'));
    // On the other pages, no banner is left asking to confirm.
    fireEvent.click(screen.getByRole('link', { name: 'See your credits' }));
    expect(await screen.findByTestId('credits-available', {}, SLOW)).toHaveTextContent('5');
    expect(screen.queryByRole('region', { name: 'Email confirmation' })).not.toBeInTheDocument();
  });

  it('says the address is confirmed when the link is followed again, without promising credits ("0")', async () => {
    const { tokens } = verifyApi({ signedIn: true, verify: granted('0') });
    renderApp(`/verify-email#token=${TOKEN}`);
    expect(await screen.findByTestId('verify-success', {}, SLOW)).toHaveTextContent('Your email is confirmed.');
    expect(screen.queryByTestId('credits-granted')).not.toBeInTheDocument();
    expect(tokens).toEqual([TOKEN]);
  });

  it('works signed out (a link opened in another browser), with no credential sent', async () => {
    const { tokens, authorizations } = verifyApi({ signedIn: false, verify: granted('5.00') });
    renderApp(`/verify-email#token=${TOKEN}`);
    expect(await screen.findByTestId('verify-success', {}, SLOW)).toHaveTextContent('Your email is confirmed.');
    expect(screen.getByTestId('credits-granted')).toHaveTextContent('5.00 credits were added to your balance.');
    expect(tokens).toEqual([TOKEN]);
    expect(authorizations).toEqual([null]);
    expect(await within(screen.getByRole('banner')).findByRole('link', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('explains an unknown or expired link and, signed in, sends a new one', async () => {
    verifyApi({ signedIn: true, verify: invalidToken });
    renderApp(`/verify-email#token=${TOKEN}`);
    const error = await screen.findByTestId('verify-error', {}, SLOW);
    expect(error).toHaveTextContent('This link has expired; ask for a new link with Send a new link at the top of any page, signed in.');
    expect(within(error).queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('We could not confirm your email');

    fireEvent.click(await screen.findByRole('button', { name: 'Send a new link' }));
    expect(await screen.findByTestId('resend-sent')).toHaveTextContent('Sent to ada@example.com.');
  });

  it('explains an unknown or expired link and, signed out, leads to sign in', async () => {
    verifyApi({ signedIn: false, verify: invalidToken });
    renderApp(`/verify-email#token=${TOKEN}`);
    expect(await screen.findByTestId('verify-error', {}, SLOW)).toHaveTextContent('This link has expired; ask for a new link with Send a new link at the top of any page, signed in.');
    expect(await screen.findByRole('link', { name: 'Sign in to send a new link' })).toHaveAttribute(
      'href',
      '/signin?next=%2Faccount%2Fbilling',
    );
    expect(screen.queryByRole('button', { name: 'Send a new link' })).not.toBeInTheDocument();
  });

  it('offers to try again when the server could not answer', async () => {
    let answers = 0;
    const { tokens } = verifyApi({
      signedIn: false,
      verify: () => (++answers === 1 ? problemResponse(503, 'unavailable', 'Service Unavailable', 'The database is unavailable.') : granted('5.00')()),
    });
    renderApp(`/verify-email#token=${TOKEN}`);
    const error = await screen.findByTestId('verify-error', {}, SLOW);
    expect(error).toHaveTextContent('The database is unavailable.');
    fireEvent.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('verify-success')).toHaveTextContent('Your email is confirmed.');
    expect(tokens).toEqual([TOKEN, TOKEN]);
  });

  it('says what to do without a token, and sends nothing', async () => {
    const { tokens } = verifyApi({ signedIn: false, verify: granted('5.00') });
    renderApp('/verify-email');
    expect(await screen.findByTestId('verify-no-token', {}, SLOW)).toHaveTextContent('Open the link in the email we sent you again');
    expect(await screen.findByRole('link', { name: 'Sign in to send a new link' })).toBeInTheDocument();
    expect(tokens).toEqual([]);
  });
});
