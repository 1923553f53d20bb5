import { Fragment } from 'react';
import { Link } from 'react-router';
import { agentPath } from '../catalog/api';
import type { AgentUse, WorkflowEstimate, WorkflowSpec } from './api';
import { formatMicros } from '../../format/credits';
import { formatPriceShort } from '../catalog/format';
import { Markdown } from '../../ui/Markdown';
import { stepKind } from './graph';
import { creditsToMicros, KIND_LABELS, stepStatusLabel, workflowRunStatusLabel } from './labels';

/** A run's status (`running`, `succeeded`...; anything newer is shown as given). */
export function RunStatusBadge({ status }: { status: string }) {
  return (
    <span className={`tag-badge wf-run-status wf-run-status-${status}`} data-testid="run-status" data-status={status}>
      {workflowRunStatusLabel(status)}
    </span>
  );
}

export function StepStatusBadge({ status }: { status: string }) {
  return (
    <span className={`tag-badge wf-step-status wf-step-status-${status}`} data-testid="step-status">
      {stepStatusLabel(status)}
    </span>
  );
}

/**
 * A step's or a run's output, shown as inert content: text through the safe Markdown
 * renderer for model output (no HTML, no images loaded, links show their host), anything
 * else as JSON text.
 */
export function OutputValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <p className="muted">No output.</p>;
  if (typeof value === 'string') {
    return value.trim() ? <Markdown source={value} variant="model-output" className="wf-output-text" /> : <p className="muted">Empty text.</p>;
  }
  return (
    <pre className="wf-output-json" data-testid="output-json">
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** The agents a workflow runs, each with its pinned version and price. */
export function AgentsUsed({ agents }: { agents: readonly AgentUse[] }) {
  if (agents.length === 0) return <p className="muted">No agents: only built-in steps.</p>;
  return (
    <ul className="wf-agents-used" data-testid="agents-used">
      {agents.map((use) => (
        <li key={`${use.agent}@${use.version}`} data-testid="agent-used" data-agent={use.agent}>
          <Link to={agentPath(use.agent)} className="text-link">
            {use.name ?? use.agent}
          </Link>{' '}
          <span className="tag-badge">v{use.version}</span>{' '}
          {use.price_per_run != null && <span className="tag-badge tag-badge-price">{formatPriceShort(use.price_per_run)}</span>}
          {use.name && <code className="muted wf-agent-address">{use.agent}</code>}
        </li>
      ))}
    </ul>
  );
}

/**
 * What validation found: the worst case of a whole run and of each step (every model at
 * full length, every map at its `max_items`), the part of it that goes to the agents'
 * creators, the agents and the order the steps run in.
 */
export function EstimatePanel({ estimate, spec }: { estimate: WorkflowEstimate; spec: Pick<WorkflowSpec, 'steps'> }) {
  const share = estimate.steps.reduce((total, step) => total + (creditsToMicros(step.creators_share) || 0), 0);
  const kindOf = (id: string) => {
    const step = spec.steps.find((candidate) => candidate.id === id);
    const kind = step ? stepKind(step) : null;
    return kind ? KIND_LABELS[kind] : '';
  };
  return (
    <section className="card wf-estimate" aria-labelledby="wf-estimate-title" data-testid="estimate">
      <h2 id="wf-estimate-title" className="section-title">
        Valid: worst case {estimate.worst_case} credits
      </h2>
      <p className="muted">
        The most one run can cost: <strong data-testid="worst-case">{estimate.worst_case}</strong> credits, of which{' '}
        <strong data-testid="creators-share">{formatMicros(share)}</strong> go to the agents’ creators. A run holds this
        much and is charged only what its steps use.
      </p>
      <div className="table-scroll">
        <table className="data-table" data-testid="estimate-steps">
          <caption className="visually-hidden">Worst case per step</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Kind</th>
              <th scope="col" className="numeric">
                Worst case
              </th>
              <th scope="col" className="numeric">
                Creators’ share
              </th>
            </tr>
          </thead>
          <tbody>
            {estimate.steps.map((step) => (
              <tr key={step.step} data-testid="estimate-step" data-step={step.step}>
                <th scope="row">
                  <code>{step.step}</code>
                </th>
                <td>{kindOf(step.step)}</td>
                <td className="numeric">{step.worst_case}</td>
                <td className="numeric">{step.creators_share}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {estimate.order.length > 0 && (
        <p className="muted wf-order">
          Runs in this order:{' '}
          {estimate.order.map((id, index) => (
            <Fragment key={id}>
              {index > 0 && ' → '}
              <code>{id}</code>
            </Fragment>
          ))}
        </p>
      )}
      <h3 className="detail-subtitle">Agents</h3>
      <AgentsUsed agents={estimate.agents} />
    </section>
  );
}
