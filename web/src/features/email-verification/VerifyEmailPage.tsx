import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/problem';
import { creditsLabel } from '../../format/credits';
import { useSession } from '../../session/useSession';
import type { EmailVerified } from './api';
import { tokenFromHash } from './links';
import { useVerifyEmail } from './queries';
import { ResendLinkButton } from './ResendLinkButton';
import './email-verification.css';

/**
 * Why the link did not work, in the server's words: the token's field error of a 422 (a
 * message about the field, "has expired; ...", said of "This link"), else the problem.
 */
function failureText(error: unknown): string {
  if (error instanceof ApiError) {
    const onToken = error.fieldErrors.token?.[0]?.trim();
    if (onToken) {
      const sentence = /^[a-z]/.test(onToken) ? `This link ${onToken}` : onToken;
      return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
    }
    if (error.problem?.detail?.trim()) return error.problem.detail;
  }
  return errorMessage(error);
}

/** True when following the same link again may work (no answer, a 5xx, a 429), unlike a refused token. */
function worthRetrying(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500;
}

/** What to do about a link that did not work: send a new one (signed in), or sign in to do so. */
function NextStep() {
  const { status } = useSession();
  if (status === 'signed-in') return <ResendLinkButton className="button button-primary" />;
  if (status === 'signed-out') {
    return (
      <p>
        <Link to={`/signin?next=${encodeURIComponent('/account/billing')}`} className="button button-primary" data-testid="verify-sign-in">
          Sign in to send a new link
        </Link>
      </p>
    );
  }
  return null;
}

function Confirmed({ verified }: { verified: EmailVerified }) {
  const granted = Number(verified.credits_granted) > 0;
  return (
    <>
      <h1 id="verify-title">Email confirmed</h1>
      <div role="status" data-testid="verify-success">
        <p className="form-notice">Your email is confirmed.</p>
        {granted && (
          <p className="verify-credits" data-testid="credits-granted">
            {creditsLabel(verified.credits_granted)} {Number(verified.credits_granted) === 1 ? 'was' : 'were'} added to your balance.
          </p>
        )}
      </div>
      <div className="hero-actions">
        <Link to="/marketplace" className="button button-primary">
          Browse the marketplace
        </Link>
        <Link to="/account/billing" className="button">
          See your credits
        </Link>
      </div>
    </>
  );
}

/**
 * /verify-email#token=...: follows a confirmation link from the mail, signed in or not (it
 * may be opened in another browser). The token is read once and taken out of the address
 * bar at once; it is sent once, whatever React's Strict Mode does with the effect.
 */
export function VerifyEmailPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const [token] = useState(() => tokenFromHash(location.hash));
  const verify = useVerifyEmail();
  const { mutate: confirm } = verify;
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    // The token is a credential: keep it out of the history, bookmarks and screenshots.
    if (location.hash) void navigate({ pathname: location.pathname, search: location.search }, { replace: true });
    if (token) confirm(token);
  }, [token, confirm, navigate, location.hash, location.pathname, location.search]);

  let body;
  if (!token) {
    body = (
      <>
        <h1 id="verify-title">Confirm your email</h1>
        <p className="lead" data-testid="verify-no-token">
          This address holds no confirmation link. Open the link in the email we sent you again, or send a new one.
        </p>
        <NextStep />
      </>
    );
  } else if (verify.isSuccess) {
    body = <Confirmed verified={verify.data} />;
  } else if (verify.isError) {
    body = (
      <>
        <h1 id="verify-title">We could not confirm your email</h1>
        <div className="form-alert" role="alert" data-testid="verify-error">
          <p>{failureText(verify.error)}</p>
          {worthRetrying(verify.error) && (
            <button type="button" className="button button-small" onClick={() => confirm(token)}>
              Try again
            </button>
          )}
        </div>
        <NextStep />
      </>
    );
  } else {
    body = (
      <>
        <h1 id="verify-title">Confirming your email…</h1>
        <div role="status" aria-label="Confirming your email" data-testid="verify-pending">
          <div className="skeleton skeleton-banner" aria-hidden="true" />
        </div>
      </>
    );
  }

  return (
    <>
      <title>Confirm your email · Agora</title>
      <section className="verify-page" aria-labelledby="verify-title">
        <div className="card verify-card">{body}</div>
      </section>
    </>
  );
}
