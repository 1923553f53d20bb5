import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useLocation } from 'react-router';
import { accountKeys } from '../features/account/api';
import { creditsQuery } from '../features/billing/api';
import { errorMessage } from '../api/problem';
import { signOut } from '../api/session';
import { nextQuery } from '../session/nextPath';
import { useCurrentUser, useSession } from '../session/useSession';

/**
 * The header's account corner: Sign in / Sign up when signed out; the credits available (a
 * link to usage and billing), the user's name (a link to their account) and Sign out when
 * signed in; nothing while the session is restored.
 */
export function UserMenu() {
  const { status, userId } = useSession();
  const { data: user } = useCurrentUser();
  const credits = useQuery({ ...creditsQuery(userId ?? ''), enabled: userId !== null });
  const queryClient = useQueryClient();
  const location = useLocation();
  const logout = useMutation({ mutationFn: signOut });

  // However the session ended (sign-out, password change, expiry), drop the account's data.
  useEffect(() => {
    if (status === 'signed-out') queryClient.removeQueries({ queryKey: accountKeys.all });
  }, [status, queryClient]);

  if (status === 'restoring') return <div className="user-menu" aria-hidden="true" />;

  if (status === 'signed-out') {
    const next = nextQuery(`${location.pathname}${location.search}`);
    return (
      <div className="user-menu" data-testid="user-menu">
        <Link to={`/signin${next}`} className="nav-link">
          Sign in
        </Link>
        <Link to={`/signup${next}`} className="button button-primary button-small">
          Sign up
        </Link>
      </div>
    );
  }

  return (
    <div className="user-menu" data-testid="user-menu">
      {credits.data && (
        <Link
          to="/account/billing"
          className="credits-chip"
          title="Credits available: usage and billing"
          data-testid="credits-chip"
        >
          {credits.data.available} <span className="credits-chip-unit">credits</span>
        </Link>
      )}
      <Link to="/account" className="user-chip" title="Your account">
        <span className="avatar" aria-hidden="true">
          {user ? [...user.display_name][0]?.toUpperCase() : ''}
        </span>
        {user ? (
          <span className="user-name" data-testid="user-name">
            {user.display_name}
          </span>
        ) : (
          <span className="user-name">Your account</span>
        )}
      </Link>
      <button
        type="button"
        className="button button-small"
        onClick={() => logout.mutate()}
        disabled={logout.isPending}
        data-testid="sign-out"
      >
        {logout.isPending ? 'Signing out…' : 'Sign out'}
      </button>
      {logout.error && (
        <p className="user-menu-error" role="alert">
          Could not sign out: {errorMessage(logout.error)}
        </p>
      )}
    </div>
  );
}
