import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useWorkflowSearch } from './queries';
import { WorkflowCard } from './WorkflowCard';
import { LoadError } from '../../ui/LoadError';
import { LoadMoreButton } from '../../ui/LoadMoreButton';
import './workflows.css';

/** /workflows: published workflows, searched by words (`?q=`), each with the agents it runs and a Fork button. */
export function WorkflowsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  const [text, setText] = useState(q);
  const results = useWorkflowSearch(q);
  const workflows = results.data?.pages.flat() ?? [];

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const words = text.trim();
    setParams(words ? { q: words } : {});
  };

  return (
    <>
      <title>Workflows · Agora</title>
      <div className="page-header">
        <div>
          <h1>Workflows</h1>
          <p className="lead">
            Agents chained into pipelines by the community: each step runs a pinned agent version, so a workflow does
            what it did when you tried it. Run one, or fork it and make it yours.
          </p>
        </div>
        <div className="page-header-actions">
          <Link to="/studio/workflows/new" className="button">
            Create a workflow
          </Link>
        </div>
      </div>
      <form className="search-bar" role="search" onSubmit={onSubmit} data-testid="workflow-search">
        <label htmlFor="workflows-q" className="visually-hidden">
          Search workflows
        </label>
        <input
          id="workflows-q"
          type="search"
          className="input search-input"
          placeholder="Search workflows by name, summary or tag"
          value={text}
          maxLength={200}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit" className="button button-primary">
          Search
        </button>
      </form>
      {results.isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading workflows" />
      ) : results.error ? (
        <LoadError what="workflows" error={results.error} onRetry={() => void results.refetch()} />
      ) : workflows.length === 0 ? (
        <div className="empty-panel" data-testid="no-workflows">
          <h2>{q ? `No workflow matches “${q}”` : 'No published workflows yet'}</h2>
          <p className="muted">Be the first: chain a few agents and publish the result.</p>
        </div>
      ) : (
        <>
          <p className="search-status muted" aria-live="polite">
            {q ? `Workflows matching “${q}”` : 'All published workflows'}
          </p>
          <ul className="agent-grid" data-testid="workflow-results">
            {workflows.map((workflow) => (
              <li key={workflow.address}>
                <WorkflowCard workflow={workflow} />
              </li>
            ))}
          </ul>
          {results.hasNextPage && (
            <LoadMoreButton pages={results} />
          )}
        </>
      )}
    </>
  );
}
