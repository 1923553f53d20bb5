import type { HealthReport } from '../../api/client';

function CheckIcon() {
  return (
    <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
      <path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function WarningIcon() {
  return (
    <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">
      <path d="M12 8v5" fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" />
      <circle cx="12" cy="16.8" r="1.5" fill="currentColor" />
    </svg>
  );
}

/** The overall verdict: all systems operational, or degraded with how many checks failed. */
export function StatusBanner({ report }: { report: HealthReport }) {
  const failed = report.checks.filter((check) => check.status !== 'ok');
  const ok = report.status === 'ok' && failed.length === 0;
  const total = report.checks.length;
  const summary = ok
    ? `${total} of ${total} ${total === 1 ? 'dependency' : 'dependencies'} healthy`
    : failed.length > 0
      ? `${failed.length} of ${total} ${total === 1 ? 'dependency' : 'dependencies'} failing: ${failed.map((check) => check.name).join(', ')}`
      : 'The API reports a degraded state';
  return (
    <section
      className={`status-banner ${ok ? 'is-ok' : 'is-degraded'}`}
      data-testid="overall-status"
      data-status={ok ? 'ok' : 'degraded'}
      role="status"
      aria-live="polite"
      aria-labelledby="overall-status-title"
    >
      <span className="status-banner-icon">{ok ? <CheckIcon /> : <WarningIcon />}</span>
      <div className="status-banner-text">
        <h2 id="overall-status-title" className="status-banner-title">
          {ok ? 'All systems operational' : 'Degraded'}
        </h2>
        <p className="status-banner-summary">{summary}</p>
      </div>
      <span className="status-banner-version">API v{report.version}</span>
    </section>
  );
}
