import { useMutation, useQueryClient } from '@tanstack/react-query';
import { catalogKeys, saveAgent, unsaveAgent, type SavedView } from './api';

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
