import { useMutation, useQueryClient } from '@tanstack/react-query';
import { saveWorkflow, unsaveWorkflow, workflowKeys, type SavedWorkflow } from './api';

/** Updates the cached library of workflows after a save or an unsave. */
export function useSavedWorkflowMutations(userId: string, handle: string, slug: string) {
  const queryClient = useQueryClient();
  const address = `${handle}/${slug}`;
  const key = workflowKeys.saved(userId);
  const refresh = async () => {
    // Counters (save_count) changed: the workflow page and the listings read them again.
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: key }),
      queryClient.invalidateQueries({ queryKey: workflowKeys.workflows }),
      queryClient.invalidateQueries({ queryKey: workflowKeys.lists }),
      queryClient.invalidateQueries({ queryKey: workflowKeys.mine(userId) }),
    ]);
  };
  const save = useMutation({
    mutationFn: () => saveWorkflow(handle, slug),
    onSuccess: async (entry) => {
      // A new save goes first (most recently saved first); saving it again changes nothing.
      queryClient.setQueryData<SavedWorkflow[]>(key, (list) => {
        if (!list) return list;
        return list.some((saved) => saved.workflow.address === address)
          ? list.map((saved) => (saved.workflow.address === address ? entry : saved))
          : [entry, ...list];
      });
      await refresh();
    },
    // The library may have changed elsewhere (another tab): show it as it is.
    onError: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  const unsave = useMutation({
    mutationFn: () => unsaveWorkflow(handle, slug),
    onSuccess: async () => {
      queryClient.setQueryData<SavedWorkflow[]>(key, (list) =>
        list?.filter((saved) => saved.workflow.address !== address),
      );
      await refresh();
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  return { save, unsave };
}
