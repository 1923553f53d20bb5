import { Link } from 'react-router';
import { ApiError } from '../../api/problem';
import { formatDateTime } from '../../format/dates';
import { LoadError } from '../../ui/LoadError';
import type { OutboxMail } from './api';
import { linkTarget } from './links';
import { useOutbox } from './queries';
import './email-verification.css';

/** The mail's one link as a button: a confirmation link opens on this site (see linkTarget). */
function MailLink({ link }: { link: string }) {
  const target = linkTarget(link);
  return 'inApp' in target ? (
    <Link to={target.inApp} className="button button-primary button-small" data-testid="outbox-confirm">
      Confirm email
    </Link>
  ) : (
    <a href={target.external} className="button button-primary button-small" rel="noopener noreferrer" data-testid="outbox-confirm">
      Confirm email
    </a>
  );
}

function Mail({ mail }: { mail: OutboxMail }) {
  return (
    <li className="card outbox-mail" data-testid="outbox-mail" aria-labelledby={`mail-${mail.id}`}>
      <div className="outbox-mail-head">
        <h2 id={`mail-${mail.id}`} className="section-title" data-testid="outbox-subject">
          {mail.subject}
        </h2>
        {mail.link && <MailLink link={mail.link} />}
      </div>
      <dl className="profile-facts">
        <div>
          <dt>To</dt>
          <dd data-testid="outbox-to">{mail.to}</dd>
        </div>
        <div>
          <dt>Sent</dt>
          <dd>
            <time dateTime={mail.sent_at}>{formatDateTime(mail.sent_at)}</time>
          </dd>
        </div>
      </dl>
      <pre className="outbox-text" data-testid="outbox-text">
        {mail.text}
      </pre>
    </li>
  );
}

function Mails() {
  const outbox = useOutbox();
  if (outbox.isPending) return <div className="skeleton skeleton-form" role="status" aria-label="Loading your mail" />;
  if (outbox.error instanceof ApiError && outbox.error.status === 404) {
    return (
      <p className="notice" data-testid="outbox-real-email">
        This server sends real email; check your inbox.
      </p>
    );
  }
  if (outbox.isError) {
    return <LoadError what="the outbox" error={outbox.error} onRetry={() => void outbox.refetch()} retrying={outbox.isFetching} />;
  }
  return (
    <>
      <div className="outbox-toolbar">
        <p className="muted" aria-live="polite">
          {outbox.data.length === 0 ? 'No mail for you yet.' : `${outbox.data.length} ${outbox.data.length === 1 ? 'message' : 'messages'}, newest first.`}
        </p>
        <button type="button" className="button button-small" onClick={() => void outbox.refetch()} disabled={outbox.isFetching}>
          {outbox.isFetching ? 'Checking…' : 'Check for new mail'}
        </button>
      </div>
      {outbox.data.length > 0 && (
        <ol className="outbox-list" data-testid="outbox-list">
          {outbox.data.map((mail) => (
            <Mail key={mail.id} mail={mail} />
          ))}
        </ol>
      )}
    </>
  );
}

/**
 * /outbox: the mail the server would have sent the signed-in user, kept in memory because it
 * sends no real email (a local `scripts/serve`). Where it does, the API answers 404.
 */
export function OutboxPage() {
  return (
    <>
      <title>Dev outbox · Agora</title>
      <div className="page-header">
        <div>
          <h1>Dev outbox</h1>
          <p className="lead">
            The local development outbox: this server sends no real email (<code>AGORA_MAIL_FROM</code> is not set), so the
            mail it sends you, such as confirmation links, is kept here instead.
          </p>
        </div>
      </div>
      <Mails />
    </>
  );
}
