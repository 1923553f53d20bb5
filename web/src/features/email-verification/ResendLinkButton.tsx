import { useRef, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/problem';
import { formatDateTime } from '../../format/dates';
import { SubmitButton } from '../../ui/forms/FormAlert';
import { useSubmitFailure } from '../../ui/forms/formErrors';
import { useSendVerificationEmail } from './queries';

/** What a refused request says: the problem's detail (e.g. how long a 429 asks to wait), else the whole message. */
function refusal(error: unknown): string {
  return (error instanceof ApiError && error.problem?.detail?.trim()) || errorMessage(error);
}

/**
 * "Send a new link": POST /v1/me/verification-email, then where it went and until when it
 * works, or why it was refused. After a 429 the button waits out the Retry-After.
 */
export function ResendLinkButton({ className = 'button button-small' }: { className?: string }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [cooldown, onError] = useSubmitFailure(formRef);
  const resend = useSendVerificationEmail({ onError });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    resend.mutate();
  };

  return (
    <form ref={formRef} className="resend-link" onSubmit={onSubmit} noValidate data-testid="resend-link">
      <SubmitButton pending={resend.isPending} pendingLabel="Sending…" cooldown={cooldown} className={className}>
        Send a new link
      </SubmitButton>
      {resend.isSuccess && (
        <p className="resend-sent" role="status" data-testid="resend-sent">
          Sent to <strong>{resend.data.sent_to}</strong>. The link works until{' '}
          <time dateTime={resend.data.expires_at}>{formatDateTime(resend.data.expires_at)}</time>.
        </p>
      )}
      {resend.isError && (
        <p className="field-error" role="alert" data-testid="resend-error">
          {refusal(resend.error)}
        </p>
      )}
    </form>
  );
}
