import { Link, useParams } from 'react-router';
import { ApiError, errorMessage } from '../../../api/problem';
import { workflowPath, type WorkflowView } from '../api';
import { useWorkflow } from '../queries';
import { STATUS_LABELS, VISIBILITY_LABELS } from '../../catalog/format';
import { useArrivalNotice } from '../../../ui/arrivalNotice';
import { WorkflowEditor } from './WorkflowEditor';
import { useCurrentUser } from '../../account/queries';
import { LoadError } from '../../../ui/LoadError';
import '../workflows.css';

const NOTICES: Record<string, string> = {
  created: 'Workflow created as a draft. Validate it, run it, and publish it when it is ready.',
  forked: 'Forked: this is your private copy. Change it, then publish it as your own.',
};

function Loading() {
  return (
    <div role="status" aria-label="Loading the editor">
      <div className="skeleton skeleton-banner" aria-hidden="true" />
      <div className="skeleton skeleton-form" aria-hidden="true" />
    </div>
  );
}

function Breadcrumb() {
  return (
    <p className="breadcrumb">
      <Link to="/studio/workflows" className="text-link">
        ← My workflows
      </Link>
    </p>
  );
}

/** /studio/workflows/new: a new workflow, drawn as a graph of steps. */
export function NewWorkflowPage() {
  const { data: user, error, refetch } = useCurrentUser();
  return (
    <>
      <title>New workflow · Agora</title>
      <div className="page-header">
        <div>
          <Breadcrumb />
          <h1>New workflow</h1>
          <p className="lead">
            Chain marketplace agents and small transforms into a graph: each step reads the workflow’s inputs and the
            outputs of the steps before it.
          </p>
        </div>
      </div>
      {error ? (
        <LoadError what="your account" error={error} onRetry={() => void refetch()} />
      ) : !user ? (
        <Loading />
      ) : (
        <WorkflowEditor view={null} handle={user.handle} />
      )}
    </>
  );
}

function EditorHeader({ view }: { view: WorkflowView }) {
  return (
    <div className="page-header">
      <div>
        <Breadcrumb />
        <h1 data-testid="editor-title">{view.spec.name || view.slug}</h1>
        <p className="lead editor-meta">
          <code>{view.address}</code>
          <span className={`tag-badge status-${view.status}`} data-testid="workflow-status">
            {STATUS_LABELS[view.status]}
          </span>
          <span className="tag-badge">{VISIBILITY_LABELS[view.visibility]}</span>
          {view.latest_version != null && <span className="tag-badge">Latest v{view.latest_version}</span>}
        </p>
        {view.forked_from && (
          <p className="forked-from" data-testid="forked-from">
            Forked from{' '}
            <Link to={workflowPath(view.forked_from)} className="text-link">
              {view.forked_from}
            </Link>
          </p>
        )}
      </div>
      <div className="page-header-actions">
        <Link to={workflowPath(view.address)} className="button">
          View its page
        </Link>
      </div>
    </div>
  );
}

/** /studio/workflows/:handle/:slug: edit, validate, save, publish and run one of the caller's workflows. */
export function EditWorkflowPage() {
  const { handle = '', slug = '' } = useParams();
  const workflow = useWorkflow(handle, slug);
  const arrival = useArrivalNotice(NOTICES);

  if (workflow.error) {
    const notFound = workflow.error instanceof ApiError && workflow.error.status === 404;
    return (
      <section className="placeholder" role="alert" aria-labelledby="editor-error-title">
        <h1 id="editor-error-title">{notFound ? 'Workflow not found' : 'Could not load this workflow'}</h1>
        <p className="lead">{notFound ? `You have no workflow at ${handle}/${slug}.` : errorMessage(workflow.error)}</p>
        <Link to="/studio/workflows" className="text-link">
          Back to my workflows →
        </Link>
      </section>
    );
  }
  if (!workflow.data) return <Loading />;
  const view = workflow.data;
  if (!view.is_owner) {
    return (
      <section className="placeholder" aria-labelledby="not-owner-title">
        <h1 id="not-owner-title">Not your workflow</h1>
        <p className="lead">Only its owner can edit {view.address}. Fork it to make your own copy.</p>
        <Link to={workflowPath(view.address)} className="text-link">
          Open its page →
        </Link>
      </section>
    );
  }
  return (
    <>
      <title>{`Edit ${view.spec.name || view.slug} · Agora`}</title>
      <EditorHeader view={view} />
      <WorkflowEditor
        key={view.address}
        view={view}
        handle={view.owner_handle}
        notice={arrival}
      />
    </>
  );
}
