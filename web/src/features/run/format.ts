import type { RunStatus, ToolUse } from './api';

/** How a run's facts read: its latency, its status and its calls to tools. */

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

/** Where a call stands: running, how it ended, or cut short with the answer (stopped, lost). */
export type ToolCardStatus = 'running' | 'ok' | 'error' | 'refused' | 'unfinished';

export function toolCardStatus(use: ToolUse | null, active: boolean): ToolCardStatus {
  if (use) return use.outcome === 'ok' || use.outcome === 'error' || use.outcome === 'refused' ? use.outcome : 'error';
  return active ? 'running' : 'unfinished';
}

/** The arguments as the model wrote them: pretty-printed when they are JSON, else as they are. */
export function formatArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** "… (1,234 characters in all)" when the preview is only the start of the result; else null. */
export function resultMore(use: ToolUse): string | null {
  return use.result_chars > [...use.result_preview].length
    ? `… (${use.result_chars.toLocaleString('en')} characters in all)`
    : null;
}
