import type { ReactNode } from 'react';
import { errorMessage } from '../api/problem';

/**
 * A button that runs one request (Fork, Export, Chat): busy while it runs, and why it
 * failed under it ("Could not fork: …").
 */
export function ActionButton({
  run,
  pending,
  error,
  icon,
  label,
  pendingLabel,
  failure,
  className = 'button',
  title,
  ariaLabel,
  testId,
}: {
  run: () => void;
  pending: boolean;
  /** Why the last run failed; shown until the next. */
  error: unknown;
  icon: ReactNode;
  label: string;
  pendingLabel: string;
  /** What could not be done: "fork" for "Could not fork: …". */
  failure: string;
  className?: string;
  title?: string;
  ariaLabel?: string;
  testId?: string;
}) {
  return (
    <>
      <button
        type="button"
        className={className}
        onClick={run}
        disabled={pending}
        data-testid={testId}
        title={title}
        aria-label={ariaLabel}
      >
        {icon} {pending ? pendingLabel : label}
      </button>
      {error != null && (
        <p className="field-error" role="alert">
          Could not {failure}: {errorMessage(error)}
        </p>
      )}
    </>
  );
}
