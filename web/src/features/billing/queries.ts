import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { useSession } from '../../session/useSession';
import { runKeys } from '../run/api';
import { creditsQuery, ledgerQuery, setSpendingLimits, type CreditsView } from './api';

/** Credits as hooks: the balance (shared by the header and the billing page), the ledger, the limits. */

/** The signed-in user's credits. */
export function useCredits() {
  const { userId } = useSession();
  return useQuery({ ...creditsQuery(userId ?? ''), enabled: userId !== null });
}

/** The ledger, newest first, page after page. */
export function useLedger(userId: string) {
  return useInfiniteQuery(ledgerQuery(userId));
}

/** PUT /v1/me/credits/limits: the cached credits take the answer, then `onSuccess`. */
export function useSetSpendingLimits(userId: string, { onSuccess, onError }: MutationHandlers<CreditsView> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setSpendingLimits,
    onSuccess: (updated) => {
      queryClient.setQueryData(runKeys.credits(userId), updated);
      onSuccess?.(updated);
    },
    onError,
  });
}
