import { describe, expect, it } from 'vitest';
import type { WorkflowStep } from './api';
import {
  buildGraph,
  findCycles,
  layoutPositions,
  parseReference,
  placeError,
  placeErrors,
  stepDependencies,
  stepKind,
  templateReferences,
} from './graph';

const agent = (id: string, prompt: string, inputs: Record<string, string> = {}, when?: string): WorkflowStep => ({
  id,
  ...(when ? { when } : {}),
  agent: { ref: 'agora-demo/sql-explainer', version: 1, prompt, inputs },
});

describe('templates and references', () => {
  it('finds every {{ reference }} of a template, trimmed', () => {
    expect(templateReferences('Hi {{ inputs.name }}, see {{steps.a.output.title}} and {{ item }}')).toEqual([
      'inputs.name',
      'steps.a.output.title',
      'item',
    ]);
    expect(templateReferences('no references')).toEqual([]);
    // An unclosed `{{` ends the scan, as the server refuses it anyway.
    expect(templateReferences('{{ inputs.a }} then {{ steps.b.output')).toEqual(['inputs.a']);
  });

  it('parses what the server accepts, and nothing else', () => {
    expect(parseReference('inputs.topic')).toEqual({ root: 'inputs', name: 'topic' });
    expect(parseReference(' steps.summary.output.items.0 ')).toEqual({ root: 'steps', step: 'summary' });
    expect(parseReference('item.title')).toEqual({ root: 'item' });
    expect(parseReference('steps.summary')).toBeNull();
    expect(parseReference('env.SECRET')).toBeNull();
    expect(parseReference('steps..output')).toBeNull();
    expect(parseReference('{{ steps.a.output }}')).toBeNull();
  });

  it('tells the kind of a step with exactly one action', () => {
    expect(stepKind(agent('a', 'x'))).toBe('agent');
    expect(stepKind({ id: 't', template: { text: 'x' } })).toBe('template');
    expect(stepKind({ id: 'n' })).toBeNull();
    expect(stepKind({ id: 'two', template: { text: 'x' }, extract: { from: 'inputs.a', path: '' } })).toBeNull();
  });

  it('collects dependencies from every template, `when`, `extract.from` and `map.over`', () => {
    expect(stepDependencies(agent('b', '{{ steps.a.output }} {{ inputs.x }}', { style: '{{ steps.c.output.tone }}' }))).toEqual([
      { step: 'a', conditional: false },
      { step: 'c', conditional: false },
    ]);
    expect(stepDependencies(agent('b', 'plain', {}, 'steps.check.output'))).toEqual([{ step: 'check', conditional: true }]);
    // Named in `when` and in the prompt: a data dependency.
    expect(stepDependencies(agent('b', '{{ steps.check.output }}', {}, 'steps.check.output'))).toEqual([
      { step: 'check', conditional: false },
    ]);
    expect(stepDependencies({ id: 'e', extract: { from: 'steps.a.output', path: '/x' } })).toEqual([
      { step: 'a', conditional: false },
    ]);
    expect(
      stepDependencies({
        id: 'm',
        map: { over: 'steps.list.output', agent: { ref: 'x/y', version: 1, prompt: '{{ item }} {{ steps.ctx.output }}' } },
      }),
    ).toEqual([
      { step: 'list', conditional: false },
      { step: 'ctx', conditional: false },
    ]);
    expect(
      stepDependencies({ id: 'c', condition: { value: '{{ steps.a.output }}', operator: 'contains', compare: '{{ steps.b.output }}' } }),
    ).toEqual([
      { step: 'a', conditional: false },
      { step: 'b', conditional: false },
    ]);
  });
});

describe('buildGraph', () => {
  it('draws an edge from each step to the steps that name it, whatever the order of the steps', () => {
    const graph = buildGraph({
      steps: [
        agent('summary', 'Summarise {{ steps.draft.output }}', {}, 'steps.check.output'),
        agent('draft', 'Write about {{ inputs.topic }}'),
        { id: 'check', condition: { value: '{{ steps.draft.output }}', operator: 'not_empty' } },
      ],
    });
    expect(graph.edges).toEqual([
      { id: 'e2-0', source: 2, target: 0, conditional: true },
      { id: 'e1-0', source: 1, target: 0, conditional: false },
      { id: 'e1-2', source: 1, target: 2, conditional: false },
    ]);
    expect(graph.cyclic.size).toBe(0);
    expect(graph.dangling.size).toBe(0);
    expect(graph.layers).toEqual([2, 0, 1]);
  });

  it('finds the steps on cycles (self-loops included) and references to missing steps', () => {
    const graph = buildGraph({
      steps: [
        agent('a', '{{ steps.c.output }}'),
        agent('b', '{{ steps.a.output }}'),
        agent('c', '{{ steps.b.output }}'),
        agent('d', '{{ steps.a.output }} {{ steps.ghost.output }}'),
        agent('e', '{{ steps.e.output }}'),
      ],
    });
    expect([...graph.cyclic].sort()).toEqual([0, 1, 2, 4]);
    expect(graph.dangling).toEqual(new Map([[3, ['ghost']]]));
    // Layers stay finite despite the cycles.
    expect(graph.layers.every((layer) => layer < 5)).toBe(true);
  });

  it('uses the first of two steps with the same id', () => {
    const graph = buildGraph({ steps: [agent('a', 'x'), agent('a', 'y'), agent('b', '{{ steps.a.output }}')] });
    expect(graph.edges.map((edge) => edge.id)).toEqual(['e0-2']);
  });

  it('finds cycles in a plain list of edges', () => {
    expect(findCycles(3, [])).toEqual(new Set());
    expect(findCycles(3, [{ source: 0, target: 1 }, { source: 1, target: 2 }])).toEqual(new Set());
    expect(findCycles(3, [{ source: 0, target: 1 }, { source: 1, target: 0 }, { source: 1, target: 2 }])).toEqual(new Set([0, 1]));
  });

  it('lays the layers out as centred columns, left to right', () => {
    const positions = layoutPositions([0, 1, 1, 2]);
    expect(positions[0]?.y).toBe(0);
    expect(positions[1]?.x).toBe(positions[2]?.x);
    expect(positions[1]?.y).toBe(-(positions[2]?.y ?? 0));
    expect(positions[3]?.x).toBeGreaterThan(positions[1]?.x ?? 0);
    // Top to bottom: the same, turned.
    const turned = layoutPositions([0, 1, 1, 2], 'TB');
    expect(turned[1]?.y).toBe(turned[2]?.y);
    expect(turned[1]?.x).toBe(-(turned[2]?.x ?? 0));
    expect(turned[3]?.y).toBeGreaterThan(turned[1]?.y ?? 0);
  });
});

describe('placing validation errors', () => {
  it('sends each path to its step, or to the part of the editor it belongs to', () => {
    expect(placeError('steps[2].agent.prompt')).toEqual({ area: 'step', index: 2, field: 'agent.prompt' });
    expect(placeError('steps[0]')).toEqual({ area: 'step', index: 0, field: '' });
    expect(placeError('spec.steps[1].map.agent.version')).toEqual({ area: 'step', index: 1, field: 'map.agent.version' });
    expect(placeError('inputs[1].name')).toEqual({ area: 'inputs', field: 'inputs[1].name' });
    expect(placeError('outputs.answer')).toEqual({ area: 'outputs', field: 'outputs.answer' });
    expect(placeError('tags[0]')).toEqual({ area: 'details', field: 'tags[0]' });
    expect(placeError('steps')).toEqual({ area: 'general', field: 'steps' });
  });

  it('groups the errors of each step', () => {
    const placed = placeErrors([
      { field: 'steps[2].agent.prompt', message: 'there is no step `x`' },
      { field: 'steps[0]', message: 'steps a, b depend on each other in a cycle' },
      { field: 'steps[2].agent.ref', message: 'no such agent' },
      { field: 'outputs.answer', message: 'names something that is neither an input nor a step' },
      { field: 'name', message: 'must be 1 to 80 characters' },
    ]);
    expect(placed.steps).toEqual(
      new Map([
        [
          2,
          [
            { field: 'agent.prompt', message: 'there is no step `x`' },
            { field: 'agent.ref', message: 'no such agent' },
          ],
        ],
        [0, [{ field: '', message: 'steps a, b depend on each other in a cycle' }]],
      ]),
    );
    expect(placed.outputs).toEqual([{ field: 'outputs.answer', message: 'names something that is neither an input nor a step' }]);
    expect(placed.details).toEqual([{ field: 'name', message: 'must be 1 to 80 characters' }]);
    expect(placed.inputs).toEqual([]);
    expect(placed.general).toEqual([]);
  });
});
