import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api/problem';

/** Retries once, and never on a 4xx answer: asking again will not change it. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failureCount, error) =>
          !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failureCount < 1,
        refetchOnWindowFocus: true,
      },
    },
  });
}
