import { describe, expect, it, vi } from 'vitest';
import {
  bearerOf,
  jsonResponse,
  mockRoutes,
  problemResponse,
  sessionBody,
  unauthorized,
  userBody,
} from '../test/fixtures';
import { api } from './client';
import {
  getSessionState,
  refreshSession,
  restoreSession,
  SESSION_EXPIRED_NOTICE,
  signIn,
  signOut,
} from './session';

const credentials = { email: 'ada@example.com', password: 'a long enough password' };

/** Resolves after `ms`, so concurrent calls really overlap in the tests. */
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('session restore', () => {
  it('restores a session from the refresh cookie with one POST /v1/auth/refresh {}', async () => {
    const fetchMock = mockRoutes({ 'POST /v1/auth/refresh': () => jsonResponse(sessionBody()) });
    expect(getSessionState().status).toBe('restoring');

    await Promise.all([restoreSession(), restoreSession()]);

    expect(getSessionState()).toMatchObject({ status: 'signed-in', userId: userBody.id, role: 'user' });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const request = fetchMock.mock.calls[0]?.[0] as Request;
    expect(request.headers.get('content-type')).toBe('application/json');
    // The cookie must go along: same-origin credentials, and no token of ours in the request.
    expect(request.credentials).toBe('same-origin');
    expect(request.headers.get('authorization')).toBeNull();
    expect(await request.text()).toBe('{}');
  });

  it('is signed out, without a notice, when there is no session (401)', async () => {
    mockRoutes({ 'POST /v1/auth/refresh': unauthorized });
    await restoreSession();
    expect(getSessionState()).toEqual({ status: 'signed-out', userId: null, role: null, notice: null });
  });

  it('is signed out when the server cannot be reached', async () => {
    mockRoutes({ 'POST /v1/auth/refresh': () => Promise.reject(new TypeError('Failed to fetch')) });
    await restoreSession();
    expect(getSessionState().status).toBe('signed-out');
  });
});

describe('bearer token and 401 handling', () => {
  it('signs in, sends the token as a bearer, and never stores it in web storage', async () => {
    const fetchMock = mockRoutes({
      'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1')),
      'GET /v1/me': (request) => (bearerOf(request) === 'access-1' ? jsonResponse(userBody) : unauthorized()),
    });
    await signIn(credentials);
    const { data } = await api.GET('/v1/me');
    expect(data).toEqual(userBody);

    const login = fetchMock.mock.calls[0]?.[0] as Request;
    // The UI takes the default cookie delivery: it never asks for the refresh token in the body.
    expect(await login.clone().json()).toEqual(credentials);
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  it('shares one refresh between concurrent 401s, then retries each request with the new token', async () => {
    let refreshes = 0;
    const fetchMock = mockRoutes({
      'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1')),
      'POST /v1/auth/refresh': async () => {
        refreshes++;
        await later(20);
        return jsonResponse(sessionBody(`access-${refreshes + 1}`));
      },
      'GET /v1/me': (request) => (bearerOf(request) === 'access-2' ? jsonResponse(userBody) : unauthorized()),
      'GET /v1/me/api-keys': (request) =>
        bearerOf(request) === 'access-2' ? jsonResponse({ api_keys: [] }) : unauthorized(),
    });
    await signIn(credentials);

    const [me, keys, meAgain] = await Promise.all([
      api.GET('/v1/me'),
      api.GET('/v1/me/api-keys'),
      api.GET('/v1/me'),
    ]);

    expect(refreshes).toBe(1);
    expect(me.data).toEqual(userBody);
    expect(meAgain.data).toEqual(userBody);
    expect(keys.data).toEqual({ api_keys: [] });
    // login + 3 requests + 1 refresh + 3 retries
    expect(fetchMock).toHaveBeenCalledTimes(8);
    expect(getSessionState().status).toBe('signed-in');
  });

  it('dedupes direct refresh calls too', async () => {
    let refreshes = 0;
    mockRoutes({
      'POST /v1/auth/refresh': async () => {
        refreshes++;
        await later(10);
        return jsonResponse(sessionBody('access-2'));
      },
    });
    const results = await Promise.all([refreshSession(), refreshSession(), restoreSession()]);
    expect(results.slice(0, 2)).toEqual([true, true]);
    expect(refreshes).toBe(1);
  });

  it('retries a request only once: a second 401 is returned as is', async () => {
    let refreshes = 0;
    const fetchMock = mockRoutes({
      'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1')),
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody(`access-${++refreshes + 1}`)),
      'GET /v1/me': unauthorized,
    });
    await signIn(credentials);

    const { response, error } = await api.GET('/v1/me');

    expect(response.status).toBe(401);
    expect(error).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(refreshes).toBe(1);
    const meCalls = fetchMock.mock.calls.map(([request]) => request as Request).filter((r) => r.url.endsWith('/v1/me'));
    expect(meCalls.map(bearerOf)).toEqual(['access-1', 'access-2']);
  });

  it('retries with the same body, for requests that have one', async () => {
    const bodies: string[] = [];
    mockRoutes({
      'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1')),
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody('access-2')),
      'POST /v1/me/api-keys': async (request) => {
        bodies.push(await request.text());
        return bearerOf(request) === 'access-2'
          ? jsonResponse({ key: 'agora_sk_x', api_key: {} }, 201)
          : unauthorized();
      },
    });
    await signIn(credentials);
    const { response } = await api.POST('/v1/me/api-keys', { body: { name: 'CI' } });
    expect(response.status).toBe(201);
    expect(bodies).toEqual(['{"name":"CI"}', '{"name":"CI"}']);
  });

  it('becomes signed out, with a notice, when the refresh after a 401 fails', async () => {
    const fetchMock = mockRoutes({
      'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1')),
      'POST /v1/auth/refresh': unauthorized,
      'GET /v1/me': unauthorized,
    });
    await signIn(credentials);

    const { response } = await api.GET('/v1/me');

    expect(response.status).toBe(401);
    expect(getSessionState()).toEqual({ status: 'signed-out', userId: null, role: null, notice: SESSION_EXPIRED_NOTICE });
    // login, the request, the refresh: no retry without a new token.
    expect(fetchMock).toHaveBeenCalledTimes(3);
    // Later requests go without a token.
    await api.GET('/v1/me');
    expect(bearerOf(fetchMock.mock.calls[3]?.[0] as Request)).toBeNull();
  });

  it('does not refresh for a 401 when no session existed, nor for /v1/auth routes', async () => {
    const fetchMock = mockRoutes({
      'GET /v1/me': unauthorized,
      'POST /v1/auth/login': () =>
        problemResponse(401, 'invalid-credentials', 'Invalid credentials', 'The email or password is wrong.'),
    });
    expect((await api.GET('/v1/me')).response.status).toBe(401);
    await expect(signIn(credentials)).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/wrong/) as unknown });
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('signs out: POST /v1/auth/logout {} after any refresh under way, then forgets the token', async () => {
    const order: string[] = [];
    const fetchMock = mockRoutes({
      'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1')),
      'POST /v1/auth/refresh': async () => {
        await later(20);
        order.push('refresh');
        return jsonResponse(sessionBody('access-2'));
      },
      'POST /v1/auth/logout': () => {
        order.push('logout');
        return new Response(null, { status: 204 });
      },
      'GET /v1/me': (request) => (bearerOf(request) ? jsonResponse(userBody) : unauthorized()),
    });
    await signIn(credentials);
    void refreshSession();
    await signOut();

    expect(order).toEqual(['refresh', 'logout']);
    expect(getSessionState().status).toBe('signed-out');
    await api.GET('/v1/me');
    expect(bearerOf(fetchMock.mock.calls.at(-1)?.[0] as Request)).toBeNull();
  });
});

describe('proactive renewal', () => {
  it('refreshes shortly before the access token expires', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let refreshes = 0;
      mockRoutes({
        'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1', 120)),
        'POST /v1/auth/refresh': () => jsonResponse(sessionBody(`access-${++refreshes + 1}`, 120)),
      });
      await signIn(credentials);

      // A 120 s token is renewed 30 s (a quarter of its life, at most a minute) before it expires.
      await vi.advanceTimersByTimeAsync(89_000);
      expect(refreshes).toBe(0);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(refreshes).toBe(1);
      // ...and the new token is renewed in turn.
      await vi.advanceTimersByTimeAsync(90_000);
      expect(refreshes).toBe(2);
      expect(getSessionState().status).toBe('signed-in');
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops renewing after sign-out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let refreshes = 0;
      mockRoutes({
        'POST /v1/auth/login': () => jsonResponse(sessionBody('access-1', 120)),
        'POST /v1/auth/refresh': () => jsonResponse(sessionBody(`access-${++refreshes + 1}`, 120)),
        'POST /v1/auth/logout': () => new Response(null, { status: 204 }),
      });
      await signIn(credentials);
      await signOut();
      await vi.advanceTimersByTimeAsync(600_000);
      expect(refreshes).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
