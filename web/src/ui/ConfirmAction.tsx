import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api/problem';
import './ConfirmAction.css';

/** The part of a mutation the confirm step drives: run it, or forget its error on Cancel. */
export interface ConfirmableAction {
  mutate: () => void;
  reset: () => void;
  isPending: boolean;
  error: unknown;
}

interface ConfirmActionProps {
  /** What runs once confirmed (a feature's mutation hook). */
  action: ConfirmableAction;
  /** The button that asks first: its text, accessible name and look. */
  ask: { label: ReactNode; name: string; className: string; title?: string; testId?: string };
  /** The accessible name of the confirm step: "Confirm revoking CI key". */
  confirmName: string;
  /** The confirm button's text ("Yes, revoke"), and while the action runs ("Revoking…"). */
  confirmLabel: string;
  pendingLabel: string;
  cancelLabel?: string;
  /**
   * `panel`: what happens and the question above the buttons, and a failure under them,
   * all in one group (a table's action cell). `row`: the buttons alone in a row, a failure
   * under the row (a list item).
   */
  layout: { kind: 'panel'; question: string } | { kind: 'row'; className: string; errorPrefix: string };
}

/**
 * A button for what cannot be undone (revoke a key, delete a provider key or a
 * conversation) that asks first: in its place, the confirm button (which takes the focus,
 * as it appears where the user clicked) and Cancel, which puts the first button back.
 */
export function ConfirmAction({ action, ask, confirmName, confirmLabel, pendingLabel, cancelLabel = 'Cancel', layout }: ConfirmActionProps) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button
        type="button"
        className={ask.className}
        onClick={() => setConfirming(true)}
        aria-label={ask.name}
        title={ask.title}
        data-testid={ask.testId}
      >
        {ask.label}
      </button>
    );
  }
  const buttons = (
    <>
      <button
        type="button"
        className="button button-small button-danger"
        onClick={() => action.mutate()}
        disabled={action.isPending}
        autoFocus
      >
        {action.isPending ? pendingLabel : confirmLabel}
      </button>
      <button
        type="button"
        className="button button-small"
        onClick={() => {
          setConfirming(false);
          action.reset();
        }}
        disabled={action.isPending}
      >
        {cancelLabel}
      </button>
    </>
  );
  if (layout.kind === 'row') {
    return (
      <>
        <div className={layout.className} role="group" aria-label={confirmName}>
          {buttons}
        </div>
        {action.error != null && (
          <p className="field-error" role="alert">
            {layout.errorPrefix}
            {errorMessage(action.error)}
          </p>
        )}
      </>
    );
  }
  return (
    <div className="confirm-panel" role="group" aria-label={confirmName}>
      <p className="confirm-question">{layout.question}</p>
      <div className="confirm-actions">{buttons}</div>
      {action.error != null && (
        <p className="field-error" role="alert">
          {errorMessage(action.error)}
        </p>
      )}
    </div>
  );
}
