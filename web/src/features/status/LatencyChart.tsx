import type { CSSProperties } from 'react';
import type { DependencyCheck } from '../../api/client';
import { formatLatency, formatTick, niceCeiling } from './format';

/** A horizontal bar per dependency, scaled to a round maximum. Plain CSS, no chart library. */
export function LatencyChart({ checks }: { checks: DependencyCheck[] }) {
  const max = niceCeiling(Math.max(0, ...checks.map((check) => check.latency_ms)));
  const ticks = [0, max / 2, max];
  return (
    <figure className="latency-chart" aria-labelledby="latency-chart-title">
      <figcaption id="latency-chart-title" className="visually-hidden">
        Latency of each dependency check, in milliseconds
      </figcaption>
      <ul className="latency-rows">
        {checks.map((check) => {
          const share = Math.min(100, (Math.max(0, check.latency_ms) / max) * 100);
          const style = { '--bar-width': `${share}%` } as CSSProperties;
          return (
            <li key={check.name} className="latency-row" data-testid={`latency-${check.name}`}>
              <span className="latency-label">{check.name}</span>
              <span className="latency-track" aria-hidden="true">
                <span className={`latency-bar ${check.status === 'ok' ? 'is-ok' : 'is-failed'}`} style={style} />
              </span>
              <span className="latency-value">{formatLatency(check.latency_ms)}</span>
            </li>
          );
        })}
      </ul>
      <div className="latency-axis" aria-hidden="true">
        <span className="latency-axis-spacer" />
        <span className="latency-axis-scale">
          {ticks.map((tick) => (
            <span key={tick}>{formatTick(tick)}</span>
          ))}
        </span>
        <span className="latency-axis-spacer-end" />
      </div>
    </figure>
  );
}
