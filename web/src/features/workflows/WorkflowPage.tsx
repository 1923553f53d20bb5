import { useState } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { ApiError, errorMessage } from '../../api/problem';
import { workflowEditorPath, workflowPath, type WorkflowView } from './api';
import { useWorkflow, useWorkflowVersions } from './queries';
import { nextQuery } from '../../session/nextPath';
import { formatCount } from '../../format/counts';
import { formatDate } from '../../format/dates';
import { STATUS_LABELS, VISIBILITY_LABELS } from '../catalog/format';
import { Markdown } from '../../ui/Markdown';
import { Icon } from '../../ui/Icon';
import { RunWorkflowDialog } from './RunWorkflowDialog';
import { SaveWorkflowButton } from './SaveWorkflowButton';
import { WorkflowCanvas } from './WorkflowCanvas';
import { ForkWorkflowButton } from './WorkflowCard';
import { AgentsUsed } from './WorkflowParts';
import { useSession } from '../../session/useSession';
import { stepKind } from './graph';
import { INPUT_TYPE_LABELS, KIND_LABELS, stepSummary } from './labels';
import './workflows.css';

function Versions({ workflow }: { workflow: WorkflowView }) {
  const versions = useWorkflowVersions(workflow);
  if (workflow.latest_version == null) return <p className="muted">Not published yet: only its owner can see and run the draft.</p>;
  if (versions.isPending) return <p className="muted">Loading the versions…</p>;
  if (versions.error) return <p className="field-error">Could not load the versions: {errorMessage(versions.error)}</p>;
  return (
    <ol className="version-list" data-testid="workflow-versions">
      {versions.data.map((version) => (
        <li key={version.version} className="version" data-testid="workflow-version">
          <div className="version-head">
            <span className="version-number">v{version.version}</span>
            {version.version === workflow.latest_version && <span className="tag-badge tag-badge-open">Latest</span>}
            <time className="version-date muted" dateTime={version.created_at}>
              {formatDate(version.created_at)}
            </time>
          </div>
          {version.changelog && <p className="version-changelog">{version.changelog}</p>}
        </li>
      ))}
    </ol>
  );
}

/**
 * /workflows/:handle/:slug: a workflow's graph, agents, inputs, outputs and versions; Run,
 * Save (once published, for its owner too), Fork, and Edit for its owner.
 */
export function WorkflowPage() {
  const { handle = '', slug = '' } = useParams();
  const [params] = useSearchParams();
  const location = useLocation();
  const { status } = useSession();
  const workflow = useWorkflow(handle, slug);
  const [runOpen, setRunOpen] = useState(params.get('run') === '1');
  const [selected, setSelected] = useState<number | null>(null);

  if (workflow.error) {
    const notFound = workflow.error instanceof ApiError && workflow.error.status === 404;
    return (
      <section className="placeholder" role="alert" aria-labelledby="workflow-error-title">
        <h1 id="workflow-error-title">{notFound ? 'Workflow not found' : 'Could not load this workflow'}</h1>
        <p className="lead">
          {notFound ? `No workflow you may see is at ${handle}/${slug}.` : errorMessage(workflow.error)}
        </p>
        <Link to="/workflows" className="text-link">
          Browse workflows →
        </Link>
      </section>
    );
  }
  if (!workflow.data) {
    return (
      <div role="status" aria-label="Loading the workflow">
        <div className="skeleton skeleton-banner" aria-hidden="true" />
      </div>
    );
  }
  const view = workflow.data;
  const { spec } = view;
  const runnable = view.status !== 'delisted' && (view.latest_version != null || view.is_owner);
  const chosen = selected !== null ? spec.steps[selected] : undefined;
  const chosenKind = chosen ? stepKind(chosen) : null;

  return (
    <>
      <title>{`${spec.name || view.slug} · Workflows · Agora`}</title>
      <div className="page-header">
        <div>
          <p className="breadcrumb">
            <Link to="/workflows" className="text-link">
              ← Workflows
            </Link>
          </p>
          <h1 data-testid="workflow-name">{spec.name || view.slug}</h1>
          <p className="lead">{spec.summary}</p>
          <p className="editor-meta muted">
            <code>{view.address}</code>
            <span className={`tag-badge status-${view.status}`}>{STATUS_LABELS[view.status]}</span>
            {view.is_owner && <span className="tag-badge">{VISIBILITY_LABELS[view.visibility]}</span>}
            {view.latest_version != null && <span className="tag-badge">v{view.latest_version}</span>}
            <span>
              {formatCount(view.run_count)} runs · {formatCount(view.fork_count)} forks
            </span>
          </p>
          {view.forked_from && (
            <p className="forked-from">
              Forked from{' '}
              <Link to={workflowPath(view.forked_from)} className="text-link">
                {view.forked_from}
              </Link>
            </p>
          )}
        </div>
        <div className="page-header-actions agent-actions">
          {runnable &&
            (status === 'signed-in' ? (
              <button type="button" className="button button-primary" onClick={() => setRunOpen(true)} data-testid="open-run">
                <Icon name="play" /> Run
              </button>
            ) : (
              <Link to={`/signin${nextQuery(`${location.pathname}?run=1`)}`} className="button button-primary">
                <Icon name="play" /> Sign in to run
              </Link>
            ))}
          {view.latest_version != null && <SaveWorkflowButton workflow={view} />}
          {!view.is_owner && <ForkWorkflowButton workflow={view} />}
          {view.is_owner && (
            <Link to={workflowEditorPath(view.address)} className="button" data-testid="edit-workflow">
              <Icon name="edit" /> Edit
            </Link>
          )}
        </div>
      </div>

      <WorkflowCanvas spec={spec} label="The workflow’s steps" selected={selected} onSelect={setSelected} />
      {chosen && (
        <p className="muted wf-chosen" data-testid="chosen-step">
          <code>{chosen.id}</code> — {chosenKind ? KIND_LABELS[chosenKind] : 'Invalid'}: {stepSummary(chosen)}
          {chosen.when ? ` (only when ${chosen.when})` : ''}
        </p>
      )}

      <div className="settings-grid wf-detail-grid">
        <section className="card detail-section" aria-labelledby="wf-agents-title">
          <h2 id="wf-agents-title" className="section-title">
            Agents it runs
          </h2>
          <AgentsUsed agents={view.agents} />
        </section>
        <section className="card detail-section" aria-labelledby="wf-inputs-title">
          <h2 id="wf-inputs-title" className="section-title">
            Inputs and outputs
          </h2>
          {(spec.inputs ?? []).length === 0 ? (
            <p className="muted">No inputs.</p>
          ) : (
            <ul className="wf-io-list" data-testid="workflow-inputs">
              {(spec.inputs ?? []).map((input) => (
                <li key={input.name}>
                  <code>{input.name}</code> {input.label && <span>{input.label}</span>}{' '}
                  <span className="tag-badge">{INPUT_TYPE_LABELS[input.type]}</span>
                  {input.required === false && <span className="muted"> optional</span>}
                </li>
              ))}
            </ul>
          )}
          <h3 className="detail-subtitle">Returns</h3>
          {Object.keys(spec.outputs ?? {}).length === 0 ? (
            <p className="muted">Every step’s output.</p>
          ) : (
            <ul className="wf-io-list">
              {Object.keys(spec.outputs ?? {}).map((name) => (
                <li key={name}>
                  <code>{name}</code>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card detail-section" aria-labelledby="wf-versions-title">
          <h2 id="wf-versions-title" className="section-title">
            Versions
          </h2>
          <Versions workflow={view} />
        </section>
      </div>

      {spec.description?.trim() && (
        <section className="card detail-section" aria-labelledby="wf-description-title">
          <h2 id="wf-description-title" className="section-title">
            About
          </h2>
          <Markdown source={spec.description} />
        </section>
      )}

      {runOpen && status === 'signed-in' && runnable && <RunWorkflowDialog workflow={view} onClose={() => setRunOpen(false)} />}
    </>
  );
}
