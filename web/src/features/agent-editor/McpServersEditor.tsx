import { useId } from 'react';
import { Link } from 'react-router';
import type { FieldErrors } from '../../api/problem';
import type { AgentTool, PinnedTool } from '../catalog/tools';
import { useProviderKeys } from '../provider-keys/queries';
import type { CredentialView } from '../provider-keys/api';
import { FieldErrorList, SelectField } from '../../ui/forms/Controls';
import { Field } from '../../ui/forms/Field';
import { LoadError } from '../../ui/LoadError';
import {
  isPinned,
  MAX_AGENT_TOOLS,
  mcpSources,
  toolCount,
  withMcpServer,
  withMcpToolAdded,
  withMcpToolName,
  withMcpToolRemoved,
  withNewMcpSource,
  withoutTool,
  type McpSource,
} from './mcpSources';

/** The messages for all of `paths`, in order. */
const messagesFor = (errors: FieldErrors, ...paths: string[]) => paths.flatMap((path) => errors[path] ?? []);

/** What a tool's row says under its name: what the server said it does, once a save has pinned it. */
function pinnedDescription(tool: PinnedTool) {
  if (!isPinned(tool)) return undefined;
  return (
    <span data-testid="mcp-tool-description">{tool.description?.trim() || 'The server gives no description.'}</span>
  );
}

/**
 * The servers a source may name: the caller's saved MCP servers, and the one it names if
 * that is not among them (said to be unknown once the caller's servers have loaded).
 */
function ServerOptions({ servers, current }: { servers: CredentialView[] | undefined; current: string }) {
  const known = servers?.some((server) => server.name === current) ?? false;
  return (
    <>
      {!current && <option value="">Choose a server</option>}
      {!known && current && (
        <option value={current}>{servers ? `${current} (not one of your MCP servers)` : current}</option>
      )}
      {servers?.map((server) => (
        <option key={server.id} value={server.name}>
          {server.base_url ? `${server.name} (${server.base_url})` : server.name}
        </option>
      ))}
    </>
  );
}

/** One MCP server among the declared tools (at `index`), the `number`th of them: the server, and the names of its tools. */
function McpSourceCard({
  source,
  index,
  number,
  servers,
  tools,
  errors,
  full,
  onChange,
}: {
  source: McpSource;
  index: number;
  number: number;
  /** The caller's MCP servers; undefined until they are loaded. */
  servers: CredentialView[] | undefined;
  tools: AgentTool[];
  errors: FieldErrors;
  full: boolean;
  onChange: (tools: AgentTool[]) => void;
}) {
  const at = `tools[${index}]`;
  const toolsLabelId = useId();
  return (
    <li className="card editor-card mcp-source">
      <fieldset className="subfieldset" data-testid="mcp-source" data-server={source.server}>
        <legend className="field-label">
          MCP server {number}
        </legend>
        {errors[at] && <FieldErrorList name={at} errors={errors[at] ?? []} />}
        <SelectField
          name={`${at}.server`}
          label="Server"
          value={source.server}
          onChange={(event) => onChange(withMcpServer(tools, index, event.target.value))}
          errors={errors[`${at}.server`]}
        >
          <ServerOptions servers={servers} current={source.server} />
        </SelectField>
        <p className="field-label" id={toolsLabelId}>
          Tools the agent may call
        </p>
        {errors[`${at}.tools`] && <FieldErrorList name={`${at}.tools`} errors={errors[`${at}.tools`] ?? []} />}
        {source.tools.length === 0 && <p className="muted field-hint">None yet: add the name of a tool on this server.</p>}
        <ol className="editor-rows" aria-labelledby={toolsLabelId}>
          {source.tools.map((tool, position) => {
            const path = `${at}.tools[${position}]`;
            return (
              <li key={position} className="editor-row" data-testid="mcp-tool">
                <Field
                  name={`${path}.name`}
                  label={`Tool ${position + 1}`}
                  value={tool.name}
                  maxLength={64}
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="Its name on the server"
                  onChange={(event) => onChange(withMcpToolName(tools, index, position, event.target.value))}
                  hint={pinnedDescription(tool)}
                  errors={messagesFor(errors, path, `${path}.name`, `${path}.description`, `${path}.input_schema`)}
                />
                <button
                  type="button"
                  className="button button-small button-danger-outline row-remove"
                  onClick={() => onChange(withMcpToolRemoved(tools, index, position))}
                  aria-label={`Remove tool ${position + 1} of MCP server ${number}`}
                >
                  Remove
                </button>
              </li>
            );
          })}
        </ol>
        <div className="editor-row-actions">
          <button
            type="button"
            className="button button-small"
            disabled={full}
            onClick={() => onChange(withMcpToolAdded(tools, index))}
            aria-label={`Add a tool to MCP server ${number}`}
          >
            + Add a tool
          </button>
          <button
            type="button"
            className="button button-small button-danger-outline"
            onClick={() => onChange(withoutTool(tools, index))}
            aria-label={`Remove MCP server ${number}`}
          >
            Remove server
          </button>
        </div>
      </fieldset>
    </li>
  );
}

/**
 * The tools of the creator's own MCP servers the model may call: each source names one of
 * the caller's saved MCP servers (GET /v1/me/provider-keys, provider `mcp_server`) and
 * lists tools by their names there. Sources keep their place among the declared tools; a
 * new one goes last. Saving the draft pins each tool's description (shown under its name)
 * and input schema. The server's errors (`tools[i].server`, `tools[i].tools[j].name`) show
 * on the matching select or input.
 */
export function McpServersEditor({
  tools,
  errors,
  onChange,
}: {
  tools: AgentTool[];
  errors: FieldErrors;
  onChange: (tools: AgentTool[]) => void;
}) {
  const keys = useProviderKeys();
  const servers = keys.data?.filter((key) => key.provider === 'mcp_server');
  const sources = mcpSources(tools);
  const full = toolCount(tools) >= MAX_AGENT_TOOLS;
  const first = servers?.[0];
  const hintId = useId();
  return (
    <fieldset className="subfieldset mcp-servers" data-testid="mcp-servers-editor" aria-describedby={hintId}>
      <legend className="field-label">MCP servers</legend>
      <p id={hintId} className="field-hint">
        Tools of your own MCP servers (Streamable HTTP), by their names on the server. Saving the draft reads what each
        does from the server and pins it: a published version keeps the tools as they were.
      </p>
      {keys.isPending ? (
        <p className="muted field-hint" role="status">
          Loading your MCP servers…
        </p>
      ) : keys.error ? (
        <LoadError what="your MCP servers" error={keys.error} onRetry={() => void keys.refetch()} retrying={keys.isFetching} compact />
      ) : (
        servers?.length === 0 && (
          <p className="muted field-hint" data-testid="no-mcp-servers">
            You have no MCP server yet. Add one first on the{' '}
            <Link to="/account/provider-keys" className="text-link" target="_blank" rel="noopener">
              provider keys page ↗
            </Link>{' '}
            (provider “MCP server”), then list the tools your agent may call here.
          </p>
        )
      )}
      {sources.length > 0 && (
        <ol className="editor-rows">
          {sources.map(({ source, index }, order) => (
            <McpSourceCard
              key={index}
              source={source}
              index={index}
              number={order + 1}
              servers={servers}
              tools={tools}
              errors={errors}
              full={full}
              onChange={onChange}
            />
          ))}
        </ol>
      )}
      {first && (
        <button
          type="button"
          className="button button-small"
          disabled={full}
          onClick={() => onChange(withNewMcpSource(tools, first.name))}
        >
          + Add an MCP server
        </button>
      )}
    </fieldset>
  );
}
