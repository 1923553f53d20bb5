import type { ConditionOperator, StepStatus, WorkflowInputType, WorkflowRunStatus, WorkflowStep } from './api';
import { MICROS } from '../../format/credits';
import { stepKind, type StepKind } from './graph';

/** Words for the parts of a workflow, shared by the editor, the run page and the lists. */

export const KIND_LABELS: Record<StepKind, string> = {
  agent: 'Agent',
  template: 'Template',
  extract: 'Extract',
  condition: 'Condition',
  map: 'Map',
};

export const KIND_HINTS: Record<StepKind, string> = {
  agent: 'Runs a marketplace agent, pinned to a version; its output is the answer.',
  template: 'Renders text from inputs and earlier outputs.',
  extract: 'Reads one value out of JSON (a JSON Pointer such as /items/0/title).',
  condition: 'Compares two values; its output (true or false) can gate other steps with “when”.',
  map: 'Runs an agent once per item of a list; {{ item }} is the current item.',
};

export const STEP_STATUS_LABELS: Record<StepStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
};

export function stepStatusLabel(status: string): string {
  return (STEP_STATUS_LABELS as Record<string, string | undefined>)[status] ?? status;
}

export const RUN_STATUS_LABELS: Record<WorkflowRunStatus, string> = {
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function workflowRunStatusLabel(status: string): string {
  return (RUN_STATUS_LABELS as Record<string, string | undefined>)[status] ?? status;
}

export const OPERATOR_LABELS: Record<ConditionOperator, string> = {
  equals: 'equals',
  not_equals: 'does not equal',
  contains: 'contains',
  is_empty: 'is empty',
  not_empty: 'is not empty',
};

export const INPUT_TYPE_LABELS: Record<WorkflowInputType, string> = {
  text: 'Text',
  number: 'Number',
  boolean: 'Yes / no',
  list: 'List (JSON)',
  object: 'Object (JSON)',
};

function clip(text: string, length = 48): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/** One line on what a step does, for its node on the graph. */
export function stepSummary(step: WorkflowStep): string {
  switch (stepKind(step)) {
    case 'agent':
      return step.agent?.ref ? `${step.agent.ref} v${step.agent.version}` : 'No agent chosen';
    case 'map':
      return step.map?.agent.ref ? `each of ${clip(step.map.over, 24)} → ${step.map.agent.ref}` : 'No agent chosen';
    case 'template':
      return clip(step.template?.text ?? '') || 'Empty text';
    case 'extract':
      return `${clip(step.extract?.from ?? '', 28)} ${step.extract?.path ?? ''}`.trim();
    case 'condition':
      return step.condition
        ? clip(`${step.condition.value} ${OPERATOR_LABELS[step.condition.operator]} ${step.condition.compare ?? ''}`)
        : '';
    default:
      return 'Needs exactly one action';
  }
}

/**
 * An amount of credits as the API writes it ("0.05", "12") in micro-credits, exactly; NaN
 * for anything else.
 */
export function creditsToMicros(amount: string): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(amount.trim());
  if (!match) return Number.NaN;
  const micros = Number(match[2]) * MICROS + Number((match[3] ?? '').padEnd(6, '0'));
  return match[1] ? -micros : micros;
}

/** "1.2 s", "3 min 5 s", "—" for a step that has not both started and finished. */
export function formatDuration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return '—';
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
