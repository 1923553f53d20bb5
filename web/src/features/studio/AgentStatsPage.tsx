import { Link, useParams } from 'react-router';
import { agentPath, editorPath } from '../catalog/api';
import { useAgent } from '../catalog/queries';
import { ApiError, errorMessage } from '../../api/problem';
import type { AgentStats, VersionStats } from './api';
import { useAgentStats } from './queries';
import { creditsLabel, formatMicros } from '../../format/credits';
import { dailySeries, formatDay } from '../../format/dates';
import { formatCount } from '../../format/counts';
import { BarChart } from '../../ui/BarChart';
import { StatList } from '../../ui/StatList';
import { useSession } from '../../session/useSession';
import './studio.css';

function versionLabel(stats: VersionStats): string {
  return stats.version == null ? 'Draft' : `v${stats.version}`;
}

function successRate(stats: VersionStats): string {
  if (stats.runs === 0) return '—';
  return `${Math.round((stats.succeeded / stats.runs) * 100)}%`;
}

function Totals({ stats }: { stats: AgentStats }) {
  const sum = (pick: (day: AgentStats['daily'][number]) => number) => stats.daily.reduce((total, day) => total + pick(day), 0);
  const allTime = stats.versions.reduce(
    (total, version) => ({
      runs: total.runs + version.runs,
      revenue: total.revenue + version.revenue_micros,
    }),
    { runs: 0, revenue: 0 },
  );
  const facts = [
    { label: 'Runs, 30 days', value: formatCount(sum((day) => day.runs)), testId: 'stats-runs-30' },
    { label: 'Revenue, 30 days', value: creditsLabel(formatMicros(sum((day) => day.revenue_micros))), testId: 'stats-revenue-30' },
    { label: 'Runs, all time', value: formatCount(allTime.runs), testId: 'stats-runs-all' },
    { label: 'Revenue, all time', value: creditsLabel(formatMicros(allTime.revenue)), testId: 'stats-revenue-all' },
  ];
  return (
    <StatList stats={facts} testId="stats-totals" />
  );
}

function VersionTable({ versions }: { versions: VersionStats[] }) {
  if (versions.length === 0) return <p className="muted empty-state">No runs yet.</p>;
  return (
    <div className="table-scroll">
      <table className="data-table" data-testid="version-stats">
        <caption className="visually-hidden">Runs, users and revenue per version</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col" className="numeric">
              Runs
            </th>
            <th scope="col" className="numeric">
              Succeeded
            </th>
            <th scope="col" className="numeric">
              Failed
            </th>
            <th scope="col" className="numeric">
              Users
            </th>
            <th scope="col" className="numeric">
              Tokens in / out
            </th>
            <th scope="col" className="numeric">
              Revenue (credits)
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => (
            <tr key={version.version ?? 'draft'} data-testid="version-stats-row" data-version={version.version ?? 'draft'}>
              <th scope="row">{versionLabel(version)}</th>
              <td className="numeric">{formatCount(version.runs)}</td>
              <td className="numeric">
                {formatCount(version.succeeded)} <span className="muted">({successRate(version)})</span>
              </td>
              <td className="numeric">{formatCount(version.failed)}</td>
              <td className="numeric">{formatCount(version.distinct_users)}</td>
              <td className="numeric">
                {formatCount(version.input_tokens)} / {formatCount(version.output_tokens)}
              </td>
              <td className="numeric">{formatMicros(version.revenue_micros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DailyCharts({ stats }: { stats: AgentStats }) {
  const runs = dailySeries(stats.daily, (day) => day.runs);
  const users = dailySeries(stats.daily, (day) => day.distinct_users);
  const revenue = dailySeries(stats.daily, (day) => day.revenue_micros);
  const bars = (series: { day: string; value: number }[]) => series.map((day) => ({ label: formatDay(day.day), value: day.value }));
  return (
    <div className="stats-charts">
      <BarChart title="Runs per day" bars={bars(runs)} compact testId="stats-runs-chart" />
      <BarChart title="Users per day" bars={bars(users)} compact testId="stats-users-chart" />
      <BarChart
        title="Revenue per day (credits)"
        bars={bars(revenue)}
        format={formatMicros}
        valueWidth="5.5rem"
        compact
        testId="stats-revenue-chart"
      />
    </div>
  );
}

/** /studio/agents/:handle/:slug/stats: the creator's view of how one agent does. */
export function AgentStatsPage() {
  const { handle = '', slug = '' } = useParams();
  const { userId } = useSession();
  const agent = useAgent(handle, slug, userId !== null);
  const stats = useAgentStats(handle, slug);
  const name = agent.data?.latest?.spec.name ?? agent.data?.draft?.name ?? `${handle}/${slug}`;

  return (
    <>
      <title>{`Stats of ${name} · Agora`}</title>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/studio" className="text-link">
          My agents
        </Link>{' '}
        / <span>{name}</span>
      </nav>
      <div className="page-header">
        <div>
          <h1 data-testid="stats-title">{name}</h1>
          <p className="lead">
            Runs, users and revenue: per version, and per day over the last 30 days. <code className="muted">{handle}/{slug}</code>
          </p>
        </div>
        <div className="page-header-actions">
          <Link to={editorPath(handle, slug)} className="button">
            Edit
          </Link>
          {agent.data?.agent.status !== 'draft' && (
            <Link to={agentPath(`${handle}/${slug}`)} className="button">
              View page
            </Link>
          )}
        </div>
      </div>
      {stats.isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading the stats" />
      ) : stats.error ? (
        <div className="form-alert" role="alert" data-testid="stats-error">
          <p>
            {stats.error instanceof ApiError && stats.error.status === 404
              ? 'You have no agent at this address: only its creator sees its stats.'
              : `Could not load the stats: ${errorMessage(stats.error)}`}
          </p>
          <button type="button" className="button button-small" onClick={() => void stats.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <>
          <section className="card settings-section" aria-labelledby="totals-title">
            <h2 id="totals-title" className="section-title">
              Totals
            </h2>
            <Totals stats={stats.data} />
          </section>
          <section className="card settings-section" aria-labelledby="per-version-title">
            <h2 id="per-version-title" className="section-title">
              Per version
            </h2>
            <VersionTable versions={stats.data.versions} />
          </section>
          <section className="card settings-section" aria-labelledby="daily-title">
            <h2 id="daily-title" className="section-title">
              The last 30 days
            </h2>
            <DailyCharts stats={stats.data} />
          </section>
        </>
      )}
    </>
  );
}
