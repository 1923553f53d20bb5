import { errorMessage } from '../api/problem';

/**
 * What could not be loaded and why, with Try again: for a list or a section whose query
 * failed. `what` completes "Could not load …" ("your API keys").
 */
export function LoadError({
  what,
  error,
  onRetry,
  retrying,
  compact = false,
}: {
  what: string;
  error: unknown;
  onRetry: () => void;
  /** Disables Try again while the query is asked again. */
  retrying?: boolean;
  /** A small button, for a side panel or a section among others. */
  compact?: boolean;
}) {
  return (
    <div className="form-alert" role="alert">
      <p>
        Could not load {what}: {errorMessage(error)}
      </p>
      <button type="button" className={compact ? 'button button-small' : 'button'} onClick={onRetry} disabled={retrying}>
        Try again
      </button>
    </div>
  );
}
