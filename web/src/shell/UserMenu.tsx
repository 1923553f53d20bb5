import { Link, useLocation } from 'react-router';
import { errorMessage } from '../api/problem';
import { useCurrentUser, useDropAccountDataWhenSignedOut, useSignOut } from '../features/account/queries';
import { useCredits } from '../features/billing/queries';
import { nextQuery } from '../session/nextPath';
import { useSession } from '../session/useSession';

/**
 * The header's account corner: Sign in / Sign up when signed out; the credits available (a
 * link to usage and billing), the user's name (a link to their account) and Sign out when
 * signed in; nothing while the session is restored.
 */
export function UserMenu() {
  const { status } = useSession();
  const { data: user } = useCurrentUser();
  const credits = useCredits();
  const location = useLocation();
  const logout = useSignOut();
  useDropAccountDataWhenSignedOut(status);

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
