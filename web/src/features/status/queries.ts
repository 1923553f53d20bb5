import { useQuery } from '@tanstack/react-query';
import { HEALTH_REFRESH_MS, healthQuery } from './api';

/** The health report as hooks: the status page polls it, the footer reads the same cache entry. */

/** GET /v1/health, asked again every 10 seconds. */
export function useLiveHealth() {
  return useQuery({ ...healthQuery, refetchInterval: HEALTH_REFRESH_MS });
}

/** The last health report (for the API's version): shares the status page's entry, never polls or retries. */
export function useCachedHealth() {
  return useQuery({ ...healthQuery, staleTime: 60_000, retry: false });
}
