import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { runKeys } from '../../run/api';
import { followWorkflowRun, workflowKeys, workflowRunQuery } from '../api';
import { useSession } from '../../../session/useSession';

/** How often a run is read again when its event stream cannot be followed. */
export const RUN_POLL_MS = 2000;

/**
 * One of the caller's workflow runs, kept up to date while it runs: from its event stream
 * (`GET /v1/workflow-runs/{id}/events`, each `run` event replacing the cached run, followed
 * again when the server closes it before the end), or, when the stream cannot be opened or
 * breaks, by reading the run every 2 s. When it has finished, the credits and the run lists
 * are read again.
 */
export function useLiveWorkflowRun(id: string) {
  const { userId } = useSession();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<'stream' | 'poll'>('stream');
  const query = useQuery({
    ...workflowRunQuery(userId ?? '', id),
    enabled: userId !== null && id !== '',
    refetchInterval: (current) => (mode === 'poll' && current.state.data?.status === 'running' ? RUN_POLL_MS : false),
  });
  const status = query.data?.status;
  const running = status === 'running';

  useEffect(() => {
    if (!running || mode !== 'stream' || !userId) return;
    const controller = new AbortController();
    const follow = async () => {
      let silent = 0;
      while (!controller.signal.aborted) {
        let events = 0;
        const ended = await followWorkflowRun(
          id,
          (run) => {
            events++;
            queryClient.setQueryData(workflowKeys.run(userId, id), run);
          },
          controller.signal,
        );
        if (ended) return;
        // Streams close after a few minutes: follow again, unless they close at once, twice running.
        silent = events === 0 ? silent + 1 : 0;
        if (silent >= 2) throw new Error('The event stream keeps closing.');
      }
    };
    follow().catch(() => {
      if (!controller.signal.aborted) setMode('poll');
    });
    return () => controller.abort();
  }, [running, mode, id, userId, queryClient]);

  useEffect(() => {
    if (!userId || !status || status === 'running') return;
    void queryClient.invalidateQueries({ queryKey: runKeys.credits(userId) });
    void queryClient.invalidateQueries({ queryKey: workflowKeys.runs(userId) });
  }, [status, userId, queryClient]);

  return { ...query, live: running ? mode : null };
}
