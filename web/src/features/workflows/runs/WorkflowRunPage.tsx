import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, errorMessage } from '../../../api/problem';
import { workflowPath, type StepRecord, type StepStatus, type WorkflowRunRecord } from '../api';
import { useCancelWorkflowRun } from '../queries';
import { formatDateTime } from '../../../format/dates';
import { formatMicros } from '../../../format/credits';
import { formatCount } from '../../../format/counts';
import { BarChart } from '../../../ui/BarChart';
import { WorkflowCanvas } from '../WorkflowCanvas';
import { OutputValue, RunStatusBadge, StepStatusBadge } from '../WorkflowParts';
import { useLiveWorkflowRun } from './useLiveWorkflowRun';
import { formatDuration, KIND_LABELS } from '../labels';
import { STEP_KINDS } from '../graph';
import '../workflows.css';

function kindLabel(kind: string): string {
  return (STEP_KINDS as readonly string[]).includes(kind) ? KIND_LABELS[kind as (typeof STEP_KINDS)[number]] : kind;
}

/** The step to show when none is selected: the failed one, else the last one that finished. */
function defaultStep(run: WorkflowRunRecord): string | null {
  const failed = run.steps.find((step) => step.status === 'failed');
  if (failed) return failed.step_id;
  const finished = run.steps.filter((step) => step.finished_at);
  return finished.at(-1)?.step_id ?? run.steps.find((step) => step.status === 'running')?.step_id ?? null;
}

function StepDetails({ step }: { step: StepRecord }) {
  return (
    <section className="card wf-step-details" aria-labelledby="wf-step-details-title" data-testid="step-details" data-step={step.step_id}>
      <h2 id="wf-step-details-title" className="section-title">
        Step <code>{step.step_id}</code> <StepStatusBadge status={step.status} />
      </h2>
      <dl className="profile-facts wf-facts">
        <div>
          <dt>Kind</dt>
          <dd>{kindLabel(step.kind)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{step.started_at ? formatDateTime(step.started_at) : '—'}</dd>
        </div>
        <div>
          <dt>Took</dt>
          <dd>{formatDuration(step.started_at, step.finished_at)}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{step.attempts}</dd>
        </div>
        <div>
          <dt>Tokens (in / out)</dt>
          <dd>
            {formatCount(step.input_tokens)} / {formatCount(step.output_tokens)}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd data-testid="step-cost">{formatMicros(step.charged_micros)} credits</dd>
        </div>
        <div>
          <dt>Creators’ share</dt>
          <dd>{formatMicros(step.creator_share_micros)} credits</dd>
        </div>
        {step.run_ids.length > 0 && (
          <div>
            <dt>Agent runs</dt>
            <dd>{step.run_ids.length}</dd>
          </div>
        )}
      </dl>
      {step.error && (
        <div className="form-alert" role="alert" data-testid="step-error">
          <p>{step.error}</p>
        </div>
      )}
      <h3 className="detail-subtitle">Output</h3>
      <div className="wf-output" data-testid="step-output">
        {step.status === 'pending' || step.status === 'running' ? (
          <p className="muted">{step.status === 'running' ? 'Running…' : 'Not started yet.'}</p>
        ) : (
          <OutputValue value={step.output} />
        )}
      </div>
    </section>
  );
}

/** /workflow-runs/:id: a run as it happens, step by step, with what each cost. */
export function WorkflowRunPage() {
  const { id = '' } = useParams();
  const run = useLiveWorkflowRun(id);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const cancel = useCancelWorkflowRun(id);

  const data = run.data;
  const statuses = useMemo(
    () => new Map<string, StepStatus>((data?.steps ?? []).map((step) => [step.step_id, step.status])),
    [data],
  );

  if (run.error) {
    const notFound = run.error instanceof ApiError && run.error.status === 404;
    return (
      <section className="placeholder" role="alert" aria-labelledby="run-error-title">
        <h1 id="run-error-title">{notFound ? 'Run not found' : 'Could not load this run'}</h1>
        <p className="lead">{notFound ? 'You have no workflow run with this id.' : errorMessage(run.error)}</p>
        <Link to="/workflow-runs" className="text-link">
          Back to your workflow runs →
        </Link>
      </section>
    );
  }
  if (!data) {
    return (
      <div role="status" aria-label="Loading the run">
        <div className="skeleton skeleton-banner" aria-hidden="true" />
      </div>
    );
  }

  const charged = data.steps.reduce((total, step) => total + step.charged_micros, 0);
  const share = data.steps.reduce((total, step) => total + step.creator_share_micros, 0);
  const tokensIn = data.steps.reduce((total, step) => total + step.input_tokens, 0);
  const tokensOut = data.steps.reduce((total, step) => total + step.output_tokens, 0);
  const shownId = selectedId ?? defaultStep(data);
  const shown = data.steps.find((step) => step.step_id === shownId);
  const selectedIndex = data.spec.steps.findIndex((step) => step.id === shownId);
  const name = data.spec.name || data.workflow;

  return (
    <>
      <title>{`Run of ${name} · Agora`}</title>
      <div className="page-header">
        <div>
          <p className="breadcrumb">
            <Link to="/workflow-runs" className="text-link">
              ← Workflow runs
            </Link>
          </p>
          <h1>
            Run of <span data-testid="run-workflow-name">{name}</span>
          </h1>
          <p className="lead editor-meta">
            <Link to={workflowPath(data.workflow)} className="text-link">
              <code>{data.workflow}</code>
            </Link>
            <span className="tag-badge">{data.workflow_version != null ? `v${data.workflow_version}` : 'Draft'}</span>
            <RunStatusBadge status={data.status} />
            {run.live && (
              <span className="muted wf-live" data-testid="run-live" data-mode={run.live}>
                {run.live === 'stream' ? '● Live' : 'Refreshing every 2 s'}
              </span>
            )}
          </p>
          <p className="muted">
            Started {formatDateTime(data.created_at)}
            {data.finished_at ? ` · took ${formatDuration(data.created_at, data.finished_at)}` : ''}
          </p>
        </div>
        <div className="page-header-actions">
          {data.status === 'running' && (
            <button
              type="button"
              className="button button-danger-outline"
              onClick={() => cancel.mutate()}
              disabled={cancel.isPending}
              data-testid="cancel-run"
            >
              {cancel.isPending ? 'Cancelling…' : 'Cancel run'}
            </button>
          )}
        </div>
      </div>
      {cancel.error && (
        <div className="form-alert" role="alert">
          <p>Could not cancel: {errorMessage(cancel.error)}</p>
        </div>
      )}

      {data.error && (
        <div className="form-alert" role="alert" data-testid="run-failure" data-kind={data.error.kind}>
          <p>
            <strong>
              {data.status === 'cancelled' ? 'Cancelled' : 'Failed'}
              {data.error.step ? ` at step ${data.error.step}` : ''}
            </strong>{' '}
            (<code>{data.error.kind}</code>): {data.error.detail}
          </p>
        </div>
      )}

      <WorkflowCanvas
        spec={data.spec}
        label="The run’s steps and their status"
        statuses={statuses}
        selected={selectedIndex >= 0 ? selectedIndex : null}
        onSelect={(index) => setSelectedId(data.spec.steps[index]?.id ?? null)}
      />

      <dl className="stat-row credit-stats wf-run-totals" data-testid="run-totals">
        <div className="stat">
          <dt>Charged</dt>
          <dd data-testid="run-charged">{formatMicros(charged)}</dd>
        </div>
        <div className="stat">
          <dt>Creators’ share</dt>
          <dd data-testid="run-creators-share">{formatMicros(share)}</dd>
        </div>
        <div className="stat">
          <dt>Worst case</dt>
          <dd>{formatMicros(data.worst_case_micros)}</dd>
        </div>
        {data.status === 'running' && (
          <div className="stat">
            <dt>Still held</dt>
            <dd>{formatMicros(data.hold_micros)}</dd>
          </div>
        )}
        <div className="stat">
          <dt>Tokens in / out</dt>
          <dd>
            {formatCount(tokensIn)} / {formatCount(tokensOut)}
          </dd>
        </div>
      </dl>

      {data.outputs && Object.keys(data.outputs).length > 0 && (
        <section className="card wf-outputs" aria-labelledby="wf-outputs-title" data-testid="run-outputs">
          <h2 id="wf-outputs-title" className="section-title">
            Outputs
          </h2>
          {Object.entries(data.outputs).map(([key, value]) => (
            <div key={key} className="wf-output" data-testid="run-output" data-name={key}>
              <h3 className="detail-subtitle">
                <code>{key}</code>
              </h3>
              <OutputValue value={value} />
            </div>
          ))}
        </section>
      )}

      <div className="wf-run-grid">
        <section className="card table-card" aria-labelledby="wf-steps-title">
          <h2 id="wf-steps-title" className="section-title">
            Steps
          </h2>
          <div className="table-scroll">
            <table className="data-table" data-testid="run-steps">
              <caption className="visually-hidden">The steps of this run</caption>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="numeric">
                    Took
                  </th>
                  <th scope="col" className="numeric">
                    Tokens
                  </th>
                  <th scope="col" className="numeric">
                    Cost
                  </th>
                  <th scope="col" className="numeric">
                    Creators’ share
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.steps.map((step) => (
                  <tr
                    key={step.step_id}
                    data-testid="run-step-row"
                    data-step={step.step_id}
                    data-status={step.status}
                    className={step.step_id === shownId ? 'is-selected' : undefined}
                  >
                    <th scope="row">
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => setSelectedId(step.step_id)}
                        aria-pressed={step.step_id === shownId}
                      >
                        {step.step_id}
                      </button>{' '}
                      <span className="muted">{kindLabel(step.kind)}</span>
                    </th>
                    <td>
                      <StepStatusBadge status={step.status} />
                    </td>
                    <td className="numeric">{formatDuration(step.started_at, step.finished_at)}</td>
                    <td className="numeric">{formatCount(step.input_tokens + step.output_tokens)}</td>
                    <td className="numeric">{formatMicros(step.charged_micros)}</td>
                    <td className="numeric">{formatMicros(step.creator_share_micros)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <section className="card wf-chart-card" aria-label="Cost per step">
          <BarChart
            title="Credits charged per step"
            bars={data.steps.map((step) => ({ label: step.step_id, value: step.charged_micros }))}
            format={formatMicros}
            labelWidth="7rem"
            valueWidth="5.5rem"
            testId="step-cost-chart"
          />
        </section>
      </div>

      {shown ? (
        <StepDetails step={shown} />
      ) : (
        <p className="muted">Select a step on the graph or in the table to see its output.</p>
      )}
    </>
  );
}
