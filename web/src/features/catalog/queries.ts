import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { useSession } from '../../session/useSession';
import {
  agentQuery,
  catalogKeys,
  categoriesQuery,
  creatorQuery,
  exportAgent,
  forkAgent,
  listingQuery,
  llmModelsQuery,
  saveAgent,
  savedQuery,
  searchQuery,
  splitAddress,
  unsaveAgent,
  versionsQuery,
  type AgentView,
  type ListingQuery,
  type SavedView,
} from './api';

/**
 * The marketplace's server state as hooks: listings and searches, categories and models,
 * an agent and its versions, creators, the caller's library, fork and export. What depends
 * on who asks is read as the signed-in user (the session's user id is part of its key).
 */

/** A short, fixed listing (one page, no cursor); idle while `enabled` is false. */
export function useAgentListing(query: ListingQuery, enabled = true) {
  return useQuery({ ...listingQuery(query), enabled });
}

/**
 * A search, page after page, with facet counts. The previous results stay on screen while
 * the next search loads; `startOver` drops every page of this search and asks again.
 */
export function useAgentSearch(query: ListingQuery) {
  const queryClient = useQueryClient();
  const options = searchQuery(query);
  const results = useInfiniteQuery({ ...options, placeholderData: keepPreviousData });
  const startOver = () => void queryClient.resetQueries({ queryKey: options.queryKey });
  return { results, startOver };
}

export function useCategories() {
  return useQuery(categoriesQuery);
}

/** Category slug to display name, from GET /v1/categories (empty until it answers). */
export function useCategoryNames(): Map<string, string> {
  const { data } = useCategories();
  return useMemo(() => new Map((data ?? []).map((category) => [category.slug, category.name])), [data]);
}

/** The models an agent may name (GET /v1/llm-models). */
export function useLlmModels() {
  return useQuery(llmModelsQuery);
}

export function useCreator(handle: string) {
  return useQuery(creatorQuery(handle));
}

/** One agent as the signed-in user sees it (the draft and `is_owner` for its owner). */
export function useAgent(handle: string, slug: string, enabled = true) {
  const { userId } = useSession();
  return useQuery({ ...agentQuery(userId, handle, slug), enabled });
}

/** An agent's published versions, newest first. */
export function useAgentVersions(handle: string, slug: string) {
  const { userId } = useSession();
  return useQuery(versionsQuery(userId, handle, slug));
}

/** The published versions of the agent at `ref` (`handle/slug`), to pin one; idle for an empty or malformed ref. */
export function useVersionsToPin(ref: string) {
  const { userId } = useSession();
  const parts = splitAddress(ref);
  return useQuery({
    ...versionsQuery(userId, parts?.handle ?? '', parts?.slug ?? ''),
    enabled: parts !== null,
    staleTime: 60_000,
  });
}

/** The signed-in user's saved agents, with their pins. */
export function useSavedAgents() {
  const { userId } = useSession();
  return useQuery({ ...savedQuery(userId ?? ''), enabled: userId !== null });
}

/** Updates the cached library after a save, a re-pin or an unsave. */
export function useSavedMutations(userId: string, handle: string, slug: string) {
  const queryClient = useQueryClient();
  const address = `${handle}/${slug}`;
  const key = catalogKeys.saved(userId);
  const refresh = async () => {
    // Counters (save_count) changed: the agent page and listings read them again.
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: key }),
      queryClient.invalidateQueries({ queryKey: catalogKeys.agents }),
    ]);
  };
  const save = useMutation({
    mutationFn: (pinned: number | null) => saveAgent(handle, slug, pinned),
    onSuccess: async (entry) => {
      // A new save goes first (most recently saved first); a re-pin stays where it was.
      queryClient.setQueryData<SavedView[]>(key, (list) => {
        if (!list) return list;
        return list.some((saved) => saved.address === address)
          ? list.map((saved) => (saved.address === address ? entry : saved))
          : [entry, ...list];
      });
      await refresh();
    },
  });
  const unsave = useMutation({
    mutationFn: () => unsaveAgent(handle, slug),
    onSuccess: async () => {
      queryClient.setQueryData<SavedView[]>(key, (list) => list?.filter((saved) => saved.address !== address));
      await refresh();
    },
  });
  return { save, unsave };
}

/** POST .../forks: the caller's agents are read again, then `onSuccess` gets the fork. */
export function useForkAgent(view: AgentView, { onSuccess }: MutationHandlers<AgentView> = {}) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  return useMutation({
    mutationFn: () => forkAgent(view.agent.handle, view.agent.slug),
    onSuccess: async (forked) => {
      if (userId) await queryClient.invalidateQueries({ queryKey: catalogKeys.myAgents(userId) });
      await onSuccess?.(forked);
    },
  });
}

/** GET .../export: `onSuccess` gets the file. */
export function useExportAgent(view: AgentView, handlers: MutationHandlers<{ blob: Blob; filename: string }> = {}) {
  return useMutation({ mutationFn: () => exportAgent(view.agent.handle, view.agent.slug), ...handlers });
}
