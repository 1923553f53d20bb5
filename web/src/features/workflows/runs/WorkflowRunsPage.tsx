import { Link } from 'react-router';
import { workflowPath, workflowRunPath } from '../api';
import { useWorkflowRuns } from '../queries';
import { formatDateTime } from '../../../format/dates';
import { formatMicros } from '../../../format/credits';
import { StudioNav } from '../../studio/StudioNav';
import { RunStatusBadge } from '../WorkflowParts';
import { formatDuration } from '../labels';
import { LoadError } from '../../../ui/LoadError';
import { LoadMoreButton } from '../../../ui/LoadMoreButton';
import '../workflows.css';

/** /workflow-runs: the caller's workflow runs, newest first, with their status and cost. */
export function WorkflowRunsPage() {
  const runs = useWorkflowRuns();
  const all = runs.data?.pages.flatMap((page) => page.runs) ?? [];

  return (
    <>
      <title>Workflow runs · Agora</title>
      <div className="page-header">
        <div>
          <h1>Workflow runs</h1>
          <p className="lead">Every run of a workflow you started: open one to follow it step by step.</p>
        </div>
        <div className="page-header-actions">
          <Link to="/workflows" className="button">
            Browse workflows
          </Link>
        </div>
      </div>
      <StudioNav />
      {runs.isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading your workflow runs" />
      ) : runs.error ? (
        <LoadError what="your workflow runs" error={runs.error} onRetry={() => void runs.refetch()} />
      ) : all.length === 0 ? (
        <div className="empty-panel" data-testid="no-workflow-runs">
          <h2>No runs yet</h2>
          <p className="muted">Run one of your workflows, or one from the Workflows listing.</p>
          <div className="hero-actions">
            <Link to="/workflows" className="button button-primary">
              Browse workflows
            </Link>
          </div>
        </div>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="data-table" data-testid="workflow-runs">
              <caption className="visually-hidden">Your workflow runs</caption>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Workflow</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="numeric">
                    Steps
                  </th>
                  <th scope="col" className="numeric">
                    Took
                  </th>
                  <th scope="col" className="numeric">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {all.map((run) => {
                  const cost = run.steps.reduce((total, step) => total + step.charged_micros, 0);
                  const done = run.steps.filter((step) => step.status === 'succeeded').length;
                  return (
                    <tr key={run.id} data-testid="workflow-run-row" data-run={run.id} data-status={run.status}>
                      <th scope="row">
                        <Link to={workflowRunPath(run.id)} className="text-link">
                          <time dateTime={run.created_at}>{formatDateTime(run.created_at)}</time>
                        </Link>
                      </th>
                      <td>
                        <Link to={workflowPath(run.workflow)} className="text-link">
                          {run.spec.name || run.workflow}
                        </Link>{' '}
                        <span className="muted">
                          {run.workflow_version != null ? `v${run.workflow_version}` : 'draft'}
                        </span>
                      </td>
                      <td>
                        <RunStatusBadge status={run.status} />
                      </td>
                      <td className="numeric">
                        {done} / {run.steps.length}
                      </td>
                      <td className="numeric">{formatDuration(run.created_at, run.finished_at)}</td>
                      <td className="numeric" data-testid="workflow-run-cost">
                        {formatMicros(cost)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {runs.hasNextPage && (
            <LoadMoreButton pages={runs} />
          )}
        </div>
      )}
    </>
  );
}
