import { Link, useParams } from 'react-router';
import { agentPath, type AgentView } from '../catalog/api';
import { ForkedFrom } from '../catalog/AgentCard';
import { useAgent, useCategories, useLlmModels } from '../catalog/queries';
import { ApiError, errorMessage } from '../../api/problem';
import { STATUS_LABELS, VISIBILITY_LABELS } from '../catalog/format';
import { AgentEditor } from './AgentEditor';
import { ImportButton } from './ImportButton';
import { emptyForm, formFromSpec } from './specForm';
import { VersionsPanel } from './VersionsPanel';
import { useArrivalNotice } from '../../ui/arrivalNotice';
import { LoadError } from '../../ui/LoadError';
import { useCurrentUser } from '../account/queries';
import './agent-editor.css';

const NOTICES: Record<string, string> = {
  created: 'Draft created. Publish it when it is ready: until then only you can see it.',
  forked: 'Forked: this is your private copy. Change it, then publish it as your own.',
  imported: 'Imported as a private draft. Check it, then publish it.',
};

/** The models and categories every editor needs, or what to show until they are there. */
function useEditorData() {
  const models = useLlmModels();
  const categories = useCategories();
  const error = models.error ?? categories.error;
  return { models: models.data, categories: categories.data, error, retry: () => void Promise.all([models.refetch(), categories.refetch()]) };
}

function Loading({ label }: { label: string }) {
  return (
    <div role="status" aria-label={label}>
      <div className="skeleton skeleton-banner" aria-hidden="true" />
      <div className="skeleton skeleton-form" aria-hidden="true" />
    </div>
  );
}

/** /studio/new: a new agent, from scratch or from a file. */
export function NewAgentPage() {
  const { models, categories, error, retry } = useEditorData();
  const { data: user } = useCurrentUser();
  return (
    <>
      <title>New agent · Agora</title>
      <div className="page-header">
        <div>
          <p className="breadcrumb">
            <Link to="/studio" className="text-link">
              ← My agents
            </Link>
          </p>
          <h1>New agent</h1>
          <p className="lead">Describe it, pick a model, and save a draft. Publish when it is ready.</p>
        </div>
        <div className="page-header-actions">
          <ImportButton />
        </div>
      </div>
      {error ? (
        <LoadError what="the editor" error={error} onRetry={retry} />
      ) : !models || !categories || !user ? (
        <Loading label="Loading the editor" />
      ) : (
        <AgentEditor
          view={null}
          initial={emptyForm(models)}
          models={models}
          categories={categories}
          owner={{ handle: user.handle, name: user.display_name }}
        />
      )}
    </>
  );
}

function EditorHeader({ view }: { view: AgentView }) {
  const { agent } = view;
  const name = view.draft?.name ?? view.latest?.spec.name ?? agent.slug;
  return (
    <div className="page-header">
      <div>
        <p className="breadcrumb">
          <Link to="/studio" className="text-link">
            ← My agents
          </Link>
        </p>
        <h1 data-testid="editor-title">{name}</h1>
        <p className="lead editor-meta">
          <code>{agent.address}</code>
          <span className={`tag-badge status-${agent.status}`} data-testid="agent-status">
            {STATUS_LABELS[agent.status]}
          </span>
          <span className="tag-badge">{VISIBILITY_LABELS[agent.visibility]}</span>
          {agent.latest_version != null && <span className="tag-badge">Latest v{agent.latest_version}</span>}
        </p>
        {agent.forked_from && <ForkedFrom origin={agent.forked_from} />}
        {agent.status === 'delisted' && (
          <p className="notice" role="note">
            Delisted by the administrators{agent.delist_reason ? `: ${agent.delist_reason}` : '.'}
          </p>
        )}
      </div>
      <div className="page-header-actions">
        {agent.status !== 'draft' && (
          <Link to={agentPath(agent.address)} className="button">
            View listing
          </Link>
        )}
      </div>
    </div>
  );
}

/** /studio/agents/:handle/:slug: edit, publish, roll back and deprecate one of the caller's agents. */
export function EditAgentPage() {
  const { handle = '', slug = '' } = useParams();
  const agent = useAgent(handle, slug);
  const { models, categories, error, retry } = useEditorData();
  const { data: user } = useCurrentUser();
  const arrival = useArrivalNotice(NOTICES);

  if (agent.error) {
    const notFound = agent.error instanceof ApiError && agent.error.status === 404;
    return (
      <section className="placeholder" role="alert" aria-labelledby="editor-error-title">
        <h1 id="editor-error-title">{notFound ? 'Agent not found' : 'Could not load this agent'}</h1>
        <p className="lead">{notFound ? `You have no agent at ${handle}/${slug}.` : errorMessage(agent.error)}</p>
        <Link to="/studio" className="text-link">
          Back to my agents →
        </Link>
      </section>
    );
  }
  if (error) return <LoadError what="the editor" error={error} onRetry={retry} />;
  if (!agent.data || !models || !categories) return <Loading label="Loading the editor" />;

  const view = agent.data;
  if (!view.is_owner) {
    return (
      <section className="placeholder" aria-labelledby="not-owner-title">
        <h1 id="not-owner-title">Not your agent</h1>
        <p className="lead">Only its creator can edit {view.agent.address}. Fork it to make your own copy.</p>
        <Link to={agentPath(view.agent.address)} className="text-link">
          Open its page →
        </Link>
      </section>
    );
  }
  const spec = view.draft ?? view.latest?.spec;
  return (
    <>
      <title>{`Edit ${spec?.name ?? view.agent.slug} · Agora`}</title>
      <EditorHeader view={view} />
      <AgentEditor
        key={view.agent.id}
        view={view}
        initial={spec ? formFromSpec(spec) : emptyForm(models)}
        models={models}
        categories={categories}
        owner={{ handle: view.agent.handle, name: user?.display_name ?? view.agent.creator_name }}
        notice={arrival}
      />
      {view.agent.latest_version != null && <VersionsPanel view={view} />}
    </>
  );
}
