import { Link, useLocation } from 'react-router';
import { errorMessage } from '../../api/problem';
import type { WorkflowView } from './api';
import { useSavedWorkflowMutations, useSavedWorkflows } from './queries';
import { useSession } from '../../session/useSession';
import { nextQuery } from '../../session/nextPath';
import { formatCount } from '../../format/counts';
import { Icon } from '../../ui/Icon';

/** "12 saves": how many users have the workflow in their library. */
function SaveCount({ count }: { count: number }) {
  return (
    <span className="muted save-count" data-testid="workflow-save-count">
      {formatCount(count)} {count === 1 ? 'save' : 'saves'}
    </span>
  );
}

function SaveToggle({ workflow, userId }: { workflow: WorkflowView; userId: string }) {
  const saved = useSavedWorkflows();
  const isSaved = saved.data?.some((entry) => entry.workflow.address === workflow.address) ?? false;
  const { save, unsave } = useSavedWorkflowMutations(userId, workflow.owner_handle, workflow.slug);
  const busy = save.isPending || unsave.isPending;
  const error = save.error ?? unsave.error ?? saved.error;
  const label = save.isPending ? 'Saving…' : unsave.isPending ? 'Removing…' : isSaved ? 'Saved' : 'Save';

  return (
    <div className="save-control" data-testid="workflow-save-control" data-saved={isSaved ? 'true' : 'false'}>
      <button
        type="button"
        className={`button${isSaved ? '' : ' button-primary'}`}
        aria-pressed={isSaved}
        onClick={() => (isSaved ? unsave.mutate() : save.mutate())}
        disabled={busy || saved.isPending || saved.isError}
        data-testid="save-workflow-toggle"
        title={isSaved ? 'In your saved workflows: click to remove it' : 'Add it to your saved workflows'}
      >
        <Icon name="star" filled={isSaved} /> {label}
      </button>
      <SaveCount count={workflow.save_count} />
      {error && (
        <p className="field-error" role="alert">
          {errorMessage(error)}
        </p>
      )}
    </div>
  );
}

/**
 * Save / Saved: adds the workflow to the caller's library, or removes it, with how many
 * users saved it. Its owner may save it too. Signed out, a link to sign in and come back.
 */
export function SaveWorkflowButton({ workflow }: { workflow: WorkflowView }) {
  const { status, userId } = useSession();
  const location = useLocation();
  if (status === 'signed-in' && userId) return <SaveToggle workflow={workflow} userId={userId} />;
  return (
    <div className="save-control" data-testid="workflow-save-control">
      {status === 'signed-out' && (
        <Link to={`/signin${nextQuery(location.pathname)}`} className="button">
          <Icon name="star" /> Sign in to save
        </Link>
      )}
      <SaveCount count={workflow.save_count} />
    </div>
  );
}
