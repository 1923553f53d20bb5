import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiKey, CreatedApiKey } from '../../api/client';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { useSession } from '../../session/useSession';
import { apiKeysKey, apiKeysQuery, createApiKey, revokeApiKey } from './api';

/** The caller's API keys as hooks: the list, creating a key and revoking one. */

/** Every key of the signed-in user, newest first. */
export function useApiKeys() {
  const { userId } = useSession();
  return useQuery({ ...apiKeysQuery(userId ?? ''), enabled: userId !== null });
}

/**
 * POST /v1/me/api-keys. `onSuccess` gets the answer (the only one that holds the secret)
 * first; then the new key, without its secret, joins the cached list, which is read again.
 */
export function useCreateApiKey(userId: string, { onSuccess, onError }: MutationHandlers<CreatedApiKey> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createApiKey,
    // The answer holds the secret: do not let the mutation cache keep it after this page.
    gcTime: 0,
    onSuccess: async (created) => {
      onSuccess?.(created);
      // The list entry never holds the secret, only its prefix.
      const key = apiKeysKey(userId);
      queryClient.setQueryData<ApiKey[]>(key, (keys) => [created.api_key, ...(keys ?? [])]);
      await queryClient.invalidateQueries({ queryKey: key });
    },
    onError,
  });
}

/** DELETE /v1/me/api-keys/{id}: the key shows revoked at once, then the list is read again. */
export function useRevokeApiKey(userId: string, id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => revokeApiKey(id),
    onSuccess: async () => {
      const key = apiKeysKey(userId);
      queryClient.setQueryData<ApiKey[]>(key, (keys) =>
        keys?.map((k) => (k.id === id ? { ...k, status: 'revoked', revoked_at: new Date().toISOString() } : k)),
      );
      await queryClient.invalidateQueries({ queryKey: key });
    },
  });
}
