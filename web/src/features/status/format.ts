/** Readable names for the dependencies the API checks; unknown names are shown as given. */
const DEPENDENCY_LABELS: Record<string, string> = {
  database: 'Database',
  cache: 'Cache',
  s3: 'Object storage',
  sqs: 'Message queue',
  dynamodb: 'DynamoDB',
  kms: 'Key management',
  secretsmanager: 'Secrets Manager',
};

export function dependencyLabel(name: string): string {
  const known = DEPENDENCY_LABELS[name];
  if (known) return known;
  const spaced = name.replace(/[_-]+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

const msFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const msPrecise = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
const msWhole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** "0.35 ms", "1.7 ms", "42 ms", "1,234 ms", "12.3 s". */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms >= 10_000) return `${msFormat.format(ms / 1000)} s`;
  if (ms >= 10) return `${msWhole.format(ms)} ms`;
  if (ms < 1) return `${msPrecise.format(ms)} ms`;
  return `${msFormat.format(ms)} ms`;
}

/** A chart axis label: "0", "0.5 ms", "25 ms", "1 s". */
export function formatTick(ms: number): string {
  if (ms === 0) return '0';
  if (ms >= 1000) return `${msFormat.format(ms / 1000)} s`;
  return `${msPrecise.format(ms)} ms`;
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value`: a round end for a chart axis. */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}
