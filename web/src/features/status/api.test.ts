import { describe, expect, it } from 'vitest';
import { degradedReport, jsonResponse, mockFetch, okReport } from '../../test/fixtures';
import { fetchHealth } from './api';
import { ApiError } from '../../api/problem';

describe('fetchHealth', () => {
  it('calls GET /v1/health on the same origin and returns the report', async () => {
    const fetchMock = mockFetch(() => jsonResponse(okReport));
    await expect(fetchHealth()).resolves.toEqual(okReport);
    const request = fetchMock.mock.calls[0]?.[0] as Request;
    expect(request.method).toBe('GET');
    expect(new URL(request.url).pathname).toBe('/v1/health');
  });

  it('returns the report of a 503 answer: degraded is not an error', async () => {
    mockFetch(() => jsonResponse(degradedReport, 503));
    await expect(fetchHealth()).resolves.toEqual(degradedReport);
  });

  it('turns a problem answer into an ApiError', async () => {
    mockFetch(() =>
      jsonResponse(
        { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'boom', request_id: 'r1' },
        500,
        'application/problem+json',
      ),
    );
    const error = await fetchHealth().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('Internal Server Error: boom');
    expect((error as ApiError).status).toBe(500);
    expect((error as ApiError).requestId).toBe('r1');
  });

  it('reports an unreachable API', async () => {
    mockFetch(() => Promise.reject(new TypeError('fetch failed')));
    const error = await fetchHealth().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).unreachable).toBe(true);
    expect((error as ApiError).message).toMatch(/No answer from \/v1\/health/);
  });

  it('reports an answer that is not a health report', async () => {
    mockFetch(() => new Response('<!doctype html><title>Agora</title>', { status: 200 }));
    const error = await fetchHealth().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toMatch(/not JSON/);
  });
});
