import type { ReactNode } from 'react';

export interface Stat {
  label: string;
  value: ReactNode;
  testId?: string;
}

/** Figures side by side, each under its label (a definition list). */
export function StatList({ stats, className, testId }: { stats: Stat[]; className?: string; testId?: string }) {
  return (
    <dl className={className ? `stat-row ${className}` : 'stat-row'} data-testid={testId}>
      {stats.map((stat) => (
        <div key={stat.label} className="stat">
          <dt>{stat.label}</dt>
          <dd data-testid={stat.testId}>{stat.value}</dd>
        </div>
      ))}
    </dl>
  );
}
