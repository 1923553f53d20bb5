import { useQuery } from '@tanstack/react-query';
import { useSession } from '../../session/useSession';
import { agentStatsQuery, myAgentsQuery } from './api';

/** The studio's server state as hooks: the caller's agents and one agent's stats. */

/** The signed-in user's agents, drafts included. */
export function useMyAgents() {
  const { userId } = useSession();
  return useQuery({ ...myAgentsQuery(userId ?? ''), enabled: userId !== null });
}

/** Runs, users and revenue of one of the caller's agents, per version and per day. */
export function useAgentStats(handle: string, slug: string) {
  const { userId } = useSession();
  return useQuery({ ...agentStatsQuery(userId ?? '', handle, slug), enabled: userId !== null });
}
