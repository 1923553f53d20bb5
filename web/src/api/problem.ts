import type { FieldError, Problem } from './client';

/**
 * Helpers for RFC 9457 problem details (`application/problem+json`), the body of every
 * error answer of the Agora API.
 */

/** Per-field messages, keyed by the field name the API reported (e.g. `"name"`, `"pricing.amount"`). */
export type FieldErrors = Record<string, string[]>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFieldError(value: unknown): value is FieldError {
  return isRecord(value) && typeof value.field === 'string' && typeof value.message === 'string';
}

/**
 * Returns `body` as a Problem when it is one (a `title` and a numeric `status`, and well-formed
 * optional members), or null. Accepts a JSON string too: openapi-fetch leaves a body it could
 * not parse as text.
 */
export function parseProblem(body: unknown): Problem | null {
  if (typeof body === 'string') {
    try {
      return parseProblem(JSON.parse(body));
    } catch {
      return null;
    }
  }
  if (!isRecord(body)) return null;
  const { title, status, detail, errors } = body;
  if (typeof title !== 'string' || typeof status !== 'number') return null;
  if (detail != null && typeof detail !== 'string') return null;
  if (errors != null && !(Array.isArray(errors) && errors.every(isFieldError))) return null;
  return body as Problem;
}

/** True when `body` is a problem details object. */
export function isProblem(body: unknown): boolean {
  return parseProblem(body) !== null;
}

/**
 * One readable sentence for a problem: the title, and the detail when it adds something.
 * `{title: "Validation failed", detail: "2 fields are invalid"}` gives
 * "Validation failed: 2 fields are invalid".
 */
export function problemMessage(problem: Problem): string {
  const title = problem.title.trim() || `Request failed with status ${problem.status}`;
  const detail = problem.detail?.trim();
  if (!detail || detail === title) return title;
  if (detail.toLowerCase().startsWith(title.toLowerCase())) return detail;
  return `${title.replace(/[.:]\s*$/, '')}: ${detail}`;
}

/** The per-field errors of a problem, grouped by field, in the order the API gave them. */
export function problemFieldErrors(problem: Problem): FieldErrors {
  const grouped: FieldErrors = {};
  for (const { field, message } of problem.errors ?? []) {
    (grouped[field] ??= []).push(message);
  }
  return grouped;
}

/** An API call that did not succeed: unreachable server, error status, or unexpected body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status, or 0 when no answer came back. */
  readonly status: number;
  /** The problem body, when the answer carried one. */
  readonly problem: Problem | null;
  /** Per-field errors for forms; empty unless the problem listed some. */
  readonly fieldErrors: FieldErrors;
  /** The request id to quote in a bug report, from the problem or the `x-request-id` header. */
  readonly requestId: string | null;
  /** How many seconds to wait before trying again (the `Retry-After` header of a 429 or 503), or null. */
  readonly retryAfterSeconds: number | null;

  constructor(
    message: string,
    options: {
      status: number;
      problem?: Problem | null;
      requestId?: string | null;
      retryAfterSeconds?: number | null;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.problem = options.problem ?? null;
    this.fieldErrors = this.problem ? problemFieldErrors(this.problem) : {};
    this.requestId = this.problem?.request_id ?? options.requestId ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }

  /** True when no answer came back at all (network down, server not running). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

/**
 * Seconds to wait from a `Retry-After` header: either delay-seconds or an HTTP date
 * (RFC 9110 §10.2.3). Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Builds the ApiError for a non-2xx answer from its (parsed) body and the response. */
export function apiErrorFrom(body: unknown, response: Response): ApiError {
  const problem = parseProblem(body);
  const requestId = response.headers.get('x-request-id');
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  if (problem) {
    return new ApiError(problemMessage(problem), { status: response.status, problem, requestId, retryAfterSeconds });
  }
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError(`The server answered ${response.status}${statusText}.`, {
    status: response.status,
    requestId,
    retryAfterSeconds,
  });
}

/** A readable message for any error thrown by an API call or a query. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  const problem = parseProblem(error);
  if (problem) return problemMessage(problem);
  return 'Something went wrong.';
}
