import type { ReactNode } from 'react';
import type { AgentSpec, VersionView } from './api';
import { formatDate } from '../../format/dates';
import { providerLabel } from './format';
import { declaredBuiltin, pinnedTools, toolLabel, toolName } from './tools';
import { Icon } from '../../ui/Icon';
import './catalog.css';

const INPUT_KIND_LABELS: Record<string, string> = {
  text: 'Text',
  long_text: 'Long text',
  number: 'Number',
  boolean: 'Yes / no',
  select: 'Choice',
};

/** Example prompts and conversations: what to expect before trying the agent. */
export function ExamplesSection({ spec }: { spec: AgentSpec }) {
  const prompts = spec.examples?.prompts ?? [];
  const conversations = spec.examples?.conversations ?? [];
  if (prompts.length === 0 && conversations.length === 0) return null;
  return (
    <section className="card detail-section" aria-labelledby="examples-title" data-testid="examples">
      <h2 id="examples-title" className="section-title">
        Examples
      </h2>
      {prompts.length > 0 && (
        <>
          <h3 className="detail-subtitle">Try asking</h3>
          <ul className="example-prompts">
            {prompts.map((prompt, index) => (
              <li key={index} className="example-prompt">
                {prompt}
              </li>
            ))}
          </ul>
        </>
      )}
      {conversations.map((conversation, index) => (
        <div key={index} className="conversation">
          <h3 className="detail-subtitle">Conversation {conversations.length > 1 ? index + 1 : ''}</h3>
          <ol className="conversation-messages">
            {conversation.map((message, position) => (
              <li key={position} className={`message message-${message.role}`}>
                <span className="message-role">{message.role === 'user' ? 'You' : 'Agent'}</span>
                <p className="message-content">{message.content}</p>
              </li>
            ))}
          </ol>
        </div>
      ))}
    </section>
  );
}

/** The fields a user fills in before a run. */
export function InputsSection({ spec }: { spec: AgentSpec }) {
  const inputs = spec.inputs ?? [];
  if (inputs.length === 0) return null;
  return (
    <section className="card detail-section" aria-labelledby="inputs-title" data-testid="inputs">
      <h2 id="inputs-title" className="section-title">
        Inputs
      </h2>
      <div className="table-scroll">
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Type</th>
              <th scope="col">Required</th>
            </tr>
          </thead>
          <tbody>
            {inputs.map((input) => (
              <tr key={input.name}>
                <th scope="row">
                  {input.label} <code className="muted">{input.name}</code>
                </th>
                <td>
                  {INPUT_KIND_LABELS[input.type] ?? input.type}
                  {input.type === 'select' && input.options && input.options.length > 0 && (
                    <span className="muted"> ({input.options.join(', ')})</span>
                  )}
                </td>
                <td>{input.required ? 'Yes' : 'No'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The tools the agent's model may call while it answers; nothing when it has none. */
export function ToolsSection({ spec }: { spec: AgentSpec }) {
  const tools = spec.tools ?? [];
  if (tools.length === 0) return null;
  return (
    <section className="card detail-section" aria-labelledby="tools-title" data-testid="agent-tools">
      <h2 id="tools-title" className="section-title">
        Tools
      </h2>
      <p className="muted section-subtitle">What the agent can use while it answers.</p>
      <ul className="tool-list">
        {tools.map((tool, index) => (
          <li key={index} data-testid="agent-tool" data-tool={toolName(tool)}>
            <strong>{toolLabel(tool)}</strong>
            {tool.type !== 'mcp' && <code className="muted"> {toolName(tool)}</code>}
            {declaredBuiltin(tool) && <p className="tool-description">{declaredBuiltin(tool)?.description}</p>}
            {tool.type === 'mcp' && (
              <>
                <p className="muted tool-description">The creator’s own server; these tools, as they were when this version was saved:</p>
                <ul className="tool-list tool-list-nested">
                  {pinnedTools(tool).map((pinned) => (
                    <li key={pinned.name}>
                      <code>{pinned.name}</code>
                      {/* Written by the server's owner: plain text. */}
                      {pinned.description && <p className="tool-description">{pinned.description}</p>}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </li>
        ))}
      </ul>
      <p className="muted field-hint">Agora makes each call during the run; you see every call with the answer.</p>
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The model, its parameters and the fallbacks, in order. */
export function ModelSection({ spec }: { spec: AgentSpec }) {
  const { model } = spec;
  const parameters = model.parameters ?? {};
  const fallbacks = model.fallbacks ?? [];
  return (
    <section className="card detail-section" aria-labelledby="model-title" data-testid="model">
      <h2 id="model-title" className="section-title">
        Model
      </h2>
      <dl className="profile-facts model-facts">
        <Fact label="Provider">{providerLabel(model.provider)}</Fact>
        <Fact label="Model">
          <code>{model.name}</code>
        </Fact>
        {parameters.temperature != null && <Fact label="Temperature">{parameters.temperature}</Fact>}
        {parameters.top_p != null && <Fact label="Top p">{parameters.top_p}</Fact>}
        {parameters.max_tokens != null && <Fact label="Max tokens">{parameters.max_tokens}</Fact>}
      </dl>
      {fallbacks.length > 0 && (
        <>
          <h3 className="detail-subtitle">Falls back to</h3>
          <ol className="fallback-list" data-testid="fallbacks">
            {fallbacks.map((fallback) => (
              <li key={`${fallback.provider}/${fallback.name}`}>
                {providerLabel(fallback.provider)} <code>{fallback.name}</code>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** The system prompt, or the notice that its creator sealed it. */
export function PromptSection({ spec, sealed }: { spec: AgentSpec; sealed: boolean }) {
  return (
    <section className="card detail-section" aria-labelledby="prompt-title" data-testid="prompt">
      <h2 id="prompt-title" className="section-title">
        System prompt
      </h2>
      {sealed ? (
        <p className="sealed-note" data-testid="sealed-note">
          <Icon name="lock" /> The prompt is sealed by its creator.
        </p>
      ) : spec.system_prompt ? (
        <details className="prompt-details">
          <summary>Show the prompt</summary>
          <pre className="prompt-text">{spec.system_prompt}</pre>
        </details>
      ) : (
        <p className="muted">This agent has no system prompt.</p>
      )}
    </section>
  );
}

/** Every version, newest first, with its changelog; deprecated ones are marked. */
export function VersionHistory({
  versions,
  latest,
  actions,
}: {
  versions: VersionView[];
  latest: number | null | undefined;
  /** Extra controls per version (the owner's). */
  actions?: (version: VersionView) => ReactNode;
}) {
  if (versions.length === 0) return <p className="muted">No published versions yet.</p>;
  return (
    <ol className="version-list" data-testid="versions">
      {versions.map((version) => (
        <li
          key={version.version}
          className={`version${version.deprecated_at ? ' is-deprecated' : ''}`}
          data-testid="version"
          data-version={version.version}
        >
          <div className="version-head">
            <span className="version-number">v{version.version}</span>
            {version.version === latest && <span className="tag-badge tag-badge-open">Latest</span>}
            {version.deprecated_at && (
              <span className="tag-badge tag-badge-deprecated" data-testid="deprecated">
                Deprecated
              </span>
            )}
            <time className="muted version-date" dateTime={version.created_at}>
              {formatDate(version.created_at)}
            </time>
          </div>
          {version.changelog ? (
            <p className="version-changelog">{version.changelog}</p>
          ) : (
            <p className="version-changelog muted">No changelog.</p>
          )}
          {version.deprecated_at && version.deprecation_note && (
            <p className="version-deprecation">Deprecated: {version.deprecation_note}</p>
          )}
          {actions?.(version)}
        </li>
      ))}
    </ol>
  );
}
