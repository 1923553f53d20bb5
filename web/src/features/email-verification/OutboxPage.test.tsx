import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, unauthorized, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const SLOW = { timeout: 5000 };

function mail(id: string, token: string, sentAt: string) {
  const link = `http://127.0.0.1:8080/verify-email#token=${token}`;
  return {
    id: `0196f5a2-0000-7000-8000-0000000000${id}`,
    to: 'ada@example.com',
    subject: 'Confirm your email for Agora',
    text: `Hello Ada,\n\nConfirm your email address to get your free credits:\n${link}\n\nThe link works for 24 hours.`,
    link,
    sent_at: sentAt,
  };
}

const newest = mail('a2', 'tok-newest', '2026-03-01T11:00:00Z');
const older = mail('a1', 'tok-older', '2026-03-01T10:00:00Z');
const noLink = { ...mail('a0', 'x', '2026-03-01T09:00:00Z'), subject: 'Welcome to Agora', text: 'Hello.', link: null };

function outboxApi(outbox: () => Response) {
  const tokens: string[] = [];
  mockRoutes({
    'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
    'GET /v1/me': () => jsonResponse({ ...userBody, email_verified: tokens.length > 0 }),
    'GET /v1/me/outbox': outbox,
    'POST /v1/auth/verify-email': async (request) => {
      tokens.push(((await request.json()) as { token: string }).token);
      return jsonResponse({ email_verified: true, credits_granted: '5.00' });
    },
  });
  return { tokens };
}

describe('OutboxPage', () => {
  it('lists the caller’s mail, newest first, each with its text and a Confirm email button that confirms', async () => {
    const { tokens } = outboxApi(() => jsonResponse({ mails: [newest, older, noLink] }));
    renderApp('/outbox');
    expect(await screen.findByRole('heading', { level: 1, name: 'Dev outbox' }, SLOW)).toBeInTheDocument();
    expect(screen.getByText(/this server sends no real email/)).toHaveTextContent('AGORA_MAIL_FROM is not set');

    const mails = await screen.findAllByTestId('outbox-mail');
    expect(mails).toHaveLength(3);
    expect(within(mails[0]!).getByRole('heading', { level: 2 })).toHaveTextContent('Confirm your email for Agora');
    expect(within(mails[0]!).getByTestId('outbox-to')).toHaveTextContent('ada@example.com');
    expect(within(mails[0]!).getByRole('time')).toHaveAttribute('datetime', '2026-03-01T11:00:00Z');
    const text = within(mails[0]!).getByTestId('outbox-text');
    expect(text.tagName).toBe('PRE');
    expect(text.textContent).toContain('The link works for 24 hours.');
    // A mail without a link has no button.
    expect(within(mails[2]!).queryByRole('link', { name: 'Confirm email' })).not.toBeInTheDocument();

    // The confirmation link opens on this site, whatever host the mail names.
    const confirm = within(mails[0]!).getByRole('link', { name: 'Confirm email' });
    expect(confirm).toHaveAttribute('href', '/verify-email#token=tok-newest');
    fireEvent.click(confirm);
    expect(await screen.findByTestId('verify-success', {}, SLOW)).toHaveTextContent('Your email is confirmed.');
    expect(tokens).toEqual(['tok-newest']);
  });

  it('says so when there is no mail yet, and checks again on request', async () => {
    let mails: unknown[] = [];
    outboxApi(() => jsonResponse({ mails }));
    renderApp('/outbox');
    expect(await screen.findByText('No mail for you yet.', {}, SLOW)).toBeInTheDocument();
    mails = [newest];
    fireEvent.click(screen.getByRole('button', { name: 'Check for new mail' }));
    await waitFor(() => expect(screen.getAllByTestId('outbox-mail')).toHaveLength(1));
    expect(screen.getByText('1 message, newest first.')).toBeInTheDocument();
  });

  it('says the server sends real email when the outbox answers 404', async () => {
    outboxApi(() => problemResponse(404, 'not-found', 'Not Found', 'This server sends real email.'));
    renderApp('/outbox');
    expect(await screen.findByTestId('outbox-real-email', {}, SLOW)).toHaveTextContent('This server sends real email; check your inbox.');
    expect(screen.queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
    expect(screen.queryByTestId('outbox-mail')).not.toBeInTheDocument();
  });

  it('shows any other failure with Try again', async () => {
    let fail = true;
    outboxApi(() => (fail ? problemResponse(503, 'unavailable', 'Service Unavailable', 'Try again shortly.') : jsonResponse({ mails: [older] })));
    renderApp('/outbox');
    const alert = await screen.findByRole('alert', {}, SLOW);
    expect(alert).toHaveTextContent('Could not load the outbox: Service Unavailable: Try again shortly.');
    fail = false;
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('outbox-mail')).toHaveTextContent('Confirm your email for Agora');
  });

  it('sends signed-out visitors to sign in', async () => {
    mockRoutes({ 'POST /v1/auth/refresh': () => unauthorized() });
    const { router } = renderApp('/outbox');
    await waitFor(() => expect(router.state.location.pathname).toBe('/signin'));
    expect(router.state.location.search).toBe('?next=%2Foutbox');
  });
});
