import type { Schemas } from '../../api/client';

/**
 * The tools an agent's model may call while it answers (`tools` in `agora.agent/v1`), run by
 * Agora inside the run: the built-ins, and tools of the creator's MCP servers. What each is
 * called and does, for the editor, the agent's page and the tool calls shown with an answer.
 */

export type AgentTool = Schemas['AgentTool'];
export type BuiltinTool = Schemas['BuiltinTool'];
export type PinnedTool = Schemas['PinnedTool'];

export interface BuiltinToolInfo {
  name: BuiltinTool;
  /** What a user reads: "Fetch web pages". */
  label: string;
  /** One line on what it does. */
  description: string;
}

/** Every built-in tool, in the order the editor offers them. */
export const BUILTIN_TOOLS: readonly BuiltinToolInfo[] = [
  {
    name: 'fetch_page',
    label: 'Fetch web pages',
    description: 'Reads a public web page as text (public addresses only, through Agora’s egress guard)',
  },
  { name: 'current_time', label: 'Current time', description: 'The current date and time (UTC)' },
];

/** The built-in tool called `name`, or undefined for a name this version does not know. */
export function builtinTool(name: string): BuiltinToolInfo | undefined {
  return BUILTIN_TOOLS.find((tool) => tool.name === name);
}

/** A declared tool's name: a built-in's, an MCP server's, or for a kind this version does not know, its kind. */
export function toolName(tool: AgentTool): string {
  switch (tool.type) {
    case 'builtin':
      return tool.name;
    case 'mcp':
      return tool.server;
    default:
      return String((tool as { type: unknown }).type);
  }
}

/** The built-in a declared tool is, if it is one this version knows. */
export function declaredBuiltin(tool: AgentTool): BuiltinToolInfo | undefined {
  return tool.type === 'builtin' ? builtinTool(tool.name) : undefined;
}

/** What a declared tool is called: a built-in's label, an MCP server by its name, else its name or kind as given. */
export function toolLabel(tool: AgentTool): string {
  if (tool.type === 'mcp') return `MCP server “${tool.server}”`;
  return declaredBuiltin(tool)?.label ?? toolName(tool);
}

/** The tools of an MCP server the agent may call (none for other kinds). */
export function pinnedTools(tool: AgentTool): PinnedTool[] {
  return tool.type === 'mcp' && Array.isArray(tool.tools) ? tool.tools : [];
}

/** The declared tools with `name` switched on (added at the end) or off, the others in their order. */
export function withBuiltinTool(tools: readonly AgentTool[], name: BuiltinTool, on: boolean): AgentTool[] {
  const declared = tools.some((tool) => tool.type === 'builtin' && tool.name === name);
  if (on) return declared ? [...tools] : [...tools, { type: 'builtin', name }];
  return tools.filter((tool) => !(tool.type === 'builtin' && tool.name === name));
}
