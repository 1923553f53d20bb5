import { Link, useLocation } from 'react-router';
import { useCurrentUser } from '../account/queries';
import { useSession } from '../../session/useSession';
import { VERIFY_EMAIL_PATH } from './links';
import { useHasOutbox } from './queries';
import { ResendLinkButton } from './ResendLinkButton';
import './email-verification.css';

/**
 * Under the header on every page while the signed-in user's address is unconfirmed: the free
 * sign-up credits wait for it. Send a new link, and (where the server sends no real email)
 * open the dev outbox. Not on the confirmation page itself, which says how it went.
 */
export function VerifyEmailBanner() {
  const { status } = useSession();
  const { data: user } = useCurrentUser();
  const location = useLocation();
  const unconfirmed = status === 'signed-in' && user?.email_verified === false;
  const hasOutbox = useHasOutbox({ enabled: unconfirmed });
  if (!unconfirmed || location.pathname === VERIFY_EMAIL_PATH) return null;
  return (
    <section className="verify-banner" aria-label="Email confirmation" data-testid="verify-banner">
      <div className="container verify-banner-inner">
        <p className="verify-banner-text">
          Confirm your email to get your free credits. We sent a link to <strong>{user.email}</strong>.
        </p>
        <div className="verify-banner-actions">
          <ResendLinkButton />
          {hasOutbox && location.pathname !== '/outbox' && (
            <Link to="/outbox" className="text-link" data-testid="open-outbox">
              Open the dev outbox
            </Link>
          )}
        </div>
      </div>
    </section>
  );
}
