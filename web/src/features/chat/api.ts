import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import { streamAnswer, type StreamHandlers } from '../run/api';

/**
 * Conversations with an agent: the caller's list, one conversation with its messages,
 * starting and deleting one, and the streamed answers to a message or a regeneration.
 */

export type ReplyRequest = Schemas['ReplyRequest'];
export type RegenerateRequest = Schemas['RegenerateRequest'];
export type ConversationRecord = Schemas['ConversationRecord'];
export type ConversationView = Schemas['ConversationView'];
export type MessageRecord = Schemas['MessageRecord'];
export type CreateConversationRequest = Schemas['CreateConversationRequest'];

/** Under `account`, so signing out drops them with the rest of the account's data. */
export const chatKeys = {
  conversations: (userId: string) => ['account', userId, 'conversations'] as const,
  conversation: (userId: string, id: string) => ['account', userId, 'conversations', id] as const,
};

/** POST /v1/conversations/{id}/messages: the user's message and the streamed answer. */
export function streamReply(conversationId: string, content: string, handlers?: StreamHandlers, signal?: AbortSignal) {
  const body: ReplyRequest = { content, stream: true };
  return streamAnswer(`/v1/conversations/${encodeURIComponent(conversationId)}/messages`, body, handlers, signal);
}

/** POST /v1/conversations/{id}/regenerate: a new last answer, replacing the previous one. */
export function streamRegenerate(conversationId: string, handlers?: StreamHandlers, signal?: AbortSignal) {
  const body: RegenerateRequest = { stream: true };
  return streamAnswer(`/v1/conversations/${encodeURIComponent(conversationId)}/regenerate`, body, handlers, signal);
}

export async function listConversations(signal?: AbortSignal): Promise<ConversationRecord[]> {
  const list = await send(api.GET('/v1/conversations', { signal }), signal);
  return list.conversations;
}

export const conversationsQuery = (userId: string) =>
  queryOptions({
    queryKey: chatKeys.conversations(userId),
    queryFn: ({ signal }) => listConversations(signal),
  });

export function getConversation(id: string, signal?: AbortSignal): Promise<ConversationView> {
  return send(api.GET('/v1/conversations/{id}', { params: { path: { id } }, signal }), signal);
}

export const conversationQuery = (userId: string, id: string) =>
  queryOptions({
    queryKey: chatKeys.conversation(userId, id),
    queryFn: ({ signal }) => getConversation(id, signal),
  });

export function createConversation(request: CreateConversationRequest): Promise<ConversationRecord> {
  return send(api.POST('/v1/conversations', { body: request }));
}

export async function deleteConversation(id: string): Promise<void> {
  await send(api.DELETE('/v1/conversations/{id}', { params: { path: { id } } }));
}

/** The UI path of a conversation. */
export function chatPath(id: string): string {
  return `/chat/${encodeURIComponent(id)}`;
}
