import { describe, expect, it } from 'vitest';
import type { AgentSpec } from '../catalog/api';
import type { AgentTool } from '../catalog/tools';
import { specBody } from '../../test/catalogFixtures';
import {
  mcpSources,
  toolCount,
  withMcpServer,
  withMcpToolAdded,
  withMcpToolName,
  withMcpToolRemoved,
  withNewMcpSource,
  withoutTool,
  withPinsFrom,
} from './mcpSources';
import { checkForm, emptyForm, formFromSpec, formPaths, specFromForm } from './specForm';

const schema = { type: 'object', properties: { a: { type: 'number' } } } as unknown as Record<string, never>;
const clock: AgentTool = { type: 'builtin', name: 'current_time' };
const fetchPage: AgentTool = { type: 'builtin', name: 'fetch_page' };
const calc: AgentTool = {
  type: 'mcp',
  server: 'calc',
  tools: [
    { name: 'add', description: 'Adds two numbers', input_schema: schema },
    { name: 'shout', description: 'Upper-cases text', input_schema: schema },
  ],
};

describe('the MCP servers of the editor', () => {
  it('adds a server last, with a tool to name, and keeps the declared order', () => {
    const tools = withNewMcpSource([clock, calc, fetchPage], 'docs');
    expect(tools).toEqual([clock, calc, fetchPage, { type: 'mcp', server: 'docs', tools: [{ name: '' }] }]);
    expect(mcpSources(tools).map(({ source, index }) => [source.server, index])).toEqual([
      ['calc', 1],
      ['docs', 3],
    ]);
    expect(toolCount(tools)).toBe(5);
  });

  it('drops what was pinned for a tool that is renamed or moves to another server, never making it up', () => {
    const renamed = withMcpToolName([clock, calc], 1, 1, 'multiply');
    expect(renamed[1]).toEqual({ type: 'mcp', server: 'calc', tools: [calc.tools[0], { name: 'multiply' }] });
    // The same name again changes nothing.
    expect(withMcpToolName([clock, calc], 1, 0, 'add')).toEqual([clock, calc]);
    expect(withMcpServer([calc], 0, 'calc-2')).toEqual([
      { type: 'mcp', server: 'calc-2', tools: [{ name: 'add' }, { name: 'shout' }] },
    ]);
    expect(withMcpServer([calc], 0, 'calc')).toEqual([calc]);
    // Only MCP servers are changed, and only the one at the index.
    expect(withMcpToolName([clock, calc], 0, 0, 'x')).toEqual([clock, calc]);
  });

  it('adds and removes tools of a server, and removes a server', () => {
    const added = withMcpToolAdded([calc], 0);
    expect(added[0]?.type === 'mcp' && added[0].tools.map((tool) => tool.name)).toEqual(['add', 'shout', '']);
    const removed = withMcpToolRemoved([calc], 0, 0);
    expect(removed[0]?.type === 'mcp' && removed[0].tools.map((tool) => tool.name)).toEqual(['shout']);
    expect(withoutTool([clock, calc, fetchPage], 1)).toEqual([clock, fetchPage]);
  });

  it('takes the pins of a save by server and name, leaving what was renamed since', () => {
    const form: AgentTool[] = [
      clock,
      { type: 'mcp', server: 'calc', tools: [{ name: ' add ' }, { name: 'mul' }] },
      { type: 'mcp', server: 'docs', tools: [{ name: 'search' }] },
    ];
    const saved: AgentTool[] = [
      clock,
      calc,
      { type: 'mcp', server: 'other', tools: [{ name: 'search', description: 'Not this one', input_schema: schema }] },
    ];
    expect(withPinsFrom(form, saved)).toEqual([
      clock,
      { type: 'mcp', server: 'calc', tools: [calc.tools[0], { name: 'mul' }] },
      { type: 'mcp', server: 'docs', tools: [{ name: 'search' }] },
    ]);
    // A server found elsewhere in the saved list (the form moved since) still gives its pins.
    expect(withPinsFrom([calc.type === 'mcp' ? { ...calc, tools: [{ name: 'shout' }] } : calc], [clock, calc])).toEqual([
      { type: 'mcp', server: 'calc', tools: [calc.tools[1]] },
    ]);
  });

  it('round-trips MCP servers through the form, trims tool names and checks them', () => {
    const spec = specBody({ tools: [calc, fetchPage] }) as AgentSpec;
    expect(specFromForm(formFromSpec(spec))).toEqual(spec);

    const form = {
      ...emptyForm(),
      name: 'Calc',
      summary: 'Sums.',
      category: 'legal',
      tools: [
        fetchPage,
        { type: 'mcp' as const, server: 'calc', tools: [{ name: ' add ' }, { name: '' }, { name: 'has space' }, { name: 'add' }] },
        { type: 'mcp' as const, server: '', tools: [] },
      ],
    };
    expect(specFromForm(form).tools?.[1]).toEqual({
      type: 'mcp',
      server: 'calc',
      tools: [{ name: 'add' }, { name: '' }, { name: 'has space' }, { name: 'add' }],
    });
    expect(checkForm(form)).toEqual({
      'tools[1].tools[1].name': ['Write the tool’s name on the server, or remove it.'],
      'tools[1].tools[2].name': ['Use 1 to 64 letters, digits, _ or -.'],
      'tools[1].tools[3].name': ['This tool is listed already.'],
      'tools[2].server': ['Choose one of your MCP servers.'],
      'tools[2].tools': ['Name a tool the agent may call, or remove the server.'],
    });
    const many = { ...form, tools: [{ type: 'mcp' as const, server: 'calc', tools: Array.from({ length: 33 }, (_, i) => ({ name: `t${i}` })) }] };
    expect(checkForm(many).tools).toEqual(['Offer at most 32 tools in all (each tool of an MCP server counts).']);

    const paths = formPaths(form);
    for (const path of ['tools[0]', 'tools[1].server', 'tools[1].tools', 'tools[1].tools[3].name', 'tools[1].tools[0].input_schema']) {
      expect(paths.has(path)).toBe(true);
    }
    expect(paths.has('tools[0].server')).toBe(false);
  });
});
