import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { agentRunsQuery, myRunsQuery, runKeys } from './api';

/** The caller's runs as hooks, and what is read again when a run ends. */

/** The caller's runs, newest first, page after page. */
export function useMyRuns(userId: string) {
  return useInfiniteQuery(myRunsQuery(userId));
}

/** The caller's latest runs of one agent: the cost of each answer, and whether they may review it. */
export function useAgentRuns(userId: string, agent: string, enabled: boolean) {
  return useQuery({ ...agentRunsQuery(userId, agent), enabled });
}

/** Reads again everything a finished run changes: the balance, the runs and the ledger. */
export function useRefreshAfterRun(userId: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: runKeys.credits(userId) }),
      queryClient.invalidateQueries({ queryKey: runKeys.runs(userId) }),
      queryClient.invalidateQueries({ queryKey: runKeys.ledger(userId) }),
    ]);
}
