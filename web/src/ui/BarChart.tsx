import { useId, type CSSProperties } from 'react';
import { formatCount } from '../format/counts';
import './BarChart.css';

export interface Bar {
  label: string;
  value: number;
}

/**
 * Horizontal bars, scaled to the largest value, with no chart library: each bar is a small
 * SVG that stretches with the column (the labels and figures stay HTML text, so they keep
 * their size on any screen). A bar that is not zero is never thinner than a sliver, so a
 * small count next to a large one still shows. Screen readers read the figures as a list.
 */
export function BarChart({
  title,
  bars,
  testId,
  labelWidth = '4.5rem',
  valueWidth,
  format = formatCount,
  compact = false,
}: {
  title: string;
  bars: Bar[];
  testId?: string;
  /** The label column's width: short words by default, wider for names. */
  labelWidth?: string;
  /** The figures' column width, for figures longer than a count (amounts of credits). */
  valueWidth?: string;
  /** How each figure is written: a count by default. */
  format?: (value: number) => string;
  /** Thinner rows, for long series such as 30 days. */
  compact?: boolean;
}) {
  const titleId = useId();
  const style = {
    '--bar-label-width': labelWidth,
    ...(valueWidth ? { '--bar-value-width': valueWidth } : {}),
  } as CSSProperties;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  return (
    <figure className={`bar-chart${compact ? ' is-compact' : ''}`} aria-labelledby={titleId} data-testid={testId} style={style}>
      <figcaption id={titleId} className="bar-chart-title">
        {title}
      </figcaption>
      <ul className="bar-chart-rows">
        {bars.map((bar, index) => {
          const width = bar.value > 0 ? Math.max(2, (bar.value / max) * 100) : 0;
          return (
            <li key={index} className="bar-chart-row" data-testid="bar" data-label={bar.label} data-value={bar.value}>
              <span className="bar-chart-label" title={bar.label}>
                {bar.label}
              </span>
              <svg className="bar-chart-svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                <rect x="0" y="0" width="100" height="10" rx="5" className="bar-chart-track" />
                {width > 0 && <rect x="0" y="0" width={width} height="10" rx="5" className="bar-chart-bar" />}
              </svg>
              <span className="bar-chart-value">{format(bar.value)}</span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
