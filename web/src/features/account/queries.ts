import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { User } from '../../api/client';
import type { MutationHandlers } from '../../api/mutationHandlers';
import {
  endSession,
  PASSWORD_CHANGED_NOTICE,
  signIn,
  signOut,
  signUp,
  type SessionResponse,
  type SessionStatus,
} from '../../api/session';
import { useSession } from '../../session/useSession';
import { accountKeys, meQuery, updateMe } from './api';

/** The account's server state as hooks: what the account pages and the header read and change. */

/** The signed-in user's account (GET /v1/me), shared by the header and the account pages. */
export function useCurrentUser() {
  const { userId } = useSession();
  return useQuery({ ...meQuery(userId ?? ''), enabled: userId !== null });
}

/** PATCH /v1/me with a new display name: the header shows the name from the same cache entry. */
export function useUpdateDisplayName({ onError }: MutationHandlers<User> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (display_name: string) => updateMe({ display_name }),
    onSuccess: (updated) => queryClient.setQueryData(accountKeys.me(updated.id), updated),
    onError,
  });
}

/** PATCH /v1/me with the handle and the bio; the addresses of the user's agents change with the handle. */
export function useUpdatePublicProfile({ onError }: MutationHandlers<User> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (changes: { handle?: string; bio?: string }) => updateMe(changes),
    onSuccess: async (updated) => {
      queryClient.setQueryData(accountKeys.me(updated.id), updated);
      await queryClient.invalidateQueries({ queryKey: ['catalog'] });
    },
    onError,
  });
}

/**
 * PATCH /v1/me with a new password. The server then signs out every session of the account,
 * this one included: it is forgotten here too, and the account pages send the user to sign
 * in again, with a notice saying why.
 */
export function useChangePassword({ onError }: MutationHandlers<User> = {}) {
  return useMutation({
    mutationFn: (passwords: { current_password: string; new_password: string }) => updateMe(passwords),
    onSuccess: () => endSession(PASSWORD_CHANGED_NOTICE),
    onError,
  });
}

/** POST /v1/auth/login, which starts the session. */
export function useSignIn(handlers: MutationHandlers<SessionResponse> = {}) {
  return useMutation({ mutationFn: signIn, ...handlers });
}

/** POST /v1/auth/register, which starts the new account's session. */
export function useSignUp(handlers: MutationHandlers<SessionResponse> = {}) {
  return useMutation({ mutationFn: signUp, ...handlers });
}

/** POST /v1/auth/logout, which ends the session. */
export function useSignOut() {
  return useMutation({ mutationFn: signOut });
}

/** However the session ended (sign-out, password change, expiry), drops the account's cached data. */
export function useDropAccountDataWhenSignedOut(status: SessionStatus) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (status === 'signed-out') queryClient.removeQueries({ queryKey: accountKeys.all });
  }, [status, queryClient]);
}
