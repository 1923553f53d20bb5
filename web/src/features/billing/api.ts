import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import { runKeys } from '../run/api';

/**
 * Credits: the balance, the spending limits and the ledger. Amounts in
 * `CreditsView` are exact decimal strings in credits; the ledger and the daily series are
 * integer micro-credits (1 credit = 1,000,000).
 */

export type CreditsView = Schemas['CreditsView'];
export type DailyCredits = Schemas['DailyCredits'];
export type LedgerEntry = Schemas['LedgerEntry'];
export type LedgerKind = Schemas['LedgerKind'];
export type LedgerPage = Schemas['LedgerPage'];
export type SpendingLimitsRequest = Schemas['SpendingLimitsRequest'];

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
