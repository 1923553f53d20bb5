import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { send } from './call';
import { ApiError, apiErrorFrom } from './problem';

/**
 * The signed-in session of this tab.
 *
 * The access token lives only in this module's memory: never in localStorage,
 * sessionStorage or a cookie set from JavaScript, so a script injected into the page
 * cannot read a token that outlives the tab. The refresh token never reaches JavaScript at
 * all: the server keeps it in the `agora_refresh` cookie (HttpOnly; Secure;
 * SameSite=Strict; Path=/v1/auth), which the browser sends with `/v1/auth/*` requests.
 *
 * A refresh token works once, and presenting a used one again (after a 10 s grace) signs
 * the whole session out. So every refresh goes through {@link refreshSession}, which shares
 * one in-flight request between all callers (and, where the Web Locks API exists, takes a
 * lock so two tabs of the same browser do not refresh at the same time either).
 */

type Schemas = components['schemas'];
export type SessionResponse = Schemas['SessionResponse'];
export type Role = Schemas['Role'];
export type LoginRequest = Pick<Schemas['LoginRequest'], 'email' | 'password'>;
export type RegisterRequest = Pick<Schemas['RegisterRequest'], 'email' | 'password' | 'display_name'>;

export type SessionStatus = 'restoring' | 'signed-in' | 'signed-out';

/** What the UI may know about the session: never the token itself. */
export interface SessionState {
  /** `restoring` until the silent refresh at start-up has answered. */
  readonly status: SessionStatus;
  readonly userId: string | null;
  readonly role: Role | null;
  /** Why the session ended, for the sign-in page ("Password changed: ..."); null otherwise. */
  readonly notice: string | null;
}

export const PASSWORD_CHANGED_NOTICE = 'Password changed: sign in with your new password.';
export const SESSION_EXPIRED_NOTICE = 'Your session has ended: sign in again.';

/** The name of the Web Lock that serialises refreshes across the tabs of one browser. */
const REFRESH_LOCK = 'agora-session-refresh';
/** Renew the access token this long before it expires (less for very short-lived tokens). */
const RENEW_BEFORE_S = 60;
/** setTimeout's largest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The client for `/v1/auth/*`: no bearer token and no retry middleware, just the cookie. */
const authApi = createClient<paths>({
  baseUrl: '',
  credentials: 'same-origin',
  // Look fetch up on every call rather than once at start-up, so tests can stub it.
  fetch: (request: Request) => globalThis.fetch(request),
});

interface ActiveSession {
  accessToken: string;
  userId: string;
  role: Role;
}

const RESTORING: SessionState = { status: 'restoring', userId: null, role: null, notice: null };

let active: ActiveSession | null = null;
let state: SessionState = RESTORING;
/** Bumped whenever the session is started or ended by the user, so a refresh that was already under way cannot bring back what they just replaced. */
let generation = 0;
let inflightRefresh: Promise<boolean> | null = null;
let restoring: Promise<void> | null = null;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function publish(next: SessionState) {
  state = next;
  for (const listener of listeners) listener();
}

/** For useSyncExternalStore: the current state (a new object on every change). */
export function getSessionState(): SessionState {
  return state;
}

/** For useSyncExternalStore: calls `listener` on every change; returns the unsubscribe. */
export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** True when `body` has the shape of a SessionResponse. */
export function isSessionResponse(body: unknown): body is SessionResponse {
  return (
    isRecord(body) &&
    typeof body.access_token === 'string' &&
    body.access_token !== '' &&
    typeof body.expires_in === 'number' &&
    typeof body.user_id === 'string' &&
    (body.role === 'user' || body.role === 'admin')
  );
}

/** Schedules a refresh shortly before the access token expires, so requests rarely meet a 401. */
function scheduleRenewal(expiresInSeconds: number) {
  clearTimeout(renewTimer);
  const lead = Math.min(RENEW_BEFORE_S, expiresInSeconds / 4);
  const delay = Math.min(Math.max((expiresInSeconds - lead) * 1000, 1000), MAX_TIMER_MS);
  // A failed renewal is not fatal here: the next request's 401 tries again.
  renewTimer = setTimeout(() => void refreshSession().catch(() => undefined), delay);
}

function install(session: SessionResponse) {
  active = { accessToken: session.access_token, userId: session.user_id, role: session.role };
  scheduleRenewal(session.expires_in);
  if (state.status !== 'signed-in' || state.userId !== session.user_id || state.role !== session.role) {
    publish({ status: 'signed-in', userId: session.user_id, role: session.role, notice: null });
  }
}

/** Starts the session a sign-in or sign-up answered with. */
export function startSession(session: SessionResponse) {
  generation++;
  install(session);
}

/**
 * Forgets the session in this tab (the access token and the renewal timer). `notice` tells
 * the sign-in page why, e.g. {@link PASSWORD_CHANGED_NOTICE}.
 */
export function endSession(notice: string | null = null) {
  generation++;
  active = null;
  clearTimeout(renewTimer);
  publish({ status: 'signed-out', userId: null, role: null, notice });
}

/** Runs `task` under the cross-tab refresh lock where the browser has one. */
async function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : undefined;
  return locks ? await locks.request(REFRESH_LOCK, task) : await task();
}

async function postRefresh(): Promise<boolean> {
  const startedIn = generation;
  const wasSignedIn = active !== null;
  let result;
  try {
    result = await authApi.POST('/v1/auth/refresh', { body: {} });
  } catch (cause) {
    throw new ApiError('No answer from the server while renewing the session.', { status: 0, cause });
  }
  // Signed in or out while this was under way: that decision stands.
  if (startedIn !== generation) return active !== null;
  const { data, error, response } = result;
  if (response.ok && isSessionResponse(data)) {
    install(data);
    return true;
  }
  if (response.ok || response.status === 401) {
    // No session (never signed in, expired, revoked, or the server is not the Agora API).
    endSession(wasSignedIn ? SESSION_EXPIRED_NOTICE : null);
    return false;
  }
  throw apiErrorFrom(error, response);
}

/**
 * Exchanges the refresh cookie for a new access token. Resolves true when signed in, false
 * when there is no session (and the state is then signed out); rejects with an ApiError
 * when the server could not answer (the session is kept: a later call may succeed).
 *
 * Concurrent callers share one request: a refresh token must never be presented twice.
 */
export function refreshSession(): Promise<boolean> {
  inflightRefresh ??= withRefreshLock(postRefresh).finally(() => {
    inflightRefresh = null;
  });
  return inflightRefresh;
}

/** Waits for a refresh under way, if any, ignoring its outcome. */
async function settleRefresh() {
  await inflightRefresh?.catch(() => undefined);
}

/**
 * The one silent refresh at start-up that restores a session from the cookie. Idempotent:
 * every caller gets the same promise, which never rejects.
 */
export function restoreSession(): Promise<void> {
  restoring ??= refreshSession().then(
    () => undefined,
    () => {
      // The server could not answer: carry on signed out (a reload tries again).
      if (state.status === 'restoring') publish({ ...RESTORING, status: 'signed-out' });
    },
  );
  return restoring;
}

function sessionFrom(body: unknown): SessionResponse {
  if (!isSessionResponse(body)) throw new ApiError('The server answered with an unexpected body.', { status: 200 });
  return body;
}

/** POST /v1/auth/login, then starts the session. The refresh token stays in the cookie. */
export async function signIn(credentials: LoginRequest): Promise<SessionResponse> {
  // A refresh answering after this sign-in would overwrite the new cookie with the old session's.
  await settleRefresh();
  const session = sessionFrom(await send(authApi.POST('/v1/auth/login', { body: credentials })));
  startSession(session);
  return session;
}

/** POST /v1/auth/register, then starts the new account's session. */
export async function signUp(registration: RegisterRequest): Promise<SessionResponse> {
  await settleRefresh();
  const session = sessionFrom(await send(authApi.POST('/v1/auth/register', { body: registration })));
  startSession(session);
  return session;
}

/**
 * POST /v1/auth/logout (which revokes the session and clears the cookie), then forgets the
 * session here. When the server cannot be reached the session is kept and this rejects, so
 * the page does not claim a sign-out the server never saw.
 */
export async function signOut(): Promise<void> {
  // A refresh answering after the logout would set a live cookie again.
  await settleRefresh();
  await send(authApi.POST('/v1/auth/logout', { body: {} }));
  endSession();
}

function isAuthPath(schemaPath: string): boolean {
  return schemaPath.startsWith('/v1/auth/');
}

/** A token other than `rejected`: the current one when another call already refreshed, else a refreshed one; null when signed out. */
async function tokenReplacing(rejected: string): Promise<string | null> {
  if (!active) return null;
  if (active.accessToken !== rejected) return active.accessToken;
  try {
    await refreshSession();
  } catch {
    return null;
  }
  const token = active?.accessToken ?? null;
  return token !== rejected ? token : null;
}

/** Per request id: the token it was sent with, and an unsent copy to retry with. */
const sentWithToken = new Map<string, { token: string; retry: Request }>();

/**
 * openapi-fetch middleware for the main `api` client: adds `Authorization: Bearer` while
 * signed in, and when a request with a token answers 401, refreshes once (shared with any
 * other request doing the same) and sends the request again once. `/v1/auth/*` is left
 * alone: those routes use the cookie.
 */
export const authMiddleware: Middleware = {
  onRequest({ request, schemaPath, id }) {
    // A request that brings its own credential (an API key, say) keeps it.
    if (!active || isAuthPath(schemaPath) || request.headers.has('Authorization')) return undefined;
    const token = active.accessToken;
    request.headers.set('Authorization', `Bearer ${token}`);
    // The body can be read once: keep an unsent copy in case the request must be retried.
    sentWithToken.set(id, { token, retry: request.clone() });
    return request;
  },
  async onResponse({ response, id, options }) {
    const sent = sentWithToken.get(id);
    sentWithToken.delete(id);
    if (!sent || response.status !== 401) return undefined;
    const token = await tokenReplacing(sent.token);
    if (!token) return undefined;
    sent.retry.headers.set('Authorization', `Bearer ${token}`);
    return options.fetch(sent.retry);
  },
  onError({ id }) {
    sentWithToken.delete(id);
    return undefined;
  },
};

/**
 * Sends a request the `api` client cannot make (a streamed answer, read from the body as it
 * arrives) with the same session handling as {@link authMiddleware}: the bearer token while
 * signed in, and on a 401 one shared refresh and one retry. `build` makes a fresh Request
 * each time (a body can be sent once). The token itself never leaves this module.
 */
export async function fetchWithSession(build: () => Request): Promise<Response> {
  const token = active?.accessToken ?? null;
  const request = build();
  if (token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${token}`);
  const response = await globalThis.fetch(request);
  if (!token || response.status !== 401) return response;
  const replacement = await tokenReplacing(token);
  if (!replacement) return response;
  await response.body?.cancel().catch(() => undefined);
  const retry = build();
  retry.headers.set('Authorization', `Bearer ${replacement}`);
  return globalThis.fetch(retry);
}

/** Forgets everything, as on a fresh page load (for tests). */
export function resetSession() {
  active = null;
  state = RESTORING;
  generation++;
  inflightRefresh = null;
  restoring = null;
  clearTimeout(renewTimer);
  sentWithToken.clear();
  for (const listener of listeners) listener();
}
