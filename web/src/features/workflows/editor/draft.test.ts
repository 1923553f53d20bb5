import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../api/problem';
import { insufficientCredits } from '../api';
import { asProblem } from '../../../test/fixtures';
import {
  availableReferences,
  changeKind,
  draftFromSpec,
  emptySpec,
  newStep,
  parseInputValue,
  slugFromName,
  specFromDraft,
  whenReferences,
} from './draft';
import { creditsToMicros, formatDuration, stepSummary } from '../labels';

describe('the editor’s draft', () => {
  it('keeps outputs as rows, and sends them back as a map with tidy steps and tags', () => {
    const draft = draftFromSpec({
      ...emptySpec(),
      name: 'X',
      summary: 'Y',
      steps: [{ id: 'a', template: { text: 'hi' } }],
      outputs: { answer: '{{ steps.a.output }}' },
    });
    expect(draft.outputs).toEqual([{ name: 'answer', template: '{{ steps.a.output }}' }]);
    const spec = specFromDraft({
      spec: { ...draft.spec, tags: ['writing', ' ', ' tools'], steps: [{ id: ' a ', when: ' ', template: { text: 'hi' }, agent: null }] },
      outputs: [{ name: ' result ', template: '{{ steps.a.output }}' }],
    });
    expect(spec.tags).toEqual(['writing', 'tools']);
    expect(spec.steps).toEqual([{ id: 'a', template: { text: 'hi' } }]);
    expect(spec.outputs).toEqual({ result: '{{ steps.a.output }}' });
    expect(spec.format).toBe('agora.workflow/v1');
  });

  it('names new steps after their kind, and changes a step’s kind keeping its agent', () => {
    const steps = [newStep('agent', [])];
    expect(steps[0]).toEqual({ id: 'agent_1', agent: { ref: '', version: 1, prompt: '', inputs: {} } });
    expect(newStep('agent', steps).id).toBe('agent_2');
    const agent = { id: 'a', when: 'steps.c.output', agent: { ref: 'x/y', version: 3, prompt: 'p', inputs: {} } };
    const map = changeKind(agent, 'map');
    expect(map).toEqual({ id: 'a', when: 'steps.c.output', map: { over: '', agent: agent.agent, concurrency: 4, max_items: 100 } });
    expect(changeKind(map, 'agent')).toEqual(agent);
    expect(changeKind(agent, 'template')).toEqual({ id: 'a', when: 'steps.c.output', template: { text: '' } });
  });

  it('offers the references a step may use', () => {
    const spec = {
      inputs: [
        { name: 'topic', type: 'text' as const },
        { name: 'strict', type: 'boolean' as const },
      ],
      steps: [
        { id: 'check', condition: { value: '{{ inputs.topic }}', operator: 'not_empty' as const } },
        { id: 'each', map: { over: 'inputs.topic', agent: { ref: 'x/y', version: 1, prompt: '' } } },
      ],
    };
    expect(availableReferences(spec, 1)).toEqual(['inputs.topic', 'inputs.strict', 'steps.check.output', 'item']);
    expect(whenReferences(spec, 1)).toEqual(['inputs.strict', 'steps.check.output']);
  });

  it('reads run inputs by their type', () => {
    expect(parseInputValue('text', ' hi ')).toEqual({ value: ' hi ' });
    expect(parseInputValue('number', '2.5')).toEqual({ value: 2.5 });
    expect(parseInputValue('number', 'two')).toEqual({ error: 'Enter a number.' });
    expect(parseInputValue('boolean', true)).toEqual({ value: true });
    expect(parseInputValue('list', '["a", 1]')).toEqual({ value: ['a', 1] });
    expect(parseInputValue('list', '{"a": 1}')).toHaveProperty('error');
    expect(parseInputValue('object', '{"a": 1}')).toEqual({ value: { a: 1 } });
    expect(parseInputValue('object', 'nope')).toHaveProperty('error');
  });

  it('makes a slug from a name', () => {
    expect(slugFromName('Blog post → Tweet!')).toBe('blog-post-tweet');
    expect(slugFromName('  42 Ways ')).toBe('ways');
    expect(slugFromName('Café')).toBe('cafe');
  });
});

describe('workflow labels and amounts', () => {
  it('reads credits exactly, and durations', () => {
    expect(creditsToMicros('0.05')).toBe(50_000);
    expect(creditsToMicros('12')).toBe(12_000_000);
    expect(creditsToMicros('0.000001')).toBe(1);
    expect(creditsToMicros('x')).toBeNaN();
    expect(formatDuration('2026-03-01T10:00:00Z', '2026-03-01T10:00:01.500Z')).toBe('1.5 s');
    expect(formatDuration('2026-03-01T10:00:00Z', null)).toBe('—');
    expect(stepSummary({ id: 'a', agent: { ref: 'x/y', version: 2, prompt: '' } })).toBe('x/y v2');
    expect(stepSummary({ id: 'a' })).toBe('Needs exactly one action');
  });

  it('finds the amounts of a 402', () => {
    const problem = asProblem({
      type: 'https://agora.dev/problems/insufficient-credits',
      title: 'Insufficient credits',
      status: 402,
      detail: 'This run may cost up to 1.204 credits, and you have 0.5 available. Add credits.',
      request_id: 'r',
    });
    expect(insufficientCredits(new ApiError('x', { status: 402, problem }))).toEqual({ needed: '1.204', available: '0.5' });
    expect(insufficientCredits(new ApiError('x', { status: 422, problem }))).toBeNull();
    expect(insufficientCredits(new Error('x'))).toBeNull();
  });
});
