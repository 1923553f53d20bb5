import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import { catalogKeys, type AgentView } from '../catalog/api';

/** The creator's studio: the caller's own agents, and one agent's stats. */

export type AgentStats = Schemas['AgentStats'];
export type VersionStats = Schemas['VersionStats'];
export type DailyRuns = Schemas['DailyRuns'];

export const studioKeys = {
  stats: (userId: string, handle: string, slug: string) => ['account', userId, 'agent-stats', handle, slug] as const,
};

export async function listMyAgents(signal?: AbortSignal): Promise<AgentView[]> {
  const list = await send(api.GET('/v1/me/agents', { signal }), signal);
  return list.agents;
}

export const myAgentsQuery = (userId: string) =>
  queryOptions({
    queryKey: catalogKeys.myAgents(userId),
    queryFn: ({ signal }) => listMyAgents(signal),
  });

export function getAgentStats(handle: string, slug: string, signal?: AbortSignal): Promise<AgentStats> {
  return send(api.GET('/v1/agents/{handle}/{slug}/stats', { params: { path: { handle, slug } }, signal }), signal);
}

/** GET .../stats: per version and per day (the last 30 days); the owner only. */
export const agentStatsQuery = (userId: string, handle: string, slug: string) =>
  queryOptions({
    queryKey: studioKeys.stats(userId, handle, slug),
    queryFn: ({ signal }) => getAgentStats(handle, slug, signal),
  });
