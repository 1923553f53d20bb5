import { describe, expect, it } from 'vitest';
import { asProblem } from '../test/fixtures';
import {
  ApiError,
  apiErrorFrom,
  errorMessage,
  isProblem,
  parseProblem,
  parseRetryAfter,
  problemFieldErrors,
  problemMessage,
} from './problem';

const validationBody = {
  type: 'https://agora.dev/problems/validation',
  title: 'Validation failed',
  status: 422,
  detail: '2 fields are invalid',
  request_id: 'req-123',
  errors: [
    { field: 'name', message: 'must not be empty' },
    { field: 'price', message: 'must be positive' },
    { field: 'name', message: 'must be at most 64 characters' },
  ],
};
const validation = asProblem(validationBody);

describe('parseProblem', () => {
  it('accepts a problem body, and a JSON string of one', () => {
    expect(parseProblem(validationBody)).toBe(validationBody);
    expect(parseProblem(JSON.stringify(validationBody))).toEqual(validationBody);
    expect(isProblem({ type: 'about:blank', title: 'Not Found', status: 404 })).toBe(true);
  });

  it('rejects what is not a problem', () => {
    expect(parseProblem(null)).toBeNull();
    expect(parseProblem('<html>Bad Gateway</html>')).toBeNull();
    expect(parseProblem({ message: 'nope' })).toBeNull();
    expect(parseProblem({ title: 'x', status: '500' })).toBeNull();
    expect(parseProblem({ title: 'x', status: 400, errors: [{ field: 1 }] })).toBeNull();
    expect(isProblem([])).toBe(false);
  });
});

describe('problemMessage', () => {
  it('joins the title and the detail', () => {
    expect(problemMessage(validation)).toBe('Validation failed: 2 fields are invalid');
  });

  it('uses the title alone when there is no detail or it repeats the title', () => {
    expect(problemMessage(asProblem({ type: 'about:blank', title: 'Not Found', status: 404, detail: null }))).toBe('Not Found');
    expect(problemMessage(asProblem({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'Not Found' }))).toBe(
      'Not Found',
    );
    expect(
      problemMessage(asProblem({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'Conflict: the name is taken' })),
    ).toBe('Conflict: the name is taken');
  });

  it('falls back on the status when the title is empty', () => {
    expect(problemMessage(asProblem({ type: 'about:blank', title: ' ', status: 500 }))).toBe('Request failed with status 500');
  });
});

describe('problemFieldErrors', () => {
  it('groups messages by field, in order', () => {
    expect(problemFieldErrors(validation)).toEqual({
      name: ['must not be empty', 'must be at most 64 characters'],
      price: ['must be positive'],
    });
    expect(problemFieldErrors(asProblem({ type: 'about:blank', title: 'Bad Request', status: 400 }))).toEqual({});
  });
});

describe('apiErrorFrom', () => {
  it('reads the problem of an error answer', () => {
    const response = new Response(null, { status: 422 });
    const error = apiErrorFrom(validationBody, response);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe('Validation failed: 2 fields are invalid');
    expect(error.status).toBe(422);
    expect(error.requestId).toBe('req-123');
    expect(error.fieldErrors.price).toEqual(['must be positive']);
    expect(error.unreachable).toBe(false);
  });

  it('describes an answer without a problem body by its status', () => {
    const response = new Response('oops', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'x-request-id': 'req-9' },
    });
    const error = apiErrorFrom('oops', response);
    expect(error.message).toBe('The server answered 502 Bad Gateway.');
    expect(error.problem).toBeNull();
    expect(error.requestId).toBe('req-9');
    expect(error.fieldErrors).toEqual({});
  });
});

describe('errorMessage', () => {
  it('handles errors, problems and anything else', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(validationBody)).toBe('Validation failed: 2 fields are invalid');
    expect(errorMessage(42)).toBe('Something went wrong.');
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });

  it('is kept on the ApiError of a 429', () => {
    const response = new Response(null, { status: 429, headers: { 'retry-after': '12' } });
    const error = apiErrorFrom(
      { type: 'https://agora.dev/problems/rate-limited', title: 'Too Many Requests', status: 429, detail: 'Slow down.', request_id: 'r' },
      response,
    );
    expect(error.retryAfterSeconds).toBe(12);
    expect(apiErrorFrom(null, new Response(null, { status: 500 })).retryAfterSeconds).toBeNull();
  });
});
