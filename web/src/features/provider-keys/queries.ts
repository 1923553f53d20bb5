import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { useSession } from '../../session/useSession';
import { createProviderKey, deleteProviderKey, providerKeysKey, providerKeysQuery, type CredentialView } from './api';

/** The caller's provider keys as hooks: the list, adding a key and deleting one. */

export function useProviderKeys() {
  const { userId } = useSession();
  return useQuery({ ...providerKeysQuery(userId ?? ''), enabled: userId !== null });
}

/** POST /v1/me/provider-keys. `onSuccess` comes first; then the key joins the cached list, which is read again. */
export function useAddProviderKey(userId: string, { onSuccess, onError }: MutationHandlers<CredentialView> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createProviderKey,
    // The request held the key: do not let the mutation cache keep it.
    gcTime: 0,
    onSuccess: async (created) => {
      onSuccess?.(created);
      const key = providerKeysKey(userId);
      queryClient.setQueryData<CredentialView[]>(key, (list) => [created, ...(list ?? []).filter((item) => item.id !== created.id)]);
      await queryClient.invalidateQueries({ queryKey: key });
    },
    onError,
  });
}

/** DELETE /v1/me/provider-keys/{id}: the key leaves the cached list, which is read again. */
export function useDeleteProviderKey(userId: string, id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => deleteProviderKey(id),
    onSuccess: async () => {
      const key = providerKeysKey(userId);
      queryClient.setQueryData<CredentialView[]>(key, (list) => list?.filter((item) => item.id !== id));
      await queryClient.invalidateQueries({ queryKey: key });
    },
  });
}
