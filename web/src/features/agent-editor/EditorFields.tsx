import { useId, useState, type KeyboardEvent } from 'react';
import type { LlmModel } from '../catalog/api';
import type { FieldErrors } from '../../api/problem';
import { providerLabel } from '../catalog/format';
import { FieldErrorList, FieldFrame, SelectField, TextAreaField } from '../../ui/forms/Controls';
import { Field } from '../../ui/forms/Field';
import { BUILTIN_TOOLS, declaredBuiltin, toolLabel, withBuiltinTool, type AgentTool } from '../catalog/tools';
import { McpServersEditor } from './McpServersEditor';
import { INPUT_KINDS, LIMITS, TAG_PATTERN, type InputRow, type MessageRow } from './specForm';

const INPUT_KIND_LABELS: Record<InputRow['type'], string> = {
  text: 'Text',
  long_text: 'Long text',
  number: 'Number',
  boolean: 'Yes / no',
  select: 'Choice',
};

/** What someone typing a tag most likely meant: lower case, hyphens for spaces. */
function normaliseTag(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/^#/, '')
    .replace(/[\s_]+/g, '-');
}

/**
 * Tags as chips: Enter or a comma adds what was typed, × or Backspace on the empty input
 * removes one. The server's errors for `tags` and `tags[i]` show under the input, each
 * naming its tag, and that tag's chip is marked.
 */
export function TagInput({
  tags,
  onChange,
  errors,
}: {
  tags: string[];
  onChange: (tags: string[]) => void;
  errors: FieldErrors;
}) {
  const [draft, setDraft] = useState('');
  const [local, setLocal] = useState<string | null>(null);
  const id = useId();
  const messages = [
    ...(errors.tags ?? []),
    ...tags.flatMap((tag, index) => (errors[`tags[${index}]`] ?? []).map((message) => `“${tag}”: ${message}`)),
    ...(local ? [local] : []),
  ];
  const full = tags.length >= LIMITS.tags;

  const commit = () => {
    const tag = normaliseTag(draft);
    if (!tag) return;
    if (tags.includes(tag)) setLocal(`“${tag}” is already a tag.`);
    else if (!TAG_PATTERN.test(tag)) setLocal(`“${tag}”: use 2 to 32 lower-case letters, digits or hyphens.`);
    else {
      onChange([...tags, tag]);
      setLocal(null);
      setDraft('');
    }
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      commit();
    } else if (event.key === 'Backspace' && draft === '' && tags.length > 0) {
      onChange(tags.slice(0, -1));
    }
  };
  const errorId = messages.length > 0 ? `${id}-error` : undefined;

  return (
    <div className={`field${errorId ? ' has-error' : ''}`} data-testid="tag-input">
      <label htmlFor={id} className="field-label">
        Tags <span className="field-optional">(up to {LIMITS.tags})</span>
      </label>
      <div className="chip-input">
        <ul className="chip-list" aria-label="Tags">
          {tags.map((tag, index) => (
            <li key={tag} className={`chip${errors[`tags[${index}]`] ? ' is-invalid' : ''}`} data-testid="tag-chip">
              #{tag}
              <button
                type="button"
                className="chip-remove"
                onClick={() => onChange(tags.filter((other) => other !== tag))}
                aria-label={`Remove tag ${tag}`}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        <input
          id={id}
          name="tags"
          className="chip-input-text"
          value={draft}
          placeholder={full ? 'No more tags' : 'Add a tag and press Enter'}
          disabled={full}
          onChange={(event) => {
            setDraft(event.target.value);
            setLocal(null);
          }}
          onKeyDown={onKeyDown}
          onBlur={commit}
          aria-invalid={errorId ? true : undefined}
          aria-describedby={[errorId, `${id}-hint`].filter(Boolean).join(' ')}
        />
      </div>
      {errorId && <FieldErrorList id={errorId} name="tags" errors={messages} />}
      <p id={`${id}-hint`} className="field-hint">
        Words people search for: 2 to 32 lower-case letters, digits or hyphens.
      </p>
    </div>
  );
}

/** The models an agent may use, grouped by provider (GET /v1/llm-models). */
export function ModelOptions({ models, current }: { models: LlmModel[]; current: string }) {
  const providers = [...new Set(models.map((model) => model.provider))];
  const known = models.some((model) => `${model.provider}/${model.name}` === current);
  return (
    <>
      {!known && current && <option value={current}>{current} (not a known model)</option>}
      {providers.map((provider) => (
        <optgroup key={provider} label={providerLabel(provider)}>
          {models
            .filter((model) => model.provider === provider)
            .map((model) => (
              <option key={model.name} value={`${model.provider}/${model.name}`}>
                {model.name}
              </option>
            ))}
        </optgroup>
      ))}
    </>
  );
}

/** Up to three models tried in order when the main one fails. */
export function FallbacksEditor({
  fallbacks,
  models,
  errors,
  onChange,
}: {
  fallbacks: string[];
  models: LlmModel[];
  errors: FieldErrors;
  onChange: (fallbacks: string[]) => void;
}) {
  const first = models[0];
  return (
    <fieldset className="subfieldset" data-testid="fallbacks-editor">
      <legend className="field-label">Fallback models</legend>
      {errors['model.fallbacks'] && <FieldErrorList name="model.fallbacks" errors={errors['model.fallbacks']} />}
      {fallbacks.length === 0 && <p className="muted field-hint">None: a failed run fails.</p>}
      <ol className="editor-rows">
        {fallbacks.map((fallback, index) => (
          <li key={index} className="editor-row">
            <SelectField
              name={`model.fallbacks[${index}].name`}
              label={`Fallback ${index + 1}`}
              value={fallback}
              onChange={(event) => onChange(fallbacks.map((item, i) => (i === index ? event.target.value : item)))}
              errors={[
                ...(errors[`model.fallbacks[${index}].name`] ?? []),
                ...(errors[`model.fallbacks[${index}].provider`] ?? []),
              ]}
            >
              <ModelOptions models={models} current={fallback} />
            </SelectField>
            <button
              type="button"
              className="button button-small button-danger-outline row-remove"
              onClick={() => onChange(fallbacks.filter((_, i) => i !== index))}
              aria-label={`Remove fallback ${index + 1}`}
            >
              Remove
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button button-small"
        disabled={fallbacks.length >= LIMITS.fallbacks || !first}
        onClick={() => first && onChange([...fallbacks, `${first.provider}/${first.name}`])}
      >
        + Add a fallback
      </button>
    </fieldset>
  );
}

/**
 * The tools the model may call: the built-ins, each a checkbox with what it does, then the
 * creator's MCP servers ({@link McpServersEditor}). The declared order is kept (a tool
 * switched on or a server added goes last). The server's errors for `tools[i]` show under
 * the checkbox (or the server) declared at `i`.
 */
export function ToolsEditor({
  tools,
  errors,
  onChange,
}: {
  tools: AgentTool[];
  errors: FieldErrors;
  onChange: (tools: AgentTool[]) => void;
}) {
  const id = useId();
  /** The indexes at which the definition declares `name` (more than one is an error the server reports). */
  const positions = (name: string) =>
    tools.flatMap((tool, index) => (tool.type === 'builtin' && tool.name === name ? [index] : []));
  // Tools this version of the editor does not know are kept as they are.
  const others = tools.flatMap((tool, index) => (declaredBuiltin(tool) || tool.type === 'mcp' ? [] : [{ tool, index }]));
  return (
    <div className="tools-editor" data-testid="tools-editor">
      {errors.tools && <FieldErrorList name="tools" errors={errors.tools} />}
      <fieldset className="subfieldset">
        <legend className="visually-hidden">Built-in tools</legend>
        <ul className="tool-options">
          {BUILTIN_TOOLS.map((info) => {
            const at = positions(info.name);
            const failing = at.filter((index) => errors[`tools[${index}]`]);
            const messages = failing.flatMap((index) => errors[`tools[${index}]`] ?? []);
            const errorId = messages.length > 0 ? `${id}-${info.name}-error` : undefined;
            return (
              <li key={info.name} className={`tool-option${errorId ? ' has-error' : ''}`} data-testid="tool-option">
                <label className="checkbox">
                  <input
                    type="checkbox"
                    name="tools"
                    value={info.name}
                    checked={at.length > 0}
                    onChange={(event) => onChange(withBuiltinTool(tools, info.name, event.target.checked))}
                    aria-invalid={errorId ? true : undefined}
                    aria-describedby={[errorId, `${id}-${info.name}-hint`].filter(Boolean).join(' ')}
                  />
                  {info.label} <code className="muted">{info.name}</code>
                </label>
                <p id={`${id}-${info.name}-hint`} className="field-hint">
                  {info.description}
                </p>
                {errorId && <FieldErrorList id={errorId} name={`tools[${failing[0]}]`} errors={messages} />}
              </li>
            );
          })}
        </ul>
      </fieldset>
      <McpServersEditor tools={tools} errors={errors} onChange={onChange} />
      {others.length > 0 && (
        <div data-testid="other-tools">
          <p className="field-hint">Also declared, kept as they are (this editor does not change them yet):</p>
          <ul className="tool-options">
            {others.map(({ tool, index }) => (
              <li key={index} className="tool-option">
                {toolLabel(tool)}
                {errors[`tools[${index}]`] && (
                  <FieldErrorList name={`tools[${index}]`} errors={errors[`tools[${index}]`] ?? []} />
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** The fields a user fills in before a run. */
export function InputsEditor({
  inputs,
  errors,
  onChange,
}: {
  inputs: InputRow[];
  errors: FieldErrors;
  onChange: (inputs: InputRow[]) => void;
}) {
  const update = (index: number, change: Partial<InputRow>) =>
    onChange(inputs.map((input, i) => (i === index ? { ...input, ...change } : input)));
  return (
    <div data-testid="inputs-editor">
      {errors.inputs && <FieldErrorList name="inputs" errors={errors.inputs} />}
      {inputs.length === 0 && <p className="muted field-hint">No fields: the user just types a message.</p>}
      <ol className="editor-rows">
        {inputs.map((input, index) => (
          <li key={index} className="card editor-card" data-testid="input-row">
            <div className="form-row">
              <Field
                name={`inputs[${index}].name`}
                label="Name"
                value={input.name}
                onChange={(event) => update(index, { name: event.target.value })}
                hint="lower_case_with_underscores"
                errors={errors[`inputs[${index}].name`]}
                autoComplete="off"
              />
              <Field
                name={`inputs[${index}].label`}
                label="Label"
                value={input.label}
                maxLength={80}
                onChange={(event) => update(index, { label: event.target.value })}
                errors={errors[`inputs[${index}].label`]}
              />
              <SelectField
                name={`inputs[${index}].type`}
                label="Type"
                value={input.type}
                onChange={(event) => update(index, { type: event.target.value as InputRow['type'] })}
                errors={errors[`inputs[${index}].type`]}
              >
                {INPUT_KINDS.map((kind) => (
                  <option key={kind} value={kind}>
                    {INPUT_KIND_LABELS[kind]}
                  </option>
                ))}
              </SelectField>
            </div>
            {input.type === 'select' ? (
              <TextAreaField
                name={`inputs[${index}].options`}
                label="Options"
                rows={3}
                value={input.options}
                onChange={(event) => update(index, { options: event.target.value })}
                hint={`One per line, up to ${LIMITS.options}.`}
                errors={errors[`inputs[${index}].options`]}
              />
            ) : (
              errors[`inputs[${index}].options`] && (
                <FieldErrorList name={`inputs[${index}].options`} errors={errors[`inputs[${index}].options`] ?? []} />
              )
            )}
            <div className="editor-row-actions">
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={input.required}
                  onChange={(event) => update(index, { required: event.target.checked })}
                />
                Required
              </label>
              <button
                type="button"
                className="button button-small button-danger-outline"
                onClick={() => onChange(inputs.filter((_, i) => i !== index))}
                aria-label={`Remove field ${index + 1}`}
              >
                Remove field
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button button-small"
        disabled={inputs.length >= LIMITS.inputs}
        onClick={() => onChange([...inputs, { name: '', label: '', type: 'text', required: false, options: '' }])}
      >
        + Add a field
      </button>
    </div>
  );
}

/** Example prompts and conversations, shown on the agent's page. */
export function ExamplesEditor({
  prompts,
  conversations,
  errors,
  onPrompts,
  onConversations,
}: {
  prompts: string[];
  conversations: MessageRow[][];
  errors: FieldErrors;
  onPrompts: (prompts: string[]) => void;
  onConversations: (conversations: MessageRow[][]) => void;
}) {
  const setMessage = (index: number, position: number, change: Partial<MessageRow>) =>
    onConversations(
      conversations.map((conversation, i) =>
        i === index ? conversation.map((message, p) => (p === position ? { ...message, ...change } : message)) : conversation,
      ),
    );
  return (
    <div className="examples-editor" data-testid="examples-editor">
      <fieldset className="subfieldset">
        <legend className="field-label">Example prompts</legend>
        {errors['examples.prompts'] && <FieldErrorList name="examples.prompts" errors={errors['examples.prompts']} />}
        <ol className="editor-rows">
          {prompts.map((prompt, index) => (
            <li key={index} className="editor-row">
              <Field
                name={`examples.prompts[${index}]`}
                label={`Prompt ${index + 1}`}
                value={prompt}
                maxLength={LIMITS.promptChars}
                onChange={(event) => onPrompts(prompts.map((item, i) => (i === index ? event.target.value : item)))}
                errors={errors[`examples.prompts[${index}]`]}
              />
              <button
                type="button"
                className="button button-small button-danger-outline row-remove"
                onClick={() => onPrompts(prompts.filter((_, i) => i !== index))}
                aria-label={`Remove prompt ${index + 1}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
        <button
          type="button"
          className="button button-small"
          disabled={prompts.length >= LIMITS.prompts}
          onClick={() => onPrompts([...prompts, ''])}
        >
          + Add a prompt
        </button>
      </fieldset>

      <fieldset className="subfieldset">
        <legend className="field-label">Example conversations</legend>
        {errors['examples.conversations'] && (
          <FieldErrorList name="examples.conversations" errors={errors['examples.conversations']} />
        )}
        {conversations.map((conversation, index) => (
          <div key={index} className="card editor-card" data-testid="conversation-editor">
            <p className="field-label">Conversation {index + 1}</p>
            {errors[`examples.conversations[${index}]`] && (
              <FieldErrorList
                name={`examples.conversations[${index}]`}
                errors={errors[`examples.conversations[${index}]`] ?? []}
              />
            )}
            <ol className="editor-rows">
              {conversation.map((message, position) => (
                <li key={position} className="editor-row message-row">
                  <FieldFrame name={`examples.conversations[${index}][${position}].role`} label="Who" hideLabel>
                    {({ id }) => (
                      <select
                        id={id}
                        className="input input-small"
                        value={message.role}
                        onChange={(event) => setMessage(index, position, { role: event.target.value as MessageRow['role'] })}
                      >
                        <option value="user">User</option>
                        <option value="assistant">Agent</option>
                      </select>
                    )}
                  </FieldFrame>
                  <TextAreaField
                    name={`examples.conversations[${index}][${position}].content`}
                    label={`Message ${position + 1}`}
                    hideLabel
                    rows={2}
                    maxLength={LIMITS.messageChars}
                    value={message.content}
                    onChange={(event) => setMessage(index, position, { content: event.target.value })}
                    errors={errors[`examples.conversations[${index}][${position}].content`]}
                  />
                  <button
                    type="button"
                    className="button button-small button-danger-outline row-remove"
                    onClick={() =>
                      onConversations(
                        conversations.map((items, i) => (i === index ? items.filter((_, p) => p !== position) : items)),
                      )
                    }
                    aria-label={`Remove message ${position + 1} of conversation ${index + 1}`}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ol>
            <div className="editor-row-actions">
              <button
                type="button"
                className="button button-small"
                disabled={conversation.length >= LIMITS.messages}
                onClick={() =>
                  onConversations(
                    conversations.map((items, i) =>
                      i === index
                        ? [...items, { role: items.at(-1)?.role === 'user' ? 'assistant' : 'user', content: '' }]
                        : items,
                    ),
                  )
                }
              >
                + Add a message
              </button>
              <button
                type="button"
                className="button button-small button-danger-outline"
                onClick={() => onConversations(conversations.filter((_, i) => i !== index))}
              >
                Remove conversation
              </button>
            </div>
          </div>
        ))}
        <button
          type="button"
          className="button button-small"
          disabled={conversations.length >= LIMITS.conversations}
          onClick={() => onConversations([...conversations, [{ role: 'user', content: '' }, { role: 'assistant', content: '' }]])}
        >
          + Add a conversation
        </button>
      </fieldset>
    </div>
  );
}
