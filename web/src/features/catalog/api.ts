import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import type { operations } from '../../api/schema';

/**
 * The marketplace: browsing and searching, agent pages, creators, the caller's own agents
 * (drafts, versions, forks, import/export) and saved agents. Every type comes from the
 * generated schema; the bearer token comes from the `api` client's middleware.
 */

export type AgentCard = Schemas['AgentCard'];
export type ForkOrigin = Schemas['ForkOrigin'];
export type AgentSpec = Schemas['AgentSpec'];
export type AgentSummary = Schemas['AgentSummary'];
export type AgentView = Schemas['AgentView'];
export type AgentStatus = Schemas['AgentStatus'];
export type VersionView = Schemas['VersionView'];
export type ListingPage = Schemas['ListingPage'];
export type Facets = Schemas['Facets'];
export type FacetCount = Schemas['FacetCount'];
export type Category = Schemas['Category'];
export type CreatorPage = Schemas['CreatorPage'];
export type LlmModel = Schemas['LlmModel'];
export type Provider = Schemas['Provider'];
export type SavedView = Schemas['SavedView'];
export type SearchMode = Schemas['SearchMode'];
export type CatalogSort = Schemas['CatalogSort'];
export type Licence = Schemas['Licence'];
export type Visibility = Schemas['Visibility'];
export type InputField = Schemas['InputField'];
export type InputKind = Schemas['InputKind'];
export type ExampleMessage = Schemas['ExampleMessage'];
export type ModelRef = Schemas['ModelRef'];
export type ListingQuery = NonNullable<operations['list_agents']['parameters']['query']>;

/** The embedding model the server uses when no provider is configured: word hashing, not meaning. */
export const OFFLINE_EMBEDDING_MODEL = 'agora/offline-hash-256';

/**
 * Query keys. Whatever depends on who asks (an agent's draft and `is_owner`, the caller's
 * agents and library) carries the viewer's user id, so one account's data never shows for
 * another; the caller's own lists sit under `account` so signing out drops them at once.
 */
export const catalogKeys = {
  all: ['catalog'] as const,
  lists: ['catalog', 'list'] as const,
  list: (query: ListingQuery) => ['catalog', 'list', query] as const,
  categories: ['catalog', 'categories'] as const,
  models: ['catalog', 'llm-models'] as const,
  agents: ['catalog', 'agent'] as const,
  agent: (viewer: string | null, handle: string, slug: string) =>
    ['catalog', 'agent', viewer ?? 'anonymous', handle, slug] as const,
  versions: (viewer: string | null, handle: string, slug: string) =>
    ['catalog', 'versions', viewer ?? 'anonymous', handle, slug] as const,
  creator: (handle: string) => ['catalog', 'creator', handle] as const,
  myAgents: (userId: string) => ['account', userId, 'agents'] as const,
  saved: (userId: string) => ['account', userId, 'saved-agents'] as const,
};

/** `handle/slug` split in two; null for anything else. */
export function splitAddress(address: string): { handle: string; slug: string } | null {
  const [handle, slug, ...rest] = address.split('/');
  return handle && slug && rest.length === 0 ? { handle, slug } : null;
}

/** The UI path of an agent's page. */
export function agentPath(address: string): string {
  const parts = splitAddress(address);
  return parts ? `/agents/${encodeURIComponent(parts.handle)}/${encodeURIComponent(parts.slug)}` : '/marketplace';
}

/** The UI path of the editor of one of the caller's agents. */
export function editorPath(handle: string, slug: string): string {
  return `/studio/agents/${encodeURIComponent(handle)}/${encodeURIComponent(slug)}`;
}

// ---- browsing ---------------------------------------------------------------------------

export function listAgents(query: ListingQuery, signal?: AbortSignal): Promise<ListingPage> {
  return send(api.GET('/v1/agents', { params: { query }, signal }), signal);
}

/** A short, fixed listing (the marketplace home's rows): one page, no cursor. */
export const listingQuery = (query: ListingQuery) =>
  queryOptions({
    queryKey: catalogKeys.list(query),
    queryFn: ({ signal }) => listAgents(query, signal),
    staleTime: 30_000,
  });

/**
 * A search, page after page ("Load more" follows `next_cursor`), with facet counts (the
 * API computes them on the first page only, over the results when there are words).
 * TanStack Query aborts the signal of a request whose query nobody watches any more, so a
 * stale search is cancelled as soon as the user has typed something else.
 */
export const searchQuery = (query: ListingQuery) =>
  infiniteQueryOptions({
    queryKey: [...catalogKeys.list(query), 'pages'] as const,
    queryFn: ({ signal, pageParam }) =>
      listAgents(pageParam ? { ...query, facets: true, cursor: pageParam } : { ...query, facets: true }, signal),
    initialPageParam: '',
    getNextPageParam: (last: ListingPage) => last.next_cursor ?? undefined,
    staleTime: 15_000,
  });

export async function listCategories(signal?: AbortSignal): Promise<Category[]> {
  const list = await send(api.GET('/v1/categories', { signal }), signal);
  return list.categories;
}

export const categoriesQuery = queryOptions({
  queryKey: catalogKeys.categories,
  queryFn: ({ signal }) => listCategories(signal),
  staleTime: 5 * 60_000,
});

export async function listLlmModels(signal?: AbortSignal): Promise<LlmModel[]> {
  const list = await send(api.GET('/v1/llm-models', { signal }), signal);
  return list.models;
}

export const llmModelsQuery = queryOptions({
  queryKey: catalogKeys.models,
  queryFn: ({ signal }) => listLlmModels(signal),
  staleTime: 60 * 60_000,
});

export function getCreator(handle: string, signal?: AbortSignal): Promise<CreatorPage> {
  return send(api.GET('/v1/creators/{handle}', { params: { path: { handle } }, signal }), signal);
}

export const creatorQuery = (handle: string) =>
  queryOptions({
    queryKey: catalogKeys.creator(handle),
    queryFn: ({ signal }) => getCreator(handle, signal),
  });

// ---- one agent ------------------------------------------------------------------------

export function getAgent(handle: string, slug: string, signal?: AbortSignal): Promise<AgentView> {
  return send(api.GET('/v1/agents/{handle}/{slug}', { params: { path: { handle, slug } }, signal }), signal);
}

export const agentQuery = (viewer: string | null, handle: string, slug: string) =>
  queryOptions({
    queryKey: catalogKeys.agent(viewer, handle, slug),
    queryFn: ({ signal }) => getAgent(handle, slug, signal),
  });

export async function listVersions(handle: string, slug: string, signal?: AbortSignal): Promise<VersionView[]> {
  const list = await send(
    api.GET('/v1/agents/{handle}/{slug}/versions', { params: { path: { handle, slug } }, signal }),
    signal,
  );
  return list.versions;
}

export const versionsQuery = (viewer: string | null, handle: string, slug: string) =>
  queryOptions({
    queryKey: catalogKeys.versions(viewer, handle, slug),
    queryFn: ({ signal }) => listVersions(handle, slug, signal),
  });

// ---- the caller's own agents ------------------------------------------------------------

/** POST .../forks: a private draft of the caller's, copied from the latest version. */
export function forkAgent(handle: string, slug: string): Promise<AgentView> {
  return send(api.POST('/v1/agents/{handle}/{slug}/forks', { params: { path: { handle, slug } }, body: {} }));
}

/**
 * GET .../export as a file. Fetched through the API client (not a plain link) so the bearer
 * token goes with it: an owner may export a private or sealed agent.
 */
export async function exportAgent(handle: string, slug: string): Promise<{ blob: Blob; filename: string }> {
  const blob = await send(
    api.GET('/v1/agents/{handle}/{slug}/export', { params: { path: { handle, slug } }, parseAs: 'blob' }),
  );
  return { blob, filename: `${handle}-${slug}.agent.json` };
}

// ---- saved agents -----------------------------------------------------------------------

export async function listSaved(signal?: AbortSignal): Promise<SavedView[]> {
  const list = await send(api.GET('/v1/me/saved-agents', { signal }), signal);
  return list.saved;
}

export const savedQuery = (userId: string) =>
  queryOptions({
    queryKey: catalogKeys.saved(userId),
    queryFn: ({ signal }) => listSaved(signal),
  });

/** PUT /v1/me/saved-agents/{handle}/{slug}: saves, or changes the pin (null follows the latest version). */
export function saveAgent(handle: string, slug: string, pinnedVersion: number | null): Promise<SavedView> {
  return send(
    api.PUT('/v1/me/saved-agents/{handle}/{slug}', {
      params: { path: { handle, slug } },
      body: pinnedVersion === null ? {} : { pinned_version: pinnedVersion },
    }),
  );
}

export async function unsaveAgent(handle: string, slug: string): Promise<void> {
  await send(api.DELETE('/v1/me/saved-agents/{handle}/{slug}', { params: { path: { handle, slug } } }));
}
