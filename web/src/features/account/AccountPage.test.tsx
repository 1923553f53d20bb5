import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { getSessionState } from '../../api/session';
import { bearerOf, jsonResponse, mockRoutes, problemResponse, sessionBody, unauthorized, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

function changePassword(current: string, next: string, confirm = next) {
  fireEvent.change(screen.getByLabelText('Current password'), { target: { value: current } });
  fireEvent.change(screen.getByLabelText('New password'), { target: { value: next } });
  fireEvent.change(screen.getByLabelText('Confirm new password'), { target: { value: confirm } });
  fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
}

describe('AccountPage', () => {
  it('changes the display name, and the header follows', async () => {
    const patches: unknown[] = [];
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'PATCH /v1/me': async (request) => {
        const body = (await request.json()) as { display_name: string };
        patches.push(body);
        return jsonResponse({ ...userBody, display_name: body.display_name, updated_at: '2026-03-02T10:00:00Z' });
      },
    });
    renderApp('/account');
    const input = await screen.findByLabelText('Display name');
    expect(input).toHaveValue('Ada Lovelace');

    fireEvent.change(input, { target: { value: '  Countess Ada  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save name' }));

    expect(await screen.findByTestId('profile-saved')).toHaveTextContent('Saved.');
    expect(patches).toEqual([{ display_name: 'Countess Ada' }]);
    expect(within(screen.getByRole('banner')).getByTestId('user-name')).toHaveTextContent('Countess Ada');
  });

  it('shows a wrong current password next to its field', async () => {
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'PATCH /v1/me': () =>
        problemResponse(422, 'validation', 'Validation failed', '1 field is invalid', [
          { field: 'current_password', message: 'is not your current password' },
        ]),
    });
    renderApp('/account');
    await screen.findByLabelText('Current password');
    changePassword('wrong password', 'a brand new password');

    expect(await screen.findByTestId('field-error-current_password')).toHaveTextContent('is not your current password');
    expect(screen.getByLabelText('Current password')).toHaveAttribute('aria-invalid', 'true');
    expect(getSessionState().status).toBe('signed-in');
  });

  it('checks the confirmation before sending', async () => {
    const fetchMock = mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
    });
    renderApp('/account');
    await screen.findByLabelText('Current password');
    changePassword('my old password', 'a brand new password', 'a brand new passwort');
    expect(await screen.findByTestId('field-error-confirm_password')).toHaveTextContent('does not match');
    expect(fetchMock.mock.calls.some(([r]) => (r as Request).method === 'PATCH')).toBe(false);
  });

  it('after a password change, forgets the session and sends to sign-in with a notice', async () => {
    let patch: { body: unknown; token: string | null } | null = null;
    mockRoutes({
      'POST /v1/auth/refresh': () => (patch ? unauthorized() : jsonResponse(sessionBody())),
      'GET /v1/me': () => jsonResponse(userBody),
      'PATCH /v1/me': async (request) => {
        patch = { body: await request.json(), token: bearerOf(request) };
        return jsonResponse(userBody);
      },
    });
    const { router } = renderApp('/account');
    await screen.findByLabelText('Current password');
    changePassword('my old password', 'a brand new password');

    await waitFor(() => expect(router.state.location.pathname).toBe('/signin'));
    expect(router.state.location.search).toBe('?next=%2Faccount');
    expect(await screen.findByTestId('signin-notice')).toHaveTextContent(
      'Password changed: sign in with your new password.',
    );
    expect(patch).toEqual({
      body: { current_password: 'my old password', new_password: 'a brand new password' },
      token: 'access-1',
    });
    expect(getSessionState().status).toBe('signed-out');
    expect(within(screen.getByRole('banner')).getByRole('link', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('changes the handle and bio, and says so next to the field when the handle is taken', async () => {
    const patches: unknown[] = [];
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
      'GET /v1/me': () => jsonResponse(userBody),
      'PATCH /v1/me': async (request) => {
        const body = (await request.json()) as { handle?: string; bio?: string };
        patches.push(body);
        if (body.handle === 'taken') {
          return problemResponse(409, 'conflict', 'Conflict', 'The handle `taken` is taken.');
        }
        return jsonResponse({ ...userBody, ...body });
      },
    });
    renderApp('/account');
    const form = await screen.findByTestId('public-profile-form');
    expect(within(form).getByLabelText('Handle')).toHaveValue('ada');

    fireEvent.change(within(form).getByLabelText('Handle'), { target: { value: 'taken' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByTestId('field-error-handle')).toHaveTextContent('The handle `taken` is taken.');
    expect(within(form).getByLabelText('Handle')).toHaveAttribute('aria-invalid', 'true');

    fireEvent.change(within(form).getByLabelText('Handle'), { target: { value: 'Countess-Ada' } });
    fireEvent.change(within(form).getByLabelText(/^Bio/), { target: { value: 'Writes programs for engines.' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByTestId('public-profile-saved')).toHaveTextContent('Saved.');
    expect(patches).toEqual([{ handle: 'taken' }, { handle: 'countess-ada', bio: 'Writes programs for engines.' }]);
  });
});
