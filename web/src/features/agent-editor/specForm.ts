import type { AgentCard, AgentSpec, InputKind, Licence, LlmModel, ModelRef, Provider } from '../catalog/api';
import { ApiError, errorMessage, type FieldErrors } from '../../api/problem';
import { PRICE_PATTERN } from '../catalog/searchState';
import type { FormErrors } from '../../ui/forms/formErrors';
import { pinnedTools, type AgentTool } from '../catalog/tools';
import { MAX_AGENT_TOOLS, MCP_TOOL_NAME, toolCount } from './mcpSources';

/**
 * The agent editor's form: an `agora.agent/v1` definition as the inputs hold it (numbers
 * and lists as text while being typed), and the conversions both ways. Field errors are
 * keyed by the definition's JSON paths (`inputs[2].name`), exactly as the API reports them,
 * so a server error lands on the input that caused it.
 */

export const LIMITS = {
  name: 80,
  summary: 200,
  description: 20_000,
  systemPrompt: 50_000,
  tags: 10,
  prompts: 10,
  promptChars: 1_000,
  conversations: 5,
  messages: 20,
  messageChars: 4_000,
  inputs: 20,
  fallbacks: 3,
  changelog: 5_000,
  options: 50,
} as const;

export const TAG_PATTERN = /^[a-z0-9-]{2,32}$/;
export const INPUT_NAME_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,46}[a-z0-9]$/;
export const INPUT_KINDS: readonly InputKind[] = ['text', 'long_text', 'number', 'boolean', 'select'];

export interface InputRow {
  name: string;
  label: string;
  type: InputKind;
  required: boolean;
  /** A select's choices, one per line. */
  options: string;
}

export interface MessageRow {
  role: 'user' | 'assistant';
  content: string;
}

export interface SpecForm {
  name: string;
  summary: string;
  description: string;
  category: string;
  tags: string[];
  language: string;
  systemPrompt: string;
  prompts: string[];
  conversations: MessageRow[][];
  inputs: InputRow[];
  /** `provider/name` of the model. */
  model: string;
  temperature: string;
  topP: string;
  maxTokens: string;
  /** `provider/name` of each fallback, in order. */
  fallbacks: string[];
  /** The tools the model may call, in the order the definition declares them. */
  tools: AgentTool[];
  price: string;
  licence: Licence;
  /** Kept as it was: the editor cannot upload icons. */
  icon: string | null;
}

/** The model picker's value for a model. */
export function modelKey(model: { provider: string; name: string }): string {
  return `${model.provider}/${model.name}`;
}

/** The provider and name of a picker value (names may hold `/`; providers never do). */
export function parseModelKey(key: string): ModelRef {
  const slash = key.indexOf('/');
  return { provider: key.slice(0, slash) as Provider, name: key.slice(slash + 1) };
}

/** Agora's offline model: runs without a provider key, so a fresh install can try agents. */
export const DEFAULT_MODEL = 'agora/echo';

export function emptyForm(models: LlmModel[] = []): SpecForm {
  const hasDefault = models.length === 0 || models.some((model) => modelKey(model) === DEFAULT_MODEL);
  return {
    name: '',
    summary: '',
    description: '',
    category: '',
    tags: [],
    language: 'en',
    systemPrompt: '',
    prompts: [],
    conversations: [],
    inputs: [],
    model: hasDefault ? DEFAULT_MODEL : modelKey(models[0]!),
    temperature: '',
    topP: '',
    maxTokens: '',
    fallbacks: [],
    tools: [],
    price: '0',
    licence: 'open',
    icon: null,
  };
}

const text = (value: number | null | undefined) => (value == null ? '' : String(value));

export function formFromSpec(spec: AgentSpec): SpecForm {
  const parameters = spec.model.parameters ?? {};
  return {
    name: spec.name,
    summary: spec.summary,
    description: spec.description ?? '',
    category: spec.category,
    tags: spec.tags ?? [],
    language: spec.language ?? 'en',
    systemPrompt: spec.system_prompt ?? '',
    prompts: spec.examples?.prompts ?? [],
    conversations: (spec.examples?.conversations ?? []).map((conversation) =>
      conversation.map((message) => ({ role: message.role, content: message.content })),
    ),
    inputs: (spec.inputs ?? []).map((input) => ({
      name: input.name,
      label: input.label,
      type: input.type,
      required: input.required ?? false,
      options: (input.options ?? []).join('\n'),
    })),
    model: modelKey(spec.model),
    temperature: text(parameters.temperature),
    topP: text(parameters.top_p),
    maxTokens: text(parameters.max_tokens),
    fallbacks: (spec.model.fallbacks ?? []).map(modelKey),
    tools: (spec.tools ?? []).map((tool) =>
      tool.type === 'mcp' ? { ...tool, tools: pinnedTools(tool).map((pinned) => ({ ...pinned })) } : { ...tool },
    ),
    price: spec.price_per_run ?? '0',
    licence: spec.licence ?? 'open',
    icon: spec.icon ?? null,
  };
}

/** A number field's value, or null when empty; NaN when it is not a number (the checks catch that). */
function numberOrNull(value: string): number | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : Number(trimmed);
}

function splitOptions(options: string): string[] {
  return options
    .split('\n')
    .map((option) => option.trim())
    .filter(Boolean);
}

/** The definition to send. Numbers that do not parse are left for {@link checkForm} to report. */
export function specFromForm(form: SpecForm): AgentSpec {
  const temperature = numberOrNull(form.temperature);
  const topP = numberOrNull(form.topP);
  const maxTokens = numberOrNull(form.maxTokens);
  return {
    format: 'agora.agent/v1',
    name: form.name.trim(),
    summary: form.summary.trim(),
    description: form.description,
    category: form.category,
    tags: form.tags,
    language: form.language.trim(),
    icon: form.icon,
    examples: {
      prompts: form.prompts,
      conversations: form.conversations.map((conversation) =>
        conversation.map((message) => ({ role: message.role, content: message.content })),
      ),
    },
    system_prompt: form.systemPrompt,
    inputs: form.inputs.map((input) => ({
      name: input.name.trim(),
      label: input.label.trim(),
      type: input.type,
      required: input.required,
      // Only a select has options: the API refuses them on any other type.
      options: input.type === 'select' ? splitOptions(input.options) : [],
    })),
    model: {
      ...parseModelKey(form.model),
      parameters: {
        temperature: Number.isNaN(temperature) ? null : temperature,
        top_p: Number.isNaN(topP) ? null : topP,
        max_tokens: maxTokens === null || Number.isNaN(maxTokens) ? null : maxTokens,
      },
      fallbacks: form.fallbacks.map(parseModelKey),
    },
    tools: form.tools.map((tool) =>
      tool.type === 'mcp'
        ? { ...tool, tools: tool.tools.map((pinned) => ({ ...pinned, name: pinned.name.trim() })) }
        : { ...tool },
    ),
    knowledge: [],
    price_per_run: form.price.trim() || '0',
    licence: form.licence,
  };
}

/** The listing card the marketplace would show for this form, for the live preview. */
export function previewCard(
  form: SpecForm,
  owner: { handle: string; slug: string; creatorName: string },
): AgentCard {
  const { provider, name } = parseModelKey(form.model);
  return {
    id: 'preview',
    address: `${owner.handle}/${owner.slug}`,
    handle: owner.handle,
    slug: owner.slug,
    name: form.name.trim(),
    summary: form.summary.trim(),
    category: form.category,
    tags: form.tags,
    icon: form.icon,
    licence: form.licence,
    price_per_run: PRICE_PATTERN.test(form.price.trim()) ? form.price.trim() : '0',
    provider,
    model: name,
    latest_version: 0,
    save_count: 0,
    fork_count: 0,
    run_count: 0,
    view_count: 0,
    is_demo: false,
    published_at: new Date(0).toISOString(),
    creator_name: owner.creatorName,
  };
}

function add(errors: FieldErrors, path: string, message: string) {
  (errors[path] ??= []).push(message);
}

/**
 * The checks that need no server, keyed like the server's errors. The server checks
 * everything again (and more: the category and the models exist).
 */
export function checkForm(form: SpecForm): FieldErrors {
  const errors: FieldErrors = {};
  const chars = (value: string) => [...value].length;
  if (!form.name.trim()) add(errors, 'name', 'Give the agent a name.');
  else if (chars(form.name.trim()) > LIMITS.name) add(errors, 'name', `Use at most ${LIMITS.name} characters.`);
  if (!form.summary.trim()) add(errors, 'summary', 'Say in one line what the agent does.');
  else if (chars(form.summary.trim()) > LIMITS.summary) add(errors, 'summary', `Use at most ${LIMITS.summary} characters.`);
  if (chars(form.description) > LIMITS.description) add(errors, 'description', `Use at most ${LIMITS.description} characters.`);
  if (chars(form.systemPrompt) > LIMITS.systemPrompt) add(errors, 'system_prompt', `Use at most ${LIMITS.systemPrompt} characters.`);
  if (!form.category) add(errors, 'category', 'Choose a category.');
  if (form.tags.length > LIMITS.tags) add(errors, 'tags', `Use at most ${LIMITS.tags} tags.`);
  form.tags.forEach((tag, index) => {
    if (!TAG_PATTERN.test(tag)) add(errors, `tags[${index}]`, 'Use 2 to 32 lower-case letters, digits or hyphens.');
  });
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(form.language.trim())) {
    add(errors, 'language', 'Use a language tag such as en or pt-BR.');
  }
  form.prompts.forEach((prompt, index) => {
    if (!prompt.trim()) add(errors, `examples.prompts[${index}]`, 'Write the prompt, or remove it.');
  });
  form.conversations.forEach((conversation, index) => {
    if (conversation.length === 0) add(errors, `examples.conversations[${index}]`, 'Add a message, or remove the conversation.');
    conversation.forEach((message, position) => {
      if (!message.content.trim()) {
        add(errors, `examples.conversations[${index}][${position}].content`, 'Write the message, or remove it.');
      }
    });
  });
  const names = new Set<string>();
  form.inputs.forEach((input, index) => {
    const name = input.name.trim();
    if (!INPUT_NAME_PATTERN.test(name)) {
      add(errors, `inputs[${index}].name`, 'Use lower-case letters, digits and underscores, starting with a letter.');
    } else if (names.has(name)) {
      add(errors, `inputs[${index}].name`, 'Another field has this name.');
    }
    names.add(name);
    if (!input.label.trim()) add(errors, `inputs[${index}].label`, 'Give the field a label.');
    if (input.type === 'select' && splitOptions(input.options).length === 0) {
      add(errors, `inputs[${index}].options`, 'A choice field needs options, one per line.');
    }
  });
  const temperature = numberOrNull(form.temperature);
  if (temperature !== null && !(temperature >= 0 && temperature <= 2)) {
    add(errors, 'model.parameters.temperature', 'Use a number from 0 to 2.');
  }
  const topP = numberOrNull(form.topP);
  if (topP !== null && !(topP > 0 && topP <= 1)) add(errors, 'model.parameters.top_p', 'Use a number above 0, at most 1.');
  const maxTokens = numberOrNull(form.maxTokens);
  if (maxTokens !== null && !(Number.isInteger(maxTokens) && maxTokens >= 1)) {
    add(errors, 'model.parameters.max_tokens', 'Use a whole number of at least 1.');
  }
  checkTools(form.tools, errors);
  if (!PRICE_PATTERN.test(form.price.trim() || '0')) add(errors, 'price_per_run', 'Enter credits such as 0 or 0.05.');
  return errors;
}

/** The MCP servers' checks: a server chosen, and its tools named, each once. */
function checkTools(tools: readonly AgentTool[], errors: FieldErrors) {
  if (toolCount(tools) > MAX_AGENT_TOOLS) {
    add(errors, 'tools', `Offer at most ${MAX_AGENT_TOOLS} tools in all (each tool of an MCP server counts).`);
  }
  tools.forEach((tool, index) => {
    if (tool.type !== 'mcp') return;
    if (!tool.server) add(errors, `tools[${index}].server`, 'Choose one of your MCP servers.');
    if (tool.tools.length === 0) add(errors, `tools[${index}].tools`, 'Name a tool the agent may call, or remove the server.');
    const names = new Set<string>();
    tool.tools.forEach((pinned, position) => {
      const name = pinned.name.trim();
      const path = `tools[${index}].tools[${position}].name`;
      if (!name) add(errors, path, 'Write the tool’s name on the server, or remove it.');
      else if (!MCP_TOOL_NAME.test(name)) add(errors, path, 'Use 1 to 64 letters, digits, _ or -.');
      else if (names.has(name)) add(errors, path, 'This tool is listed already.');
      names.add(name);
    });
  });
}

/**
 * Every path the form has an input (or a group) for, so an error there shows next to it;
 * an error for any other path is shown at the top of the form.
 */
export function formPaths(form: SpecForm, extra: readonly string[] = []): Set<string> {
  const paths = new Set<string>([
    'name',
    'summary',
    'description',
    'category',
    'tags',
    'language',
    'system_prompt',
    'examples.prompts',
    'examples.conversations',
    'inputs',
    'model',
    'model.name',
    'model.provider',
    'model.parameters.temperature',
    'model.parameters.top_p',
    'model.parameters.max_tokens',
    'model.fallbacks',
    'tools',
    'price_per_run',
    'licence',
    ...extra,
  ]);
  form.tags.forEach((_, index) => paths.add(`tags[${index}]`));
  form.prompts.forEach((_, index) => paths.add(`examples.prompts[${index}]`));
  form.conversations.forEach((conversation, index) => {
    paths.add(`examples.conversations[${index}]`);
    conversation.forEach((_, position) => {
      paths.add(`examples.conversations[${index}][${position}].content`);
      paths.add(`examples.conversations[${index}][${position}].role`);
    });
  });
  form.inputs.forEach((_, index) => {
    for (const part of ['name', 'label', 'type', 'options', 'required']) paths.add(`inputs[${index}].${part}`);
  });
  form.tools.forEach((tool, index) => {
    paths.add(`tools[${index}]`);
    if (tool.type !== 'mcp') return;
    paths.add(`tools[${index}].server`);
    paths.add(`tools[${index}].tools`);
    tool.tools.forEach((_, position) => {
      for (const part of ['', '.name', '.description', '.input_schema']) paths.add(`tools[${index}].tools[${position}]${part}`);
    });
  });
  form.fallbacks.forEach((_, index) => {
    paths.add(`model.fallbacks[${index}].name`);
    paths.add(`model.fallbacks[${index}].provider`);
  });
  return paths;
}

/**
 * A definition's field path as the form knows it. The API puts the definition's errors under
 * `definition.` (create, import) or `draft.` (edit, publish); `slug`, `visibility` and
 * `changelog` sit beside the definition and stay as they are.
 */
export function specPath(field: string): string {
  return field.replace(/^(definition|draft)\./, '');
}

/**
 * Splits the error of a save or publish into messages for the form's inputs (by path) and
 * one message for the rest. A 409 about the slug is shown on the slug field.
 */
export function editorErrorsFrom(error: unknown, known: Set<string>): FormErrors {
  if (error == null) return { fields: {}, form: null, requestId: null };
  if (!(error instanceof ApiError)) return { fields: {}, form: errorMessage(error), requestId: null };
  const fields: FieldErrors = {};
  const elsewhere: string[] = [];
  for (const [field, messages] of Object.entries(error.fieldErrors)) {
    const path = specPath(field);
    if (known.has(path)) (fields[path] ??= []).push(...messages);
    else elsewhere.push(...messages.map((message) => `${path}: ${message}`));
  }
  if (error.status === 409 && known.has('slug') && Object.keys(fields).length === 0) {
    fields.slug = [error.problem?.detail ?? error.message];
    return { fields, form: null, requestId: error.requestId };
  }
  // The form is long: say at the top that there is something to fix further down.
  const lead = Object.keys(fields).length > 0 ? `${error.message} See the messages next to the fields.` : error.message;
  return { fields, form: [lead, ...elsewhere].join(' '), requestId: error.requestId };
}
