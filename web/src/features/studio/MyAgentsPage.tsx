import { Link } from 'react-router';
import { agentPath, editorPath } from '../catalog/api';
import { AgentIcon } from '../catalog/AgentCard';
import { formatCount } from '../../format/counts';
import { formatDate } from '../../format/dates';
import { STATUS_LABELS, VISIBILITY_LABELS } from '../catalog/format';
import { ImportButton } from '../agent-editor/ImportButton';
import { StudioNav } from './StudioNav';
import { useMyAgents } from './queries';
import { LoadError } from '../../ui/LoadError';
import './studio.css';

/** /studio: the caller's agents, drafts included, with their status, visibility and version. */
export function MyAgentsPage() {
  const agents = useMyAgents();

  return (
    <>
      <title>My agents · Agora</title>
      <div className="page-header">
        <div>
          <h1>My agents</h1>
          <p className="lead">Create agents, publish new versions, and see how they do: each agent’s Stats show runs, users and revenue.</p>
        </div>
        <div className="page-header-actions">
          <ImportButton />
          <Link to="/studio/new" className="button button-primary" data-testid="new-agent">
            + New agent
          </Link>
        </div>
      </div>
      <StudioNav />
      {agents.isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading your agents" />
      ) : agents.error ? (
        <LoadError what="your agents" error={agents.error} onRetry={() => void agents.refetch()} />
      ) : agents.data.length === 0 ? (
        <div className="empty-panel" data-testid="no-agents">
          <h2>No agents yet</h2>
          <p className="muted">Create one from scratch, import a file, or fork an open agent from the marketplace.</p>
          <div className="hero-actions">
            <Link to="/studio/new" className="button button-primary">
              Create an agent
            </Link>
            <Link to="/marketplace" className="button">
              Browse the marketplace
            </Link>
          </div>
        </div>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="data-table" data-testid="my-agents">
              <caption className="visually-hidden">Your agents</caption>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Status</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Version</th>
                  <th scope="col">Saves</th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {agents.data.map((view) => {
                  const { agent } = view;
                  const name = view.draft?.name ?? agent.slug;
                  return (
                    <tr key={agent.id} data-testid="my-agent-row" data-address={agent.address} data-status={agent.status}>
                      <th scope="row">
                        <span className="my-agent-name">
                          <AgentIcon name={name} address={agent.address} />
                          <span>
                            <Link to={editorPath(agent.handle, agent.slug)} className="text-link">
                              {name}
                            </Link>
                            <code className="muted my-agent-address">{agent.address}</code>
                            {agent.forked_from && (
                              <span className="muted my-agent-fork">forked from {agent.forked_from.address}</span>
                            )}
                          </span>
                        </span>
                      </th>
                      <td>
                        <span className={`tag-badge status-${agent.status}`}>{STATUS_LABELS[agent.status]}</span>
                      </td>
                      <td>{VISIBILITY_LABELS[agent.visibility]}</td>
                      <td>{agent.latest_version != null ? `v${agent.latest_version}` : <span className="muted">—</span>}</td>
                      <td>{formatCount(agent.save_count)}</td>
                      <td>
                        <time dateTime={agent.updated_at}>{formatDate(agent.updated_at)}</time>
                      </td>
                      <td className="key-actions">
                        <Link to={editorPath(agent.handle, agent.slug)} className="button button-small">
                          Edit
                        </Link>{' '}
                        {agent.status !== 'draft' && (
                          <Link to={agentPath(agent.address)} className="button button-small">
                            View
                          </Link>
                        )}{' '}
                        <Link
                          to={`${editorPath(agent.handle, agent.slug)}/stats`}
                          className="button button-small"
                          aria-label={`Stats of ${name}`}
                          data-testid="agent-stats"
                        >
                          Stats
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
