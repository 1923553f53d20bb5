import type { RunStatus } from './api';

/** How a run's facts read: its latency and its status. */

/** "353 ms", "1.2 s", "—" when unknown. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export const RUN_STATUS_LABELS: Record<RunStatus, string> = {
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  stopped: 'Stopped',
  disconnected: 'Disconnected',
};

export function runStatusLabel(status: string): string {
  return (RUN_STATUS_LABELS as Record<string, string | undefined>)[status] ?? status;
}
