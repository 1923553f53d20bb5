import type { WorkflowSpec, WorkflowStep } from './api';

/**
 * The graph of a workflow, computed from its definition alone: which step needs which
 * (the step ids its templates, `when`, `extract.from` and `map.over` name), the steps that
 * lie on a cycle, a layered layout, and which validation errors belong to which step.
 * Pure functions, so the canvas and the tests see the same thing.
 *
 * Steps are identified by their index: while a definition is edited two steps may share
 * an id, or have none. A reference to a step id means the first step with that id.
 */

export type StepKind = 'agent' | 'template' | 'extract' | 'condition' | 'map';

export const STEP_KINDS: readonly StepKind[] = ['agent', 'template', 'extract', 'condition', 'map'];

/** The step's kind when it has exactly one action, else null. */
export function stepKind(step: WorkflowStep): StepKind | null {
  const given = STEP_KINDS.filter((kind) => step[kind] != null);
  return given.length === 1 ? (given[0] ?? null) : null;
}

/** What a reference names: `inputs.x`, `steps.y.output` (then fields), or a map's `item`. */
export type Reference =
  | { root: 'inputs'; name: string }
  | { root: 'steps'; step: string }
  | { root: 'item' };

const PART = /^[A-Za-z0-9_-]+$/;

/** Parses a reference as the server does; null for anything it would refuse. */
export function parseReference(text: string): Reference | null {
  const parts = text.trim().split('.');
  if (!parts.every((part) => PART.test(part))) return null;
  const [root, name, third] = parts;
  if (root === 'inputs' && name) return { root: 'inputs', name };
  if (root === 'steps' && name && third === 'output') return { root: 'steps', step: name };
  if (root === 'item') return { root: 'item' };
  return null;
}

/** The text inside each `{{ … }}` of a template, trimmed, in order. An unclosed `{{` ends the scan. */
export function templateReferences(template: string): string[] {
  const found: string[] = [];
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) return found;
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) return found;
    found.push(rest.slice(open + 2, close).trim());
    rest = rest.slice(close + 2);
  }
}

/** One place of a step that can name other values, by its path under `steps[i].`. */
export interface StepSource {
  field: string;
  text: string;
  /** A template (`{{ … }}` inside text) rather than a single bare reference. */
  template: boolean;
}

function callSources(prefix: string, call: NonNullable<WorkflowStep['agent']>): StepSource[] {
  return [
    { field: `${prefix}.prompt`, text: call.prompt, template: true },
    ...Object.entries(call.inputs ?? {}).map(([name, text]) => ({
      field: `${prefix}.inputs.${name}`,
      text,
      template: true,
    })),
  ];
}

/** Every template and reference of a step, with the field it sits in. */
export function stepSources(step: WorkflowStep): StepSource[] {
  const sources: StepSource[] = [];
  if (step.when) sources.push({ field: 'when', text: step.when, template: false });
  if (step.agent) sources.push(...callSources('agent', step.agent));
  if (step.template) sources.push({ field: 'template.text', text: step.template.text, template: true });
  if (step.extract) sources.push({ field: 'extract.from', text: step.extract.from, template: false });
  if (step.condition) {
    sources.push({ field: 'condition.value', text: step.condition.value, template: true });
    sources.push({ field: 'condition.compare', text: step.condition.compare ?? '', template: true });
  }
  if (step.map) {
    sources.push({ field: 'map.over', text: step.map.over, template: false });
    sources.push(...callSources('map.agent', step.map.agent));
  }
  return sources;
}

/** The step ids a step names, each once, and whether only through `when`. */
export function stepDependencies(step: WorkflowStep): { step: string; conditional: boolean }[] {
  const found = new Map<string, boolean>();
  for (const source of stepSources(step)) {
    const texts = source.template ? templateReferences(source.text) : [source.text];
    for (const text of texts) {
      const reference = parseReference(text);
      if (reference?.root !== 'steps') continue;
      const conditional = source.field === 'when';
      found.set(reference.step, (found.get(reference.step) ?? true) && conditional);
    }
  }
  return [...found].map(([id, conditional]) => ({ step: id, conditional }));
}

export interface GraphEdge {
  /** `e<source>-<target>`, from step indexes. */
  id: string;
  source: number;
  target: number;
  /** The target names the source only in its `when`. */
  conditional: boolean;
}

export interface WorkflowGraph {
  edges: GraphEdge[];
  /** Indexes of the steps that lie on a cycle (a step naming itself included). */
  cyclic: Set<number>;
  /** References to step ids no step has, by the index of the step that makes them. */
  dangling: Map<number, string[]>;
  /** Each step's layer: 0 for a step that needs none, else one more than its deepest need. */
  layers: number[];
}

/** The edges, cycles, dangling references and layers of a definition. */
export function buildGraph(spec: Pick<WorkflowSpec, 'steps'>): WorkflowGraph {
  const indexOf = new Map<string, number>();
  spec.steps.forEach((step, index) => {
    if (step.id && !indexOf.has(step.id)) indexOf.set(step.id, index);
  });
  const edges: GraphEdge[] = [];
  const dangling = new Map<number, string[]>();
  spec.steps.forEach((step, target) => {
    for (const dependency of stepDependencies(step)) {
      const source = indexOf.get(dependency.step);
      if (source === undefined) {
        dangling.set(target, [...(dangling.get(target) ?? []), dependency.step]);
      } else {
        edges.push({ id: `e${source}-${target}`, source, target, conditional: dependency.conditional });
      }
    }
  });
  const cyclic = findCycles(spec.steps.length, edges);
  return { edges, cyclic, dangling, layers: layers(spec.steps.length, edges, cyclic) };
}

/** The nodes on a cycle: Tarjan's strongly connected components of size > 1, and self-loops. */
export function findCycles(count: number, edges: readonly Pick<GraphEdge, 'source' | 'target'>[]): Set<number> {
  const next: number[][] = Array.from({ length: count }, () => []);
  for (const edge of edges) next[edge.source]?.push(edge.target);
  const index: number[] = new Array<number>(count).fill(-1);
  const low: number[] = new Array<number>(count).fill(0);
  const onStack: boolean[] = new Array<boolean>(count).fill(false);
  const stack: number[] = [];
  const cyclic = new Set<number>();
  let counter = 0;

  const visit = (node: number) => {
    index[node] = low[node] = counter++;
    stack.push(node);
    onStack[node] = true;
    for (const target of next[node] ?? []) {
      if (index[target] === -1) {
        visit(target);
        low[node] = Math.min(low[node] ?? 0, low[target] ?? 0);
      } else if (onStack[target]) {
        low[node] = Math.min(low[node] ?? 0, index[target] ?? 0);
      }
    }
    if (low[node] !== index[node]) return;
    const component: number[] = [];
    for (;;) {
      const member = stack.pop();
      if (member === undefined) break;
      onStack[member] = false;
      component.push(member);
      if (member === node) break;
    }
    const selfLoop = (next[node] ?? []).includes(node);
    if (component.length > 1 || selfLoop) for (const member of component) cyclic.add(member);
  };
  for (let node = 0; node < count; node++) if (index[node] === -1) visit(node);
  return cyclic;
}

/** Longest-path layers, leaving out edges between steps of a cycle (which have no order). */
function layers(count: number, edges: readonly GraphEdge[], cyclic: Set<number>): number[] {
  const layer = new Array<number>(count).fill(0);
  const ordered = edges.filter((edge) => !(cyclic.has(edge.source) && cyclic.has(edge.target)));
  // At most `count` rounds: the longest path of a DAG has fewer edges than it has nodes.
  for (let round = 0; round < count; round++) {
    let changed = false;
    for (const { source, target } of ordered) {
      const wanted = (layer[source] ?? 0) + 1;
      if ((layer[target] ?? 0) < wanted && wanted < count) {
        layer[target] = wanted;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 76;
const LAYER_GAP = { LR: 80, TB: 56 };
const SIBLING_GAP = { LR: 36, TB: 28 };

/** Which way dependencies flow on the canvas: left to right, or top to bottom. */
export type Direction = 'LR' | 'TB';

/** Where each step sits: one column (or row, top to bottom) per layer, each centred. */
export function layoutPositions(layerOf: readonly number[], direction: Direction = 'LR'): { x: number; y: number }[] {
  const groups = new Map<number, number[]>();
  layerOf.forEach((layer, index) => groups.set(layer, [...(groups.get(layer) ?? []), index]));
  const positions = layerOf.map(() => ({ x: 0, y: 0 }));
  const along = direction === 'LR' ? NODE_WIDTH : NODE_HEIGHT;
  const across = direction === 'LR' ? NODE_HEIGHT : NODE_WIDTH;
  for (const [layer, members] of groups) {
    members.forEach((index, slot) => {
      const depth = layer * (along + LAYER_GAP[direction]);
      const offset = (slot - (members.length - 1) / 2) * (across + SIBLING_GAP[direction]);
      positions[index] = direction === 'LR' ? { x: depth, y: offset } : { x: offset, y: depth };
    });
  }
  return positions;
}

// ---- errors -------------------------------------------------------------------------

export interface PathError {
  field: string;
  message: string;
}

/** Where an error of the definition belongs in the editor. */
export type ErrorPlace =
  | { area: 'step'; index: number; field: string }
  | { area: 'inputs' | 'outputs' | 'details' | 'general'; field: string };

const DETAIL_FIELDS = new Set(['name', 'summary', 'description', 'tags', 'slug', 'visibility', 'changelog']);

/**
 * Places a field path of a problem: `steps[2].agent.prompt` is step 2's `agent.prompt`,
 * `steps[0]` the step itself (`field` empty), `inputs[1].name` and `outputs.answer` the
 * inputs and outputs, `name`, `tags[0]`... the details. The body's `spec.` prefix (shape
 * errors) is dropped first.
 */
export function placeError(path: string): ErrorPlace {
  const field = path.startsWith('spec.') ? path.slice('spec.'.length) : path;
  const step = /^steps\[(\d+)\](?:\.(.*))?$/.exec(field);
  if (step) return { area: 'step', index: Number(step[1]), field: step[2] ?? '' };
  const root = /^[a-z_]+/.exec(field)?.[0] ?? '';
  if (root === 'inputs') return { area: 'inputs', field };
  if (root === 'outputs') return { area: 'outputs', field };
  if (DETAIL_FIELDS.has(root)) return { area: 'details', field };
  return { area: 'general', field };
}

export interface PlacedErrors {
  /** By step index: the errors of that step, each with its path under the step (`agent.prompt`, or '' for the step). */
  steps: Map<number, PathError[]>;
  inputs: PathError[];
  outputs: PathError[];
  details: PathError[];
  general: PathError[];
}

export function emptyPlacedErrors(): PlacedErrors {
  return { steps: new Map(), inputs: [], outputs: [], details: [], general: [] };
}

/** Sorts a problem's field errors to the steps (for the graph) and the other parts of the editor. */
export function placeErrors(errors: readonly PathError[]): PlacedErrors {
  const placed = emptyPlacedErrors();
  for (const { field, message } of errors) {
    const place = placeError(field);
    if (place.area === 'step') {
      placed.steps.set(place.index, [...(placed.steps.get(place.index) ?? []), { field: place.field, message }]);
    } else {
      placed[place.area].push({ field: place.field, message });
    }
  }
  return placed;
}
