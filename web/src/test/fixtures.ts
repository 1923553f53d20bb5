import { vi } from 'vitest';
import type { HealthReport, Problem } from '../api/client';
import { isHealthReport } from '../features/status/api';
import { parseProblem } from '../api/problem';

export function jsonResponse(body: unknown, status = 200, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType } });
}

/** Replaces fetch: each call answers with what `respond` returns for the request's path. */
export function mockFetch(respond: (path: string, request: Request) => Response | Promise<Response>) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    return respond(new URL(request.url).pathname, request);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** Wire data as the API sends it, checked at run time (so fixtures never depend on optionality details of the generated types). */
export function asHealthReport(body: unknown): HealthReport {
  if (!isHealthReport(body)) throw new Error(`not a HealthReport: ${JSON.stringify(body)}`);
  return body;
}

export function asProblem(body: unknown): Problem {
  const problem = parseProblem(body);
  if (!problem) throw new Error(`not a problem: ${JSON.stringify(body)}`);
  return problem;
}

export const okReport = asHealthReport({
  status: 'ok',
  version: '0.1.0',
  checks: [
    { name: 'database', status: 'ok', latency_ms: 1.7, error: null },
    { name: 'cache', status: 'ok', latency_ms: 0.1, error: null },
  ],
});

export const degradedReport = asHealthReport({
  status: 'degraded',
  version: '0.1.0',
  checks: [
    { name: 'database', status: 'ok', latency_ms: 2.4, error: null },
    { name: 'cache', status: 'failed', latency_ms: 250, error: 'connection refused (os error 111)' },
  ],
});

/** Answers `${METHOD} ${path}` with its handler; anything else is a 404 problem (so a stray call shows up). */
export function mockRoutes(handlers: Record<string, (request: Request) => Response | Promise<Response>>) {
  return mockFetch((path, request) => {
    const handler = handlers[`${request.method} ${path}`];
    if (handler) return handler(request);
    return problemResponse(404, 'not-found', 'Not Found', `No route for ${request.method} ${path} in this test.`);
  });
}

/** A problem+json answer, as the API sends for every error. */
export function problemResponse(
  status: number,
  type: string,
  title: string,
  detail: string,
  errors?: { field: string; message: string }[],
  headers: Record<string, string> = {},
): Response {
  const body = { type: `https://agora.dev/problems/${type}`, title, status, detail, request_id: `req-${type}`, errors };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

export const unauthorized = () =>
  problemResponse(401, 'unauthorized', 'Unauthorized', 'The access token is missing, expired or revoked.');

export const USER_ID = '0196f5a2-7c1e-7d40-9b2a-4a0f3c2e1d00';

/** A SessionResponse as the API sends it with the default cookie delivery (no refresh_token). */
export function sessionBody(accessToken = 'access-1', expiresIn = 900) {
  return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, user_id: USER_ID, role: 'user' };
}

export const userBody = {
  id: USER_ID,
  email: 'ada@example.com',
  display_name: 'Ada Lovelace',
  handle: 'ada',
  bio: '',
  role: 'user',
  email_verified: true,
  created_at: '2026-03-01T10:00:00Z',
  updated_at: '2026-03-01T10:00:00Z',
};

/** The bearer token a request carries, or null. */
export function bearerOf(request: Request): string | null {
  return request.headers.get('authorization')?.replace(/^Bearer /, '') ?? null;
}
