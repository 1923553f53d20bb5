import { queryOptions } from '@tanstack/react-query';
import { api, type HealthReport } from '../../api/client';
import { ApiError, apiErrorFrom } from '../../api/problem';

/** How often the status page asks the API again. */
export const HEALTH_REFRESH_MS = 10_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** True when `body` has the shape of a HealthReport (the API sends one with 200 and with 503). */
export function isHealthReport(body: unknown): body is HealthReport {
  return (
    isRecord(body) &&
    typeof body.status === 'string' &&
    typeof body.version === 'string' &&
    Array.isArray(body.checks) &&
    body.checks.every(
      (check: unknown) =>
        isRecord(check) &&
        typeof check.name === 'string' &&
        typeof check.status === 'string' &&
        typeof check.latency_ms === 'number',
    )
  );
}

/**
 * GET /v1/health. Resolves with the report whether the service is ok (200) or degraded (503);
 * rejects with an ApiError when the API cannot be reached or answers something else.
 */
export async function fetchHealth(signal?: AbortSignal): Promise<HealthReport> {
  let result;
  try {
    result = await api.GET('/v1/health', { signal });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    const message =
      cause instanceof SyntaxError
        ? 'The API answered with something that is not JSON: is /v1 routed to the Agora server?'
        : 'No answer from /v1/health: check that the Agora server is running and reachable.';
    throw new ApiError(message, { status: 0, cause });
  }
  const { data, error, response } = result;
  if (response.ok) {
    if (isHealthReport(data)) return data;
    throw new ApiError('The API answered /v1/health with an unexpected body.', { status: response.status });
  }
  // openapi-fetch puts the body of every non-2xx answer in `error`: a 503 still carries a
  // HealthReport, which is the degraded state, not a failure to show the page.
  const body: unknown = error;
  if (isHealthReport(body)) return body;
  throw apiErrorFrom(body, response);
}

/** The health query, shared by the status page and the footer (same cache entry). */
export const healthQuery = queryOptions({
  queryKey: ['health'] as const,
  queryFn: ({ signal }) => fetchHealth(signal),
});
