import type { AgentTool, PinnedTool } from '../catalog/tools';

/**
 * The MCP servers among an agent's declared tools (`{type: "mcp", server, tools}`), as the
 * editor changes them. Every change keeps the other tools where they are, so the declared
 * order stays as it was; a new server goes last. A tool's description and input schema
 * are pinned by the server when the draft is saved: a tool whose name (or server) changes
 * loses them until the next save, and the editor never makes them up.
 */

export type McpSource = Extract<AgentTool, { type: 'mcp' }>;

/** The most tools one agent may offer its model (an MCP server's tools counted one by one). */
export const MAX_AGENT_TOOLS = 32;

/** The rule for a tool's name on its server: 1 to 64 letters, digits, `_` or `-`. */
export const MCP_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** How many tools the declared tools offer the model. */
export function toolCount(tools: readonly AgentTool[]): number {
  return tools.reduce((count, tool) => count + (tool.type === 'mcp' ? tool.tools.length : 1), 0);
}

/** The MCP servers among the declared tools, each with its index there. */
export function mcpSources(tools: readonly AgentTool[]): { source: McpSource; index: number }[] {
  return tools.flatMap((tool, index) => (tool.type === 'mcp' ? [{ source: tool, index }] : []));
}

function updateSource(tools: readonly AgentTool[], index: number, update: (source: McpSource) => McpSource): AgentTool[] {
  return tools.map((tool, i) => (i === index && tool.type === 'mcp' ? update(tool) : tool));
}

/** A tool as the creator names it, without what a server pinned. */
const unpinned = (tool: PinnedTool): PinnedTool => ({ name: tool.name });

/** A new MCP server, last, with one tool to name. */
export function withNewMcpSource(tools: readonly AgentTool[], server: string): AgentTool[] {
  return [...tools, { type: 'mcp', server, tools: [{ name: '' }] }];
}

/** The MCP server at `index` switched to another server: its tools keep their names, not what the old one pinned. */
export function withMcpServer(tools: readonly AgentTool[], index: number, server: string): AgentTool[] {
  return updateSource(tools, index, (source) =>
    source.server === server ? source : { ...source, server, tools: source.tools.map(unpinned) },
  );
}

/** The tool at `position` of the MCP server at `index` renamed: what was pinned for the old name goes. */
export function withMcpToolName(tools: readonly AgentTool[], index: number, position: number, name: string): AgentTool[] {
  return updateSource(tools, index, (source) => ({
    ...source,
    tools: source.tools.map((tool, p) => (p === position && tool.name !== name ? { name } : tool)),
  }));
}

/** One more tool to name, last, for the MCP server at `index`. */
export function withMcpToolAdded(tools: readonly AgentTool[], index: number): AgentTool[] {
  return updateSource(tools, index, (source) => ({ ...source, tools: [...source.tools, { name: '' }] }));
}

/** The MCP server at `index` without its tool at `position`. */
export function withMcpToolRemoved(tools: readonly AgentTool[], index: number, position: number): AgentTool[] {
  return updateSource(tools, index, (source) => ({ ...source, tools: source.tools.filter((_, p) => p !== position) }));
}

/** The declared tools without the one at `index`. */
export function withoutTool(tools: readonly AgentTool[], index: number): AgentTool[] {
  return tools.filter((_, i) => i !== index);
}

/**
 * The form's tools with what the server pinned when it saved the draft (`saved`, the saved
 * draft's tools): each MCP tool takes the description and input schema the server gave the
 * tool of that name on the same server. Anything renamed since the save is left as it is.
 */
export function withPinsFrom(tools: readonly AgentTool[], saved: readonly AgentTool[]): AgentTool[] {
  return tools.map((tool, index) => {
    if (tool.type !== 'mcp') return tool;
    const sameServer = (other: AgentTool | undefined): other is McpSource => other?.type === 'mcp' && other.server === tool.server;
    const atIndex = saved[index];
    const source = sameServer(atIndex) ? atIndex : saved.find(sameServer);
    if (!source) return tool;
    return {
      ...tool,
      tools: tool.tools.map((mine) => {
        const pinned = source.tools.find((other) => other.name === mine.name.trim());
        return pinned ? { ...pinned } : mine;
      }),
    };
  });
}

/** Whether the server has pinned this tool (a saved draft names its description and input schema). */
export function isPinned(tool: PinnedTool): boolean {
  return tool.input_schema !== undefined;
}
