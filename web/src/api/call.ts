import { ApiError, apiErrorFrom } from './problem';

/** The message of an ApiError for a request no answer came back to. */
export const NO_ANSWER = 'No answer from the server: check your connection and try again.';

/** The part of an openapi-fetch result that `send` needs. */
interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws an ApiError: status 0 when
 * no answer came back, else the answer's problem. An abort is re-thrown as is, so a
 * cancelled query stays cancelled rather than turning into an error message.
 */
export async function send<T>(request: Promise<ApiResult<T>>, signal?: AbortSignal): Promise<T> {
  let result: ApiResult<T>;
  try {
    result = await request;
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiError(NO_ANSWER, { status: 0, cause });
  }
  if (!result.response.ok) throw apiErrorFrom(result.error, result.response);
  return result.data as T;
}
