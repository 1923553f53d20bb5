import { Link } from 'react-router';
import { errorMessage } from '../../api/problem';
import { workflowPath, type SavedWorkflow } from './api';
import { AgentIcon } from '../catalog/AgentCard';
import { formatCount } from '../../format/counts';
import { formatDate } from '../../format/dates';
import { useSavedWorkflowMutations, useSavedWorkflows } from './queries';
import { useSession } from '../../session/useSession';
import { LoadError } from '../../ui/LoadError';
import './workflows.css';

function SavedWorkflowRow({ entry, userId }: { entry: SavedWorkflow; userId: string }) {
  const { workflow } = entry;
  const { unsave } = useSavedWorkflowMutations(userId, workflow.owner_handle, workflow.slug);
  const name = workflow.spec.name || workflow.slug;
  return (
    <li className="card saved-row" data-testid="saved-workflow-row" data-address={workflow.address}>
      <div className="saved-main">
        <AgentIcon name={name} address={workflow.address} />
        <div className="saved-text">
          <h2 className="saved-name">
            <Link to={workflowPath(workflow.address)} className="agent-card-link">
              {name}
            </Link>
          </h2>
          <p className="muted">
            <code>{workflow.address}</code> · saved{' '}
            <time dateTime={entry.saved_at} data-testid="saved-at">
              {formatDate(entry.saved_at)}
            </time>
          </p>
          {workflow.spec.summary && <p>{workflow.spec.summary}</p>}
          <p className="muted" data-testid="saved-workflow-stats">
            {workflow.latest_version != null ? (
              <span className="tag-badge">v{workflow.latest_version}</span>
            ) : (
              <span className="tag-badge">Not published</span>
            )}{' '}
            {workflow.status === 'delisted' && <span className="tag-badge status-delisted">Delisted</span>}{' '}
            {formatCount(workflow.save_count)} {workflow.save_count === 1 ? 'save' : 'saves'} ·{' '}
            {formatCount(workflow.run_count)} {workflow.run_count === 1 ? 'run' : 'runs'}
          </p>
        </div>
      </div>
      <div className="saved-controls">
        {workflow.latest_version != null && (
          <Link to={`${workflowPath(workflow.address)}?run=1`} className="button button-small" aria-label={`Run ${name}`}>
            Run
          </Link>
        )}
        <button
          type="button"
          className="button button-small button-danger-outline"
          onClick={() => unsave.mutate()}
          disabled={unsave.isPending}
          aria-label={`Remove ${name} from saved workflows`}
        >
          {unsave.isPending ? 'Removing…' : 'Remove'}
        </button>
        {unsave.error && (
          <p className="field-error" role="alert">
            {errorMessage(unsave.error)}
          </p>
        )}
      </div>
    </li>
  );
}

/** /account/saved-workflows: the caller's library of workflows, most recently saved first. */
export function SavedWorkflowsPage() {
  const { userId } = useSession();
  const saved = useSavedWorkflows();
  return (
    <>
      <title>Saved workflows · Agora</title>
      <section aria-labelledby="saved-workflows-title">
        <h2 id="saved-workflows-title" className="section-title">
          Saved workflows
        </h2>
        <p className="muted section-subtitle">Workflows you keep at hand, to run again or to fork.</p>
        {saved.isPending ? (
          <div className="skeleton skeleton-form" role="status" aria-label="Loading your saved workflows" />
        ) : saved.error ? (
          <LoadError what="your saved workflows" error={saved.error} onRetry={() => void saved.refetch()} />
        ) : saved.data.length === 0 ? (
          <p className="empty-state muted" data-testid="no-saved-workflows">
            No saved workflows yet.{' '}
            <Link to="/workflows" className="text-link">
              Browse workflows
            </Link>{' '}
            and save the ones you like.
          </p>
        ) : (
          <ul className="saved-list" data-testid="saved-workflows-list">
            {saved.data.map((entry) => (
              <SavedWorkflowRow key={entry.workflow.address} entry={entry} userId={userId ?? ''} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
