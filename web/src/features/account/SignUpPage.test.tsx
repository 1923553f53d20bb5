import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, unauthorized, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

function fillSignUp(values: { email: string; password: string; displayName?: string }) {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: values.email } });
  if (values.displayName) {
    fireEvent.change(screen.getByLabelText(/^Display name/), { target: { value: values.displayName } });
  }
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: values.password } });
  fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
}

/** The input's error text, found through its aria-describedby as assistive technology does. */
function describedErrors(input: HTMLElement): string {
  const ids = input.getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' | ');
}

describe('SignUpPage', () => {
  it('shows the password rules, and shows each field error of a 422 next to its field', async () => {
    let sent: unknown = null;
    mockRoutes({
      'POST /v1/auth/refresh': unauthorized,
      'POST /v1/auth/register': async (request) => {
        sent = await request.json();
        return problemResponse(422, 'validation', 'Validation failed', '3 fields are invalid', [
          { field: 'email', message: 'is not a valid email address' },
          { field: 'password', message: 'is too common' },
          { field: 'display_name', message: 'must be at most 80 characters' },
        ]);
      },
    });
    renderApp('/signup');
    expect(await screen.findByRole('heading', { level: 1, name: 'Create your account' })).toBeInTheDocument();
    const password = screen.getByLabelText('Password');
    expect(describedErrors(password)).toMatch(/At least 10 characters and at most 256 bytes/);

    fillSignUp({ email: 'ada@example', password: 'password1234', displayName: 'Ada' });

    const emailErrors = await screen.findByTestId('field-error-email');
    expect(emailErrors).toHaveTextContent('is not a valid email address');
    const email = screen.getByLabelText('Email');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(describedErrors(email)).toContain('is not a valid email address');
    expect(password).toHaveAttribute('aria-invalid', 'true');
    expect(describedErrors(password)).toContain('is too common');
    const displayName = screen.getByLabelText(/^Display name/);
    expect(displayName).toHaveAttribute('aria-invalid', 'true');
    expect(describedErrors(displayName)).toContain('must be at most 80 characters');
    // Every error had its field: no form-level alert repeating them.
    expect(screen.queryByTestId('form-error')).not.toBeInTheDocument();
    // The first invalid field gets the focus.
    await waitFor(() => expect(email).toHaveFocus());
    expect(sent).toEqual({ email: 'ada@example', password: 'password1234', display_name: 'Ada' });
  });

  it('checks the password length before sending anything', async () => {
    const fetchMock = mockRoutes({ 'POST /v1/auth/refresh': unauthorized });
    renderApp('/signup');
    await screen.findByRole('heading', { level: 1, name: 'Create your account' });

    fillSignUp({ email: 'ada@example.com', password: 'short' });
    expect(await screen.findByTestId('field-error-password')).toHaveTextContent('Use at least 10 characters.');
    fillSignUp({ email: 'ada@example.com', password: 'é'.repeat(129) });
    expect(await screen.findByTestId('field-error-password')).toHaveTextContent(/at most 256 bytes/);
    const paths = fetchMock.mock.calls.map(([r]) => new URL((r as Request).url).pathname);
    expect(paths).not.toContain('/v1/auth/register');
  });

  it('shows the detail of a 409 conflict for the whole form', async () => {
    mockRoutes({
      'POST /v1/auth/refresh': unauthorized,
      'POST /v1/auth/register': () =>
        problemResponse(409, 'conflict', 'Conflict', 'An account with this email exists: sign in instead.'),
    });
    renderApp('/signup');
    await screen.findByRole('heading', { level: 1, name: 'Create your account' });
    fillSignUp({ email: 'ada@example.com', password: 'a long enough password' });

    const alert = await screen.findByTestId('form-error');
    expect(alert).toHaveAttribute('role', 'alert');
    expect(alert).toHaveTextContent('Conflict: An account with this email exists: sign in instead.');
    expect(alert).toHaveTextContent('Request ID: req-conflict');
  });

  it('disables the submit button while the request is under way, then lands signed in on next', async () => {
    let answer: (response: Response) => void = () => undefined;
    mockRoutes({
      'POST /v1/auth/refresh': unauthorized,
      'POST /v1/auth/register': () => new Promise<Response>((resolve) => (answer = resolve)),
      'GET /v1/me': () => jsonResponse(userBody),
      'GET /v1/me/api-keys': () => jsonResponse({ api_keys: [] }),
    });
    const { router } = renderApp('/signup?next=%2Faccount%2Fapi-keys');
    await screen.findByRole('heading', { level: 1, name: 'Create your account' });
    fillSignUp({ email: 'ada@example.com', password: 'a long enough password', displayName: 'Ada Lovelace' });

    const pending = await screen.findByRole('button', { name: 'Creating your account…' });
    expect(pending).toBeDisabled();
    answer(jsonResponse(sessionBody(), 201));

    await waitFor(() => expect(router.state.location.pathname).toBe('/account/api-keys'));
    const header = screen.getByRole('banner');
    expect(await within(header).findByTestId('user-name')).toHaveTextContent('Ada Lovelace');
    expect(within(header).getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
  });
});
