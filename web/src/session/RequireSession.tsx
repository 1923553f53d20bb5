import { Navigate, Outlet, useLocation } from 'react-router';
import { useSession } from './useSession';

/**
 * Guards the routes under it: while the start-up refresh is under way it shows a
 * placeholder; signed out, it sends the visitor to /signin?next=<this path> (which shows
 * why the session ended, e.g. after a password change).
 */
export function RequireSession() {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'restoring') {
    return (
      <div className="session-loading" role="status" aria-live="polite" data-testid="session-loading">
        <div className="skeleton skeleton-banner" aria-hidden="true" />
        <p className="visually-hidden">Checking your session…</p>
      </div>
    );
  }
  if (status === 'signed-out') {
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}
