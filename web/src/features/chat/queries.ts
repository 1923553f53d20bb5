import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { MutationHandlers } from '../../api/mutationHandlers';
import {
  chatKeys,
  conversationQuery,
  conversationsQuery,
  createConversation,
  deleteConversation,
  type ConversationRecord,
  type CreateConversationRequest,
} from './api';

/** Conversations as hooks: the list, one conversation, starting and deleting one. */

export function useConversations(userId: string) {
  return useQuery(conversationsQuery(userId));
}

export function useConversation(userId: string, id: string) {
  return useQuery(conversationQuery(userId, id));
}

/** POST /v1/conversations: the list is read again, then `onSuccess` gets the new conversation. */
export function useStartConversation(userId: string, { onSuccess }: MutationHandlers<ConversationRecord> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateConversationRequest) => createConversation(request),
    onSuccess: async (conversation) => {
      await queryClient.invalidateQueries({ queryKey: chatKeys.conversations(userId) });
      await onSuccess?.(conversation);
    },
  });
}

/**
 * DELETE /v1/conversations/{id}: it leaves the cached list and its messages are forgotten;
 * then `onSuccess`, and the list is read again.
 */
export function useDeleteConversation(userId: string, id: string, { onSuccess }: MutationHandlers<void> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => deleteConversation(id),
    onSuccess: async () => {
      queryClient.setQueryData<ConversationRecord[]>(chatKeys.conversations(userId), (list) =>
        list?.filter((item) => item.id !== id),
      );
      queryClient.removeQueries({ queryKey: chatKeys.conversation(userId, id) });
      onSuccess?.();
      await queryClient.invalidateQueries({ queryKey: chatKeys.conversations(userId) });
    },
  });
}

/** Reads the conversation and the list of conversations again (after an answer). */
export function useRefreshConversation(userId: string, id: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: chatKeys.conversation(userId, id) }),
      queryClient.invalidateQueries({ queryKey: chatKeys.conversations(userId) }),
    ]);
}
