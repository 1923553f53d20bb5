import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import { runKeys } from '../run/api';

/**
 * Credits (balance, limits, the ledger) and the caller's own provider keys. Amounts in
 * `CreditsView` are exact decimal strings in credits; the ledger and the daily series are
 * integer micro-credits (1 credit = 1,000,000).
 */

export type CreditsView = Schemas['CreditsView'];
export type DailyCredits = Schemas['DailyCredits'];
export type LedgerEntry = Schemas['LedgerEntry'];
export type LedgerKind = Schemas['LedgerKind'];
export type LedgerPage = Schemas['LedgerPage'];
export type SpendingLimitsRequest = Schemas['SpendingLimitsRequest'];
export type CredentialView = Schemas['CredentialView'];
export type CredentialProvider = Schemas['CredentialProvider'];
export type CreateProviderKeyRequest = Schemas['CreateProviderKeyRequest'];

export const providerKeysKey = (userId: string) => ['account', userId, 'provider-keys'] as const;

export function getCredits(signal?: AbortSignal): Promise<CreditsView> {
  return send(api.GET('/v1/me/credits', { signal }), signal);
}

export const creditsQuery = (userId: string) =>
  queryOptions({
    queryKey: runKeys.credits(userId),
    queryFn: ({ signal }) => getCredits(signal),
    staleTime: 15_000,
  });

/** PUT /v1/me/credits/limits: `null` removes a limit. 422 errors name `daily` or `monthly`. */
export function setSpendingLimits(limits: SpendingLimitsRequest): Promise<CreditsView> {
  return send(api.PUT('/v1/me/credits/limits', { body: limits }));
}

export function listLedger(before: number | null, limit: number, signal?: AbortSignal): Promise<LedgerPage> {
  const query = before === null ? { limit } : { before, limit };
  return send(api.GET('/v1/me/credits/ledger', { params: { query }, signal }), signal);
}

/** The ledger, newest first, page after page ("Load more" follows `next_before`). */
export const ledgerQuery = (userId: string, pageSize = 20) =>
  infiniteQueryOptions({
    queryKey: [...runKeys.ledger(userId), pageSize] as const,
    queryFn: ({ signal, pageParam }) => listLedger(pageParam, pageSize, signal),
    initialPageParam: null as number | null,
    getNextPageParam: (last: LedgerPage) => last.next_before ?? undefined,
  });

// ---- provider keys -------------------------------------------------------------------------

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
