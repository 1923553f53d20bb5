import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, unauthorized, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

function signInWith(email: string, password: string) {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

const signedOutRoutes = {
  'POST /v1/auth/refresh': unauthorized,
  'GET /v1/me': () => jsonResponse(userBody),
  'GET /v1/me/api-keys': () => jsonResponse({ api_keys: [] }),
};

describe('guarded account routes', () => {
  it('send a signed-out visitor to /signin?next=<path>, and back there after signing in', async () => {
    const fetchMock = mockRoutes({
      ...signedOutRoutes,
      'POST /v1/auth/login': () => jsonResponse(sessionBody()),
    });
    const { router } = renderApp('/account/api-keys');
    // While the start-up refresh is under way the guard waits rather than redirecting.
    expect(screen.getByTestId('session-loading')).toBeInTheDocument();

    await waitFor(() => expect(router.state.location.pathname).toBe('/signin'));
    expect(router.state.location.search).toBe('?next=%2Faccount%2Fapi-keys');
    // No account data was asked for while signed out.
    const paths = fetchMock.mock.calls.map(([r]) => new URL((r as Request).url).pathname);
    expect(paths).not.toContain('/v1/me/api-keys');

    await screen.findByRole('heading', { level: 1, name: 'Sign in to Agora' });
    signInWith('ada@example.com', 'a long enough password');
    await waitFor(() => expect(router.state.location.pathname).toBe('/account/api-keys'));
    expect(await screen.findByRole('heading', { level: 2, name: 'Your API keys' })).toBeInTheDocument();
  });

  it('render for a session restored by the silent refresh', async () => {
    mockRoutes({ ...signedOutRoutes, 'POST /v1/auth/refresh': () => jsonResponse(sessionBody()) });
    const { router } = renderApp('/account');
    expect(await screen.findByRole('heading', { level: 1, name: 'Your account' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/account');
    expect(await screen.findByTestId('account-email')).toHaveTextContent('ada@example.com');
  });
});

describe('SignInPage', () => {
  it('goes to /account by default, and ignores a next that leaves the site', async () => {
    mockRoutes({ ...signedOutRoutes, 'POST /v1/auth/login': () => jsonResponse(sessionBody()) });
    const { router } = renderApp('/signin?next=%2F%2Fevil.example%2Fphish');
    await screen.findByRole('heading', { level: 1, name: 'Sign in to Agora' });
    signInWith('ada@example.com', 'a long enough password');
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'));
  });

  it('shows the detail of a 401 for wrong credentials', async () => {
    mockRoutes({
      ...signedOutRoutes,
      'POST /v1/auth/login': () =>
        problemResponse(
          401,
          'invalid-credentials',
          'Invalid credentials',
          'The email or password is wrong. Check both, or register if you have no account.',
        ),
    });
    const { router } = renderApp('/signin');
    await screen.findByRole('heading', { level: 1, name: 'Sign in to Agora' });
    signInWith('ada@example.com', 'not my password');

    expect(await screen.findByTestId('form-error')).toHaveTextContent(
      'Invalid credentials: The email or password is wrong. Check both, or register if you have no account.',
    );
    expect(router.state.location.pathname).toBe('/signin');
    expect(within(screen.getByRole('banner')).getByRole('link', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('shows a 429 with the Retry-After wait, and keeps the button disabled for it', async () => {
    mockRoutes({
      ...signedOutRoutes,
      'POST /v1/auth/login': () =>
        problemResponse(
          429,
          'rate-limited',
          'Too Many Requests',
          'Too many failed sign-ins. Retry after 30 seconds.',
          undefined,
          { 'retry-after': '30' },
        ),
    });
    renderApp('/signin');
    await screen.findByRole('heading', { level: 1, name: 'Sign in to Agora' });
    signInWith('ada@example.com', 'not my password');

    expect(await screen.findByTestId('form-error')).toHaveTextContent('Retry after 30 seconds.');
    const button = screen.getByRole('button', { name: 'Try again in 30 s' });
    expect(button).toBeDisabled();
  });

  it('asks for both fields before sending', async () => {
    const fetchMock = mockRoutes(signedOutRoutes);
    renderApp('/signin');
    await screen.findByRole('heading', { level: 1, name: 'Sign in to Agora' });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByTestId('field-error-email')).toHaveTextContent('Enter your email address.');
    expect(screen.getByTestId('field-error-password')).toHaveTextContent('Enter your password.');
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    const paths = fetchMock.mock.calls.map(([r]) => new URL((r as Request).url).pathname);
    expect(paths).not.toContain('/v1/auth/login');
  });
});

describe('header', () => {
  it('offers Sign in and Sign up when signed out, returning to the current page', async () => {
    mockRoutes(signedOutRoutes);
    renderApp('/status');
    const header = screen.getByRole('banner');
    expect(await within(header).findByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/signin?next=%2Fstatus');
    expect(within(header).getByRole('link', { name: 'Sign up' })).toHaveAttribute('href', '/signup?next=%2Fstatus');
  });

  it('shows the name and signs out: POST /v1/auth/logout, then the account pages send to sign-in', async () => {
    let loggedOut = false;
    mockRoutes({
      ...signedOutRoutes,
      'POST /v1/auth/refresh': () => (loggedOut ? unauthorized() : jsonResponse(sessionBody())),
      'POST /v1/auth/logout': () => {
        loggedOut = true;
        return new Response(null, { status: 204 });
      },
    });
    const { router, queryClient } = renderApp('/account');
    const header = screen.getByRole('banner');
    expect(await within(header).findByTestId('user-name')).toHaveTextContent('Ada Lovelace');

    fireEvent.click(within(header).getByRole('button', { name: 'Sign out' }));

    await waitFor(() => expect(router.state.location.pathname).toBe('/signin'));
    expect(loggedOut).toBe(true);
    expect(within(header).queryByTestId('user-name')).not.toBeInTheDocument();
    expect(within(header).getByRole('link', { name: 'Sign in' })).toBeInTheDocument();
    // The account's data is gone from the cache.
    const withData = queryClient.getQueryCache().findAll({ queryKey: ['account'] }).filter((q) => q.state.data !== undefined);
    expect(withData).toEqual([]);
  });
});
