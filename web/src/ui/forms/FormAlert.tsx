import type { ReactNode } from 'react';

/** The error of a whole form (not of one field), announced when it appears. */
export function FormAlert({ message, requestId }: { message: string | null; requestId?: string | null }) {
  if (!message) return null;
  return (
    <div className="form-alert" role="alert" data-testid="form-error">
      <p>{message}</p>
      {requestId && (
        <p className="form-alert-meta">
          Request ID: <code>{requestId}</code>
        </p>
      )}
    </div>
  );
}

/** A success or information message, announced politely. */
export function FormNotice({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <p className="form-notice" role="status" data-testid={testId}>
      {children}
    </p>
  );
}

interface SubmitButtonProps {
  children: ReactNode;
  pending: boolean;
  pendingLabel: string;
  /** Seconds to wait after a 429 before the form may be sent again. */
  cooldown?: number;
  className?: string;
}

/** A wait for the button: "45 s", or "10 min" once it is a minute or more. */
function formatWait(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

/** The submit button: disabled while the request is under way and while a 429 says to wait. */
export function SubmitButton({ children, pending, pendingLabel, cooldown = 0, className = 'button button-primary' }: SubmitButtonProps) {
  return (
    <button type="submit" className={className} disabled={pending || cooldown > 0} aria-busy={pending || undefined}>
      {pending ? pendingLabel : cooldown > 0 ? `Try again in ${formatWait(cooldown)}` : children}
    </button>
  );
}
