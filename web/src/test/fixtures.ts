import { vi } from 'vitest';
import type { HealthReport, Problem } from '../api/client';
import { isHealthReport } from '../api/health';
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
