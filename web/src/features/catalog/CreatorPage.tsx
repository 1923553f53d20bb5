import type { CSSProperties } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, errorMessage } from '../../api/problem';
import { AgentGrid } from './AgentCard';
import { formatCount } from '../../format/counts';
import { formatDate } from '../../format/dates';
import { hueOf, initials } from './format';
import { BarChart } from '../../ui/BarChart';
import { StatList } from '../../ui/StatList';
import { useCategoryNames, useCreator } from './queries';
import './catalog.css';

/** How many agents the per-agent chart shows. */
const CHART_AGENTS = 8;

/** /creators/:handle: a creator's profile, totals and listed agents. */
export function CreatorPage() {
  const { handle = '' } = useParams();
  const creator = useCreator(handle);
  const categoryNames = useCategoryNames();

  if (creator.error) {
    const notFound = creator.error instanceof ApiError && creator.error.status === 404;
    return (
      <section className="placeholder" role="alert" aria-labelledby="creator-error-title">
        <h1 id="creator-error-title">{notFound ? 'Creator not found' : 'Could not load this creator'}</h1>
        <p className="lead">{notFound ? `Nobody has the handle ${handle}.` : errorMessage(creator.error)}</p>
        <Link to="/marketplace" className="text-link">
          Browse the marketplace →
        </Link>
      </section>
    );
  }
  if (!creator.data) {
    return (
      <div role="status" aria-label="Loading the creator">
        <div className="skeleton skeleton-banner" aria-hidden="true" />
      </div>
    );
  }

  const profile = creator.data;
  const totals = [
    { label: 'Agents', value: profile.public_agents },
    { label: 'Saves', value: profile.total_saves },
    { label: 'Forks', value: profile.total_forks },
    { label: 'Runs', value: profile.total_runs },
  ];
  const perAgent = [...profile.agents]
    .sort((a, b) => b.save_count - a.save_count)
    .slice(0, CHART_AGENTS)
    .map((agent) => ({ label: agent.name, value: agent.save_count }));
  const style = { '--icon-hue': hueOf(profile.handle) } as CSSProperties;

  return (
    <>
      <title>{`${profile.display_name} · Agora`}</title>
      <header className="creator-header" data-testid="creator-header">
        <span className="agent-icon agent-icon-large creator-avatar" style={style} aria-hidden="true">
          {initials(profile.display_name)}
        </span>
        <div>
          <h1 data-testid="creator-name">{profile.display_name}</h1>
          <p className="muted">
            @{profile.handle} · joined <time dateTime={profile.joined_at}>{formatDate(profile.joined_at)}</time>
          </p>
          {profile.bio && <p className="creator-bio">{profile.bio}</p>}
        </div>
      </header>

      <div className="creator-stats">
        <section className="card detail-section" aria-labelledby="totals-title">
          <h2 id="totals-title" className="section-title">
            Totals
          </h2>
          <StatList stats={totals.map((total) => ({ label: total.label, value: formatCount(total.value) }))} testId="creator-totals" />
          <BarChart title="Saves, forks and runs over all agents" bars={totals.slice(1)} testId="creator-chart" />
        </section>
        {perAgent.length > 1 && perAgent.some((bar) => bar.value > 0) && (
          <section className="card detail-section" aria-labelledby="per-agent-title">
            <h2 id="per-agent-title" className="section-title">
              Most saved
            </h2>
            <BarChart title="Saves per agent" bars={perAgent} testId="creator-agents-chart" labelWidth="9rem" />
          </section>
        )}
      </div>

      <section className="market-section" aria-labelledby="creator-agents-title">
        <h2 id="creator-agents-title" className="section-title">
          Agents
        </h2>
        {profile.agents.length === 0 ? (
          <p className="muted">No published agents yet.</p>
        ) : (
          <AgentGrid cards={profile.agents} categoryNames={categoryNames} testId="creator-agents" />
        )}
      </section>
    </>
  );
}
