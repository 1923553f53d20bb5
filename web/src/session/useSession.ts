import { useQuery } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { meQuery } from '../features/account/api';
import { getSessionState, restoreSession, subscribeSession, type SessionState } from '../api/session';

/**
 * The session state (signed in or not, user id, role; never the token), kept in sync with
 * session.ts. The first component to use it starts the one silent refresh that restores a
 * session from the refresh cookie.
 */
export function useSession(): SessionState {
  const session = useSyncExternalStore(subscribeSession, getSessionState);
  useEffect(() => {
    void restoreSession();
  }, []);
  return session;
}

/** The signed-in user's account (GET /v1/me), shared by the header and the account pages. */
export function useCurrentUser() {
  const { userId } = useSession();
  return useQuery({ ...meQuery(userId ?? ''), enabled: userId !== null });
}
