import { useEffect, useSyncExternalStore } from 'react';
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
