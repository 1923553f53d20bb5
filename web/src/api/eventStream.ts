import { NO_ANSWER } from './call';
import { ApiError, apiErrorFrom } from './problem';
import { fetchWithSession } from './session';

/**
 * Sends a request for an event stream with the session's token (`fetchWithSession`: the
 * bearer token, and on a 401 one shared refresh and one retry; `build` makes a fresh
 * Request each time). Resolves with a 2xx answer, whose type the caller checks; rejects
 * with an ApiError when no answer came back or the answer is an error (its problem,
 * field errors and Retry-After). An abort through `signal` rejects with the abort as is.
 */
export async function openEventStream(build: () => Request, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetchWithSession(build);
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiError(NO_ANSWER, { status: 0, cause });
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw apiErrorFrom(parseJson(text) ?? text, response);
  }
  return response;
}

/** True when the answer is an event stream with a body to read. */
export function isEventStream(response: Response): response is Response & { body: ReadableStream<Uint8Array> } {
  const type = response.headers.get('content-type') ?? '';
  return response.body !== null && type.includes('text/event-stream');
}

/** The JSON value of `text`, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
