import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type ApiKey, type ApiKeyList, type CreateApiKeyRequest, type CreatedApiKey } from '../../api/client';

/** The caller's API keys: GET/POST /v1/me/api-keys and DELETE /v1/me/api-keys/{id}. */

/** Under `account`, so signing out drops the list with the rest of the account's data. */
export const apiKeysKey = (userId: string) => ['account', userId, 'api-keys'] as const;

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

export const apiKeysQuery = (userId: string) =>
  queryOptions({
    queryKey: apiKeysKey(userId),
    queryFn: ({ signal }) => listApiKeys(signal),
  });
