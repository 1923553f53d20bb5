import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type ApiKey, type ApiKeyList, type CreateApiKeyRequest, type CreatedApiKey, type UpdateMeRequest, type User } from '../../api/client';

/**
 * The signed-in user's own account: GET/PATCH /v1/me and /v1/me/api-keys. The bearer token
 * and the refresh-on-401 come from the `api` client's middleware (session.ts).
 */

/**
 * Query keys, scoped by user id so one account's data can never show for another, and all
 * under `account` so signing out can drop them in one call.
 */
export const accountKeys = {
  all: ['account'] as const,
  me: (userId: string) => ['account', userId, 'me'] as const,
  apiKeys: (userId: string) => ['account', userId, 'api-keys'] as const,
};

export function fetchMe(signal?: AbortSignal): Promise<User> {
  return send(api.GET('/v1/me', { signal }), signal);
}

/** PATCH /v1/me. Changing the password signs out every session, this one included. */
export function updateMe(changes: UpdateMeRequest): Promise<User> {
  return send(api.PATCH('/v1/me', { body: changes }));
}

export async function listApiKeys(signal?: AbortSignal): Promise<ApiKey[]> {
  const list: ApiKeyList = await send(api.GET('/v1/me/api-keys', { signal }), signal);
  return list.api_keys;
}

/** POST /v1/me/api-keys: the only answer that ever holds the secret key. */
export function createApiKey(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
  return send(api.POST('/v1/me/api-keys', { body: request }));
}

export async function revokeApiKey(id: string): Promise<void> {
  await send(api.DELETE('/v1/me/api-keys/{id}', { params: { path: { id } } }));
}

export const meQuery = (userId: string) =>
  queryOptions({
    queryKey: accountKeys.me(userId),
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: 60_000,
  });

export const apiKeysQuery = (userId: string) =>
  queryOptions({
    queryKey: accountKeys.apiKeys(userId),
    queryFn: ({ signal }) => listApiKeys(signal),
  });
