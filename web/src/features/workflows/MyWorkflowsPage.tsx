import { Link } from 'react-router';
import { workflowEditorPath, workflowPath } from './api';
import { useMyWorkflows } from './queries';
import { formatCount } from '../../format/counts';
import { formatDate } from '../../format/dates';
import { STATUS_LABELS, VISIBILITY_LABELS } from '../catalog/format';
import { StudioNav } from '../studio/StudioNav';
import { LoadError } from '../../ui/LoadError';
import './workflows.css';

/** /studio/workflows: the caller's workflows, drafts included, with links to edit and run them. */
export function MyWorkflowsPage() {
  const workflows = useMyWorkflows();

  return (
    <>
      <title>My workflows · Agora</title>
      <div className="page-header">
        <div>
          <h1>My workflows</h1>
          <p className="lead">Chain agents into workflows: draw the graph, check its worst-case cost, run it, publish it.</p>
        </div>
        <div className="page-header-actions">
          <Link to="/studio/workflows/new" className="button button-primary" data-testid="new-workflow">
            + New workflow
          </Link>
        </div>
      </div>
      <StudioNav />
      {workflows.isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading your workflows" />
      ) : workflows.error ? (
        <LoadError what="your workflows" error={workflows.error} onRetry={() => void workflows.refetch()} />
      ) : workflows.data.length === 0 ? (
        <div className="empty-panel" data-testid="no-workflows">
          <h2>No workflows yet</h2>
          <p className="muted">Create one from scratch, or fork a published workflow.</p>
          <div className="hero-actions">
            <Link to="/studio/workflows/new" className="button button-primary">
              Create a workflow
            </Link>
            <Link to="/workflows" className="button">
              Browse workflows
            </Link>
          </div>
        </div>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="data-table" data-testid="my-workflows">
              <caption className="visually-hidden">Your workflows</caption>
              <thead>
                <tr>
                  <th scope="col">Workflow</th>
                  <th scope="col">Status</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Version</th>
                  <th scope="col" className="numeric">
                    Steps
                  </th>
                  <th scope="col" className="numeric">
                    Runs
                  </th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {workflows.data.map((workflow) => {
                  const name = workflow.spec.name || workflow.slug;
                  return (
                    <tr key={workflow.address} data-testid="my-workflow-row" data-address={workflow.address} data-status={workflow.status}>
                      <th scope="row">
                        <Link to={workflowEditorPath(workflow.address)} className="text-link">
                          {name}
                        </Link>
                        <code className="muted my-agent-address">{workflow.address}</code>
                        {workflow.forked_from && <span className="muted my-agent-fork">forked from {workflow.forked_from}</span>}
                      </th>
                      <td>
                        <span className={`tag-badge status-${workflow.status}`}>{STATUS_LABELS[workflow.status]}</span>
                      </td>
                      <td>{VISIBILITY_LABELS[workflow.visibility]}</td>
                      <td>{workflow.latest_version != null ? `v${workflow.latest_version}` : <span className="muted">—</span>}</td>
                      <td className="numeric">{workflow.spec.steps.length}</td>
                      <td className="numeric">{formatCount(workflow.run_count)}</td>
                      <td>
                        <time dateTime={workflow.updated_at}>{formatDate(workflow.updated_at)}</time>
                      </td>
                      <td className="key-actions">
                        <Link to={workflowEditorPath(workflow.address)} className="button button-small" aria-label={`Edit ${name}`}>
                          Edit
                        </Link>{' '}
                        <Link to={`${workflowPath(workflow.address)}?run=1`} className="button button-small" aria-label={`Run ${name}`}>
                          Run
                        </Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </>
  );
}
