import { formatClockTime } from '../../format/dates';
import { HEALTH_REFRESH_MS } from './api';
import { useLiveHealth } from './queries';
import { ApiError, errorMessage } from '../../api/problem';
import { DependencyCard } from './DependencyCard';
import { LatencyChart } from './LatencyChart';
import { StatusBanner } from './StatusBanner';
import './status.css';

function LoadingState() {
  return (
    <div className="status-loading" role="status" aria-live="polite" data-testid="status-loading">
      <div className="skeleton skeleton-banner" />
      <p className="visually-hidden">Checking Agora's dependencies…</p>
      <div className="dependency-grid" aria-hidden="true">
        <div className="skeleton skeleton-card" />
        <div className="skeleton skeleton-card" />
        <div className="skeleton skeleton-card" />
      </div>
    </div>
  );
}

function ErrorState({ error, onRetry, retrying }: { error: unknown; onRetry: () => void; retrying: boolean }) {
  const requestId = error instanceof ApiError ? error.requestId : null;
  const unreachable = !(error instanceof ApiError) || error.unreachable;
  return (
    <section className="status-error" role="alert" data-testid="status-error" aria-labelledby="status-error-title">
      <h2 id="status-error-title">{unreachable ? 'Cannot reach the Agora API' : 'The status check failed'}</h2>
      <p>{errorMessage(error)}</p>
      {requestId && (
        <p className="muted">
          Request ID: <code>{requestId}</code>
        </p>
      )}
      <button type="button" className="button" onClick={onRetry} disabled={retrying}>
        {retrying ? 'Trying again…' : 'Try again'}
      </button>
    </section>
  );
}

/** /status: the health of the API and of each dependency, refreshed every 10 seconds. */
export function StatusPage() {
  const { data, error, isPending, isFetching, isRefetchError, dataUpdatedAt, refetch } = useLiveHealth();
  const retry = () => void refetch();

  return (
    <>
      <title>System status · Agora</title>
      <div className="page-header">
        <div>
          <h1>System status</h1>
          <p className="lead">
            Live health of the Agora API and the services it depends on. Refreshes every{' '}
            {HEALTH_REFRESH_MS / 1000} seconds.
          </p>
        </div>
        <div className="page-header-actions">
          {data && (
            <p className="muted updated-at" aria-live="off">
              Updated <time dateTime={new Date(dataUpdatedAt).toISOString()}>{formatClockTime(dataUpdatedAt)}</time>
            </p>
          )}
          <button type="button" className="button" onClick={retry} disabled={isFetching}>
            <span className={`refresh-icon${isFetching ? ' is-spinning' : ''}`} aria-hidden="true">
              ↻
            </span>
            {isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </div>

      {isPending ? (
        <LoadingState />
      ) : !data ? (
        <ErrorState error={error} onRetry={retry} retrying={isFetching} />
      ) : (
        <>
          {isRefetchError && (
            <p className="notice" role="alert" data-testid="refresh-error">
              Could not refresh: {errorMessage(error)} Showing the results from {formatClockTime(dataUpdatedAt)}.
            </p>
          )}
          <StatusBanner report={data} />
          <section className="status-section" aria-labelledby="dependencies-title">
            <h2 id="dependencies-title" className="section-title">
              Dependencies
            </h2>
            {data.checks.length === 0 ? (
              <p className="muted">The API reported no dependency checks.</p>
            ) : (
              <div className="dependency-grid">
                {data.checks.map((check) => (
                  <DependencyCard key={check.name} check={check} />
                ))}
              </div>
            )}
          </section>
          {data.checks.length > 0 && (
            <section className="status-section card" aria-labelledby="latency-title">
              <h2 id="latency-title" className="section-title">
                Latency
              </h2>
              <p className="muted section-subtitle">Time each dependency check took on the last refresh.</p>
              <LatencyChart checks={data.checks} />
            </section>
          )}
        </>
      )}
    </>
  );
}
