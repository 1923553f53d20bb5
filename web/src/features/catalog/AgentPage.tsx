import { Link, useParams } from 'react-router';
import { editorPath, type AgentView } from './api';
import { ApiError, errorMessage } from '../../api/problem';
import { AgentActions } from './AgentActions';
import { AgentBadges, AgentIcon, ForkedFrom } from './AgentCard';
import { formatCount } from '../../format/counts';
import { formatDate } from '../../format/dates';
import { formatPrice, languageLabel, STATUS_LABELS, VISIBILITY_LABELS } from './format';
import { Markdown } from '../../ui/Markdown';
import { ExamplesSection, InputsSection, ModelSection, PromptSection, ToolsSection, VersionHistory } from './SpecDetails';
import { BarChart } from '../../ui/BarChart';
import { StatList } from '../../ui/StatList';
import { ReviewsSection } from '../reviews/ReviewsSection';
import { TryItPanel } from '../run/TryItPanel';
import { useAgent, useAgentVersions, useCategoryNames } from './queries';
import { useSession } from '../../session/useSession';
import './catalog.css';

/** What the owner should know about an agent others may not see. */
function OwnerNotice({ view }: { view: AgentView }) {
  const { agent } = view;
  if (!view.is_owner) return null;
  const notes: string[] = [];
  if (agent.status === 'draft') notes.push('Not published yet: only you can see it, and this is your draft.');
  if (agent.status === 'delisted') {
    notes.push(`Delisted by the administrators${agent.delist_reason ? `: ${agent.delist_reason}` : ''}.`);
  }
  if (agent.status === 'published' && agent.visibility !== 'public') {
    notes.push(
      agent.visibility === 'private'
        ? 'Private: only you can see it.'
        : 'Unlisted: anyone with the link can see it, but it is not in the marketplace.',
    );
  }
  if (notes.length === 0) return null;
  return (
    <div className="notice" role="note" data-testid="owner-notice">
      {notes.join(' ')}{' '}
      <Link to={editorPath(agent.handle, agent.slug)} className="text-link">
        Open the editor →
      </Link>
    </div>
  );
}

function Stats({ view }: { view: AgentView }) {
  const { agent } = view;
  const bars = [
    { label: 'Saves', value: agent.save_count },
    { label: 'Forks', value: agent.fork_count },
    { label: 'Views', value: agent.view_count },
    { label: 'Runs', value: agent.run_count },
  ];
  return (
    <section className="card detail-section" aria-labelledby="stats-title" data-testid="stats">
      <h2 id="stats-title" className="section-title">
        Activity
      </h2>
      <StatList
        stats={bars.map((bar) => ({ label: bar.label, value: formatCount(bar.value), testId: `stat-${bar.label.toLowerCase()}` }))}
      />
      <BarChart title="Saves, forks, views and runs" bars={bars} testId="stats-chart" />
    </section>
  );
}

function AgentDetails({ view }: { view: AgentView }) {
  const categoryNames = useCategoryNames();
  const { agent, latest } = view;
  const versions = useAgentVersions(agent.handle, agent.slug);
  // The owner of an agent never published sees the draft; everyone else the latest version.
  const spec = latest?.spec ?? view.draft ?? null;
  const sealed = latest?.sealed ?? false;
  const name = spec?.name ?? agent.slug;

  return (
    <>
      <title>{`${name} · Agora`}</title>
      <OwnerNotice view={view} />
      <header className="agent-header">
        <AgentIcon name={name} address={agent.address} size="large" />
        <div className="agent-header-text">
          <h1 data-testid="agent-name">{name}</h1>
          <p className="agent-byline">
            by{' '}
            <Link to={`/creators/${encodeURIComponent(agent.handle)}`} className="creator-link" data-testid="creator-link">
              {agent.creator_name}
            </Link>{' '}
            <code className="muted agent-address">{agent.address}</code>
          </p>
          {spec && (
            <div className="agent-header-badges">
              <AgentBadges isDemo={agent.is_demo} licence={spec.licence ?? 'open'} price={spec.price_per_run ?? '0'} />
              <span className="chip">{categoryNames.get(spec.category) ?? spec.category}</span>
              {spec.language && <span className="chip">{languageLabel(spec.language)}</span>}
              {latest && <span className="chip">v{latest.version}</span>}
              {view.is_owner && <span className="chip">{STATUS_LABELS[agent.status]} · {VISIBILITY_LABELS[agent.visibility]}</span>}
            </div>
          )}
          {agent.forked_from && <ForkedFrom origin={agent.forked_from} />}
        </div>
      </header>
      <AgentActions view={view} versions={(versions.data ?? []).map((version) => version.version)} />
      {latest?.deprecated_at && (
        <p className="notice" role="note">
          The latest version is deprecated{latest.deprecation_note ? `: ${latest.deprecation_note}` : '.'}
        </p>
      )}

      {spec ? (
        <div className="agent-layout">
          <div className="agent-main">
            <p className="lead agent-summary">{spec.summary}</p>
            <TryItPanel view={view} spec={spec} />
            <section className="card detail-section" aria-labelledby="description-title">
              <h2 id="description-title" className="section-title">
                About
              </h2>
              {spec.description ? (
                <Markdown source={spec.description} />
              ) : (
                <p className="muted">No description.</p>
              )}
              {spec.tags && spec.tags.length > 0 && (
                <ul className="agent-card-tags" aria-label="Tags">
                  {spec.tags.map((tag) => (
                    <li key={tag}>
                      <Link to={`/marketplace/search?tags=${encodeURIComponent(tag)}`} className="chip chip-link">
                        #{tag}
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <ToolsSection spec={spec} />
            <ExamplesSection spec={spec} />
            <InputsSection spec={spec} />
            <PromptSection spec={spec} sealed={sealed} />
            {view.latest && <ReviewsSection view={view} />}
          </div>
          <aside className="agent-side" aria-label="About this agent">
            <section className="card detail-section" aria-labelledby="price-title">
              <h2 id="price-title" className="section-title">
                Price
              </h2>
              <p className="agent-price" data-testid="agent-price">
                {formatPrice(spec.price_per_run ?? '0')}
              </p>
              <p className="muted field-hint">On top of what the model costs.</p>
            </section>
            <ModelSection spec={spec} />
            <Stats view={view} />
            <section className="card detail-section" aria-labelledby="versions-title">
              <h2 id="versions-title" className="section-title">
                Versions
              </h2>
              {agent.published_at && (
                <p className="muted field-hint">First published {formatDate(agent.published_at)}.</p>
              )}
              {versions.isPending ? (
                <div className="skeleton skeleton-form" role="status" aria-label="Loading versions" />
              ) : versions.error ? (
                <p className="field-error" role="alert">
                  Could not load the versions: {errorMessage(versions.error)}
                </p>
              ) : (
                <VersionHistory versions={versions.data} latest={agent.latest_version} />
              )}
            </section>
          </aside>
        </div>
      ) : (
        <p className="muted">This agent has nothing to show yet.</p>
      )}
    </>
  );
}

/** /agents/:handle/:slug: an agent's listing, details, versions and actions. */
export function AgentPage() {
  const { handle = '', slug = '' } = useParams();
  const { status } = useSession();
  // Ask once the session is known, so an owner's draft or private agent is not a 404 first.
  const agent = useAgent(handle, slug, status !== 'restoring');

  if (agent.data) return <AgentDetails view={agent.data} />;
  if (agent.error) {
    const notFound = agent.error instanceof ApiError && agent.error.status === 404;
    return (
      <section className="placeholder" role="alert" aria-labelledby="agent-error-title" data-testid="agent-error">
        {notFound && <span className="pill">404</span>}
        <h1 id="agent-error-title">{notFound ? 'Agent not found' : 'Could not load this agent'}</h1>
        <p className="lead">
          {notFound
            ? `There is no agent you can see at ${handle}/${slug}.`
            : errorMessage(agent.error)}
        </p>
        {notFound ? (
          <Link to="/marketplace" className="text-link">
            Browse the marketplace →
          </Link>
        ) : (
          <button type="button" className="button" onClick={() => void agent.refetch()}>
            Try again
          </button>
        )}
      </section>
    );
  }
  return (
    <div className="agent-loading" role="status" aria-label="Loading the agent">
      <div className="skeleton skeleton-banner" aria-hidden="true" />
      <div className="skeleton skeleton-form" aria-hidden="true" />
    </div>
  );
}
