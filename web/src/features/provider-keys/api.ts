import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';

/**
 * The caller's own provider keys (OpenAI, Anthropic, OpenAI-compatible), for runs on their
 * account, and their MCP servers (`mcp_server`), whose tools their agents may declare.
 */

export type CredentialView = Schemas['CredentialView'];
export type CredentialProvider = Schemas['CredentialProvider'];
export type CreateProviderKeyRequest = Schemas['CreateProviderKeyRequest'];

export const providerKeysKey = (userId: string) => ['account', userId, 'provider-keys'] as const;

export async function listProviderKeys(signal?: AbortSignal): Promise<CredentialView[]> {
  const list = await send(api.GET('/v1/me/provider-keys', { signal }), signal);
  return list.provider_keys;
}

export const providerKeysQuery = (userId: string) =>
  queryOptions({
    queryKey: providerKeysKey(userId),
    queryFn: ({ signal }) => listProviderKeys(signal),
  });

/** POST /v1/me/provider-keys: the key is sent once and never shown again (only its last four). */
export function createProviderKey(request: CreateProviderKeyRequest): Promise<CredentialView> {
  return send(api.POST('/v1/me/provider-keys', { body: request }));
}

export async function deleteProviderKey(id: string): Promise<void> {
  await send(api.DELETE('/v1/me/provider-keys/{id}', { params: { path: { id } } }));
}
