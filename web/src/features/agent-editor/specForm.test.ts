import { describe, expect, it } from 'vitest';
import type { AgentSpec } from '../catalog/api';
import { ApiError } from '../../api/problem';
import { specBody } from '../../test/catalogFixtures';
import { asProblem } from '../../test/fixtures';
import { toolLabel, toolName, withBuiltinTool, type AgentTool } from '../catalog/tools';
import { checkForm, editorErrorsFrom, emptyForm, formFromSpec, formPaths, specFromForm, specPath } from './specForm';

function validationError(errors: { field: string; message: string }[], status = 422) {
  return new ApiError('Validation failed', {
    status,
    problem: asProblem({ type: 'https://agora.dev/problems/validation', title: 'Validation failed', status, detail: '', request_id: 'req-1', errors }),
  });
}

describe('the editor form', () => {
  it('round-trips a definition through the form unchanged', () => {
    const spec = specBody() as AgentSpec;
    expect(specFromForm(formFromSpec(spec))).toEqual(spec);
  });

  it('round-trips the tools a definition declares, in their order', () => {
    const spec = specBody({
      tools: [
        { type: 'builtin', name: 'fetch_page' },
        { type: 'builtin', name: 'current_time' },
      ],
    }) as AgentSpec;
    const form = formFromSpec(spec);
    expect(form.tools.map(toolName)).toEqual(['fetch_page', 'current_time']);
    expect(specFromForm(form)).toEqual(spec);
    expect(specFromForm(emptyForm()).tools).toEqual([]);
  });

  it('switches a built-in tool on (last) and off, keeping the others in their order', () => {
    const fetchPage = { type: 'builtin' as const, name: 'fetch_page' as const };
    const currentTime = { type: 'builtin' as const, name: 'current_time' as const };
    expect(withBuiltinTool([], 'current_time', true)).toEqual([currentTime]);
    expect(withBuiltinTool([currentTime], 'fetch_page', true)).toEqual([currentTime, fetchPage]);
    // Switching on what is declared changes nothing.
    expect(withBuiltinTool([fetchPage, currentTime], 'fetch_page', true)).toEqual([fetchPage, currentTime]);
    expect(withBuiltinTool([fetchPage, currentTime], 'fetch_page', false)).toEqual([currentTime]);
    expect(withBuiltinTool([fetchPage, fetchPage], 'fetch_page', false)).toEqual([]);
  });

  it('keeps the tools it does not switch (MCP servers, kinds it does not know) as they are', () => {
    const mcp: AgentTool = { type: 'mcp', server: 'docs', tools: [{ name: 'search', description: 'Searches the docs.' }] };
    // A kind a newer server may send.
    const later = { type: 'openapi', url: 'https://api.example.com/openapi.json' } as unknown as AgentTool;
    const spec = specBody({ tools: [mcp, later] }) as AgentSpec;
    const form = formFromSpec(spec);
    expect(specFromForm(form)).toEqual(spec);
    expect(specFromForm({ ...form, tools: withBuiltinTool(form.tools, 'current_time', true) }).tools).toEqual([
      mcp,
      later,
      { type: 'builtin', name: 'current_time' },
    ]);
    expect(withBuiltinTool([mcp, later], 'fetch_page', false)).toEqual([mcp, later]);
    expect([mcp, later, { type: 'builtin', name: 'fetch_page' } as const].map(toolLabel)).toEqual([
      'MCP server “docs”',
      'openapi',
      'Fetch web pages',
    ]);
  });

  it('sends options only for a choice field, and empty numbers as null', () => {
    const form = {
      ...emptyForm(),
      inputs: [
        { name: 'tone', label: 'Tone', type: 'select' as const, required: false, options: 'formal\n\n casual \n' },
        { name: 'notes', label: 'Notes', type: 'text' as const, required: true, options: 'left over' },
      ],
      temperature: ' 0.7 ',
    };
    const spec = specFromForm(form);
    expect(spec.inputs?.map((input) => input.options)).toEqual([['formal', 'casual'], []]);
    expect(spec.model).toEqual({
      provider: 'agora',
      name: 'echo',
      parameters: { temperature: 0.7, top_p: null, max_tokens: null },
      fallbacks: [],
    });
    expect(spec.price_per_run).toBe('0');
  });

  it('checks what needs no server, keyed like the server', () => {
    const errors = checkForm({
      ...emptyForm(),
      tags: ['ok', 'Bad Tag'],
      inputs: [
        { name: '1st', label: '', type: 'select', required: false, options: '' },
        { name: 'a', label: 'A', type: 'text', required: false, options: '' },
        { name: 'a', label: 'A', type: 'text', required: false, options: '' },
      ],
      temperature: '3',
      price: '1e3',
    });
    expect(Object.keys(errors).sort()).toEqual(
      [
        'name',
        'summary',
        'category',
        'tags[1]',
        'inputs[0].name',
        'inputs[0].label',
        'inputs[0].options',
        'inputs[2].name',
        'model.parameters.temperature',
        'price_per_run',
      ].sort(),
    );
  });

  it('maps the definition./draft. prefixes of the API onto the form paths', () => {
    expect(specPath('definition.inputs[2].name')).toBe('inputs[2].name');
    expect(specPath('draft.model.fallbacks[0].name')).toBe('model.fallbacks[0].name');
    expect(specPath('slug')).toBe('slug');

    const form = {
      ...emptyForm(),
      tags: ['a1'],
      inputs: [{ name: 'x', label: 'X', type: 'text' as const, required: false, options: '' }],
      tools: [
        { type: 'builtin' as const, name: 'fetch_page' as const },
        { type: 'builtin' as const, name: 'fetch_page' as const },
      ],
    };
    const errors = editorErrorsFrom(
      validationError([
        { field: 'definition.inputs[0].name', message: 'is used by another field' },
        { field: 'draft.tags[0]', message: 'must be 2 to 32 lower-case letters' },
        { field: 'slug', message: 'is reserved' },
        { field: 'definition.tools[1]', message: 'is declared twice' },
        { field: 'definition.knowledge', message: 'knowledge is not supported yet; send an empty list' },
        { field: 'definition.inputs[7].label', message: 'is required' },
      ]),
      formPaths(form, ['slug']),
    );
    expect(errors.fields).toEqual({
      'inputs[0].name': ['is used by another field'],
      'tags[0]': ['must be 2 to 32 lower-case letters'],
      slug: ['is reserved'],
      'tools[1]': ['is declared twice'],
    });
    // What the form has no input for is said at the top, with its path.
    expect(errors.form).toContain('knowledge: knowledge is not supported yet');
    expect(errors.form).toContain('inputs[7].label: is required');
    expect(errors.requestId).toBe('req-1');
  });

  it('puts a taken slug (409) on the slug field', () => {
    const taken = new ApiError('Conflict', {
      status: 409,
      problem: asProblem({ type: 'https://agora.dev/problems/conflict', title: 'Conflict', status: 409, detail: 'You already have an agent at `x`.', request_id: 'r' }),
    });
    expect(editorErrorsFrom(taken, formPaths(emptyForm(), ['slug'])).fields).toEqual({ slug: ['You already have an agent at `x`.'] });
    expect(editorErrorsFrom(taken, formPaths(emptyForm())).form).toBe('Conflict');
  });
});
