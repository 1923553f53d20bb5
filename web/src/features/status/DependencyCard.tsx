import type { DependencyCheck } from '../../api/client';
import { dependencyLabel, formatLatency } from './format';

/** One dependency: its name, an ok/failed badge, its latency, and the reason when it failed. */
export function DependencyCard({ check }: { check: DependencyCheck }) {
  const ok = check.status === 'ok';
  const titleId = `check-${check.name}-title`;
  return (
    <article
      className={`card dependency ${ok ? 'is-ok' : 'is-failed'}`}
      data-testid={`check-${check.name}`}
      data-status={check.status}
      aria-labelledby={titleId}
    >
      <header className="dependency-header">
        <div>
          <h3 id={titleId} className="dependency-title">
            {dependencyLabel(check.name)}
          </h3>
          <code className="dependency-name">{check.name}</code>
        </div>
        <span className={`badge ${ok ? 'badge-ok' : 'badge-failed'}`} data-testid="check-badge">
          <span className="badge-dot" aria-hidden="true" />
          {ok ? 'OK' : 'Failed'}
        </span>
      </header>
      <dl className="dependency-meta">
        <div>
          <dt>Latency</dt>
          <dd>{formatLatency(check.latency_ms)}</dd>
        </div>
      </dl>
      {!ok && (
        <p className="dependency-error" data-testid="check-error">
          {check.error?.trim() || 'The check failed without a reason.'}
        </p>
      )}
    </article>
  );
}
