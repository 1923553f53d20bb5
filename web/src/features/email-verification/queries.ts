import { useMutation, useQuery, useQueryClient, type Query } from '@tanstack/react-query';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { ApiError } from '../../api/problem';
import { useSession } from '../../session/useSession';
import { emailKeys, outboxQuery, sendVerificationEmail, verifyEmail, type EmailVerified, type VerificationEmailSent } from './api';

/** Email confirmation as hooks: sending a new link, following one, and the dev outbox. */

/**
 * The signed-in user's dev outbox. `enabled: false` leaves it unread (the banner asks only
 * while the address is unconfirmed). A 404 means the server sends real email.
 */
export function useOutbox({ enabled = true }: { enabled?: boolean } = {}) {
  const { userId } = useSession();
  return useQuery({ ...outboxQuery(userId ?? ''), enabled: enabled && userId !== null });
}

/** True when the dev outbox answered: the server sends no real email, so links to /outbox make sense. */
export function useHasOutbox({ enabled = true }: { enabled?: boolean } = {}): boolean {
  return useOutbox({ enabled }).isSuccess;
}

/** The cached account, credits and ledger of whoever is signed in: what a confirmed address changes. */
function changedByVerification(query: Query): boolean {
  const [root, , part] = query.queryKey;
  return root === 'account' && (part === 'me' || part === 'credits' || part === 'ledger');
}

/**
 * POST /v1/me/verification-email: then the outbox is read again (the new mail is in it),
 * and `onSuccess`. A 409 says the address is confirmed already: the account is read again,
 * so the page stops asking.
 */
export function useSendVerificationEmail({ onSuccess, onError }: MutationHandlers<VerificationEmailSent> = {}) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  return useMutation({
    mutationFn: sendVerificationEmail,
    onSuccess: async (sent) => {
      if (userId) await queryClient.invalidateQueries({ queryKey: emailKeys.outbox(userId) });
      await onSuccess?.(sent);
    },
    onError: async (error) => {
      if (error instanceof ApiError && error.status === 409) {
        await queryClient.invalidateQueries({ predicate: changedByVerification });
      }
      await onError?.(error);
    },
  });
}

/**
 * POST /v1/auth/verify-email with a link's token. On success the account (the banner), the
 * credits (the header) and the ledger of whoever is signed in here are read again, then
 * `onSuccess`. The link may have been opened signed out, or by another account: nothing is
 * assumed about who it confirmed.
 */
export function useVerifyEmail({ onSuccess, onError }: MutationHandlers<EmailVerified> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: verifyEmail,
    onSuccess: async (verified) => {
      await queryClient.invalidateQueries({ predicate: changedByVerification });
      await onSuccess?.(verified);
    },
    onError,
  });
}
