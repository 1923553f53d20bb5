import type { AgentCall, WorkflowInput, WorkflowInputType, WorkflowSpec, WorkflowStep } from '../api';
import { stepKind, type StepKind } from '../graph';

/**
 * The editor's model of a definition: the spec as the API has it, except the outputs, kept
 * as rows so a name can be edited (and be briefly empty or repeated) without losing the
 * template. Pure helpers, so they are easy to test.
 */

export interface OutputRow {
  name: string;
  template: string;
}

export interface WorkflowDraft {
  spec: WorkflowSpec;
  outputs: OutputRow[];
}

export const FORMAT = 'agora.workflow/v1';

export function emptySpec(): WorkflowSpec {
  return { format: FORMAT, name: '', summary: '', description: '', tags: [], inputs: [], steps: [], outputs: {} };
}

export function draftFromSpec(spec: WorkflowSpec): WorkflowDraft {
  return {
    spec: { ...emptySpec(), ...spec },
    outputs: Object.entries(spec.outputs ?? {}).map(([name, template]) => ({ name, template })),
  };
}

/** The spec to send: outputs from their rows, steps without empty `when` or unused actions. */
export function specFromDraft({ spec, outputs }: WorkflowDraft): WorkflowSpec {
  const steps = spec.steps.map((step) => {
    const clean: WorkflowStep = { id: step.id.trim() };
    const when = step.when?.trim();
    if (when) clean.when = when;
    if (step.agent) clean.agent = step.agent;
    if (step.template) clean.template = step.template;
    if (step.extract) clean.extract = step.extract;
    if (step.condition) clean.condition = step.condition;
    if (step.map) clean.map = step.map;
    return clean;
  });
  return {
    ...spec,
    format: FORMAT,
    tags: (spec.tags ?? []).map((tag) => tag.trim()).filter(Boolean),
    steps,
    outputs: Object.fromEntries(outputs.map((row) => [row.name.trim(), row.template])),
  };
}

export function emptyAgentCall(): AgentCall {
  return { ref: '', version: 1, prompt: '', inputs: {} };
}

/** The action a new step of `kind` starts with. */
export function defaultAction(kind: StepKind): Partial<WorkflowStep> {
  switch (kind) {
    case 'agent':
      return { agent: emptyAgentCall() };
    case 'template':
      return { template: { text: '' } };
    case 'extract':
      return { extract: { from: '', path: '' } };
    case 'condition':
      return { condition: { value: '', operator: 'not_empty', compare: '' } };
    case 'map':
      return { map: { over: '', agent: emptyAgentCall(), concurrency: 4, max_items: 100 } };
  }
}

/** An id for a new step of `kind` that no step has yet: `agent_1`, `agent_2`... */
export function freshStepId(kind: StepKind, steps: readonly WorkflowStep[]): string {
  const taken = new Set(steps.map((step) => step.id));
  for (let n = 1; ; n++) {
    const id = `${kind}_${n}`;
    if (!taken.has(id)) return id;
  }
}

export function newStep(kind: StepKind, steps: readonly WorkflowStep[]): WorkflowStep {
  return { id: freshStepId(kind, steps), ...defaultAction(kind) };
}

/**
 * The step as another kind: the id and `when` stay, the action is replaced; an agent step
 * becoming a map (or back) keeps its agent, prompt and inputs.
 */
export function changeKind(step: WorkflowStep, kind: StepKind): WorkflowStep {
  if (stepKind(step) === kind) return step;
  const next: WorkflowStep = { id: step.id, ...(step.when ? { when: step.when } : {}), ...defaultAction(kind) };
  const call = step.agent ?? step.map?.agent;
  if (call && kind === 'agent') next.agent = call;
  if (call && kind === 'map' && next.map) next.map = { ...next.map, agent: call };
  return next;
}

/** The references a step's templates may use: the inputs, the other steps' outputs, and `item` in a map. */
export function availableReferences(spec: Pick<WorkflowSpec, 'inputs' | 'steps'>, index: number): string[] {
  const step = spec.steps[index];
  return [
    ...(spec.inputs ?? []).filter((input) => input.name).map((input) => `inputs.${input.name}`),
    ...spec.steps.filter((other, at) => at !== index && other.id).map((other) => `steps.${other.id}.output`),
    ...(step?.map ? ['item'] : []),
  ];
}

/** The references a `when` may name: condition steps' outputs and boolean inputs. */
export function whenReferences(spec: Pick<WorkflowSpec, 'inputs' | 'steps'>, index: number): string[] {
  return [
    ...(spec.inputs ?? []).filter((input) => input.type === 'boolean' && input.name).map((input) => `inputs.${input.name}`),
    ...spec.steps
      .filter((other, at) => at !== index && other.id && other.condition)
      .map((other) => `steps.${other.id}.output`),
  ];
}

export function emptyInput(inputs: readonly WorkflowInput[]): WorkflowInput {
  const taken = new Set(inputs.map((input) => input.name));
  let n = 1;
  while (taken.has(`input_${n}`)) n++;
  return { name: `input_${n}`, label: '', type: 'text', required: true };
}

/** The value a run's input form holds for a field, as the API wants it; or what is wrong with it. */
export function parseInputValue(type: WorkflowInputType, raw: string | boolean): { value: unknown } | { error: string } {
  if (type === 'boolean') return { value: raw === true || raw === 'true' };
  const text = String(raw);
  if (type === 'text') return { value: text };
  if (type === 'number') {
    const value = Number(text.trim());
    return text.trim() !== '' && Number.isFinite(value) ? { value } : { error: 'Enter a number.' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: type === 'list' ? 'Enter a JSON list, such as ["a", "b"].' : 'Enter a JSON object, such as {"a": 1}.' };
  }
  if (type === 'list' && !Array.isArray(value)) return { error: 'Enter a JSON list, such as ["a", "b"].' };
  if (type === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    return { error: 'Enter a JSON object, such as {"a": 1}.' };
  }
  return { value };
}

/** A slug made from a name ("Blog post → tweet!" → "blog-post-tweet"), for a new workflow's address. */
export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 48)
    .replace(/-+$/, '');
}
