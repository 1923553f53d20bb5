import { Link, useLocation, useNavigate } from 'react-router';
import { workflowEditorPath, workflowPath, type WorkflowView } from './api';
import { useForkWorkflow } from './queries';
import { useSession } from '../../session/useSession';
import { nextQuery } from '../../session/nextPath';
import { formatCount } from '../../format/counts';
import { ActionButton } from '../../ui/ActionButton';
import { Icon } from '../../ui/Icon';

/** Fork: a private draft copy of the workflow, opened in the editor. Signed out, a link to sign in. */
export function ForkWorkflowButton({ workflow, small = false }: { workflow: WorkflowView; small?: boolean }) {
  const { status } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const fork = useForkWorkflow(workflow, {
    onSuccess: (forked) => void navigate(workflowEditorPath(forked.address), { state: { notice: 'forked' } }),
  });
  const className = `button${small ? ' button-small' : ''}`;
  if (status !== 'signed-in') {
    return (
      <Link to={`/signin${nextQuery(`${location.pathname}${location.search}`)}`} className={className}>
        <Icon name="fork" /> Sign in to fork
      </Link>
    );
  }
  return (
    <ActionButton
      run={() => fork.mutate()}
      pending={fork.isPending}
      error={fork.error}
      icon={<Icon name="fork" />}
      label="Fork"
      pendingLabel="Forking…"
      failure="fork"
      className={className}
      title="Copy this workflow into a private draft of yours"
      ariaLabel={`Fork ${workflow.spec.name || workflow.address}`}
      testId="fork-workflow"
    />
  );
}

/** A workflow in a listing: name, summary, owner, the agents it runs (pinned), runs, forks and saves, Fork. */
export function WorkflowCard({ workflow }: { workflow: WorkflowView }) {
  const { spec } = workflow;
  return (
    <article className="card agent-card wf-card" data-testid="workflow-card" data-address={workflow.address}>
      <div className="agent-card-head">
        <div className="agent-card-title">
          <h3>
            <Link to={workflowPath(workflow.address)} className="agent-card-name agent-card-link">
              {spec.name || workflow.slug}
            </Link>
          </h3>
          <p className="agent-card-creator muted">
            by <code>{workflow.owner_handle}</code>
          </p>
        </div>
      </div>
      <p className="agent-card-summary">{spec.summary}</p>
      {workflow.agents.length > 0 && (
        <ul className="wf-card-agents" aria-label="Agents it runs" data-testid="workflow-agents">
          {workflow.agents.map((use) => (
            <li key={`${use.agent}@${use.version}`} className="chip chip-small" title={use.agent}>
              {use.name ?? use.agent} v{use.version}
            </li>
          ))}
        </ul>
      )}
      <div className="agent-card-foot">
        <span className="agent-card-stats muted">
          <span data-testid="workflow-runs">
            {formatCount(workflow.run_count)} {workflow.run_count === 1 ? 'run' : 'runs'}
          </span>{' '}
          · {formatCount(workflow.fork_count)} {workflow.fork_count === 1 ? 'fork' : 'forks'} ·{' '}
          <span data-testid="workflow-saves">
            {formatCount(workflow.save_count)} {workflow.save_count === 1 ? 'save' : 'saves'}
          </span>{' '}
          · {spec.steps.length} {spec.steps.length === 1 ? 'step' : 'steps'}
        </span>
        {!workflow.is_owner && <ForkWorkflowButton workflow={workflow} small />}
      </div>
    </article>
  );
}
