import type { Visibility } from '../../catalog/api';
import type { WorkflowInput, WorkflowInputType, WorkflowSpec } from '../api';
import { emptyInput, type OutputRow } from './draft';
import type { PathError } from '../graph';
import { INPUT_TYPE_LABELS } from '../labels';
import { VISIBILITY_LABELS } from '../../catalog/format';
import { FieldErrorList, SelectField, TextAreaField } from '../../../ui/forms/Controls';
import { Field } from '../../../ui/forms/Field';

const INPUT_TYPES = Object.keys(INPUT_TYPE_LABELS) as WorkflowInputType[];
const VISIBILITIES: Visibility[] = ['private', 'unlisted', 'public'];

function messagesFor(errors: readonly PathError[], field: string): string[] | undefined {
  const found = errors.filter((error) => error.field === field).map((error) => error.message);
  return found.length > 0 ? found : undefined;
}

/** Name, summary, description, tags, and (new workflows) the address; the visibility. */
export function DetailsFields({
  spec,
  errors,
  onChange,
  slug,
  slugPlaceholder,
  onSlug,
  handle,
  visibility,
  onVisibility,
}: {
  spec: WorkflowSpec;
  errors: readonly PathError[];
  onChange: (change: Partial<WorkflowSpec>) => void;
  /** The slug of a new workflow; undefined once it exists. */
  slug: string | undefined;
  /** The slug used when none is typed (made from the name). */
  slugPlaceholder: string;
  onSlug: (slug: string) => void;
  handle: string;
  visibility: Visibility;
  onVisibility: (visibility: Visibility) => void;
}) {
  const tags = spec.tags ?? [];
  const tagErrors = [
    ...(messagesFor(errors, 'tags') ?? []),
    ...tags.flatMap((tag, index) => (messagesFor(errors, `tags[${index}]`) ?? []).map((message) => `“${tag}”: ${message}`)),
  ];
  return (
    <div className="form" data-testid="details-form">
      <Field
        name="name"
        label="Name"
        value={spec.name}
        maxLength={80}
        onChange={(event) => onChange({ name: event.target.value })}
        hint="1 to 80 characters."
        errors={messagesFor(errors, 'name')}
        autoComplete="off"
      />
      <Field
        name="summary"
        label="Summary"
        value={spec.summary}
        maxLength={200}
        onChange={(event) => onChange({ summary: event.target.value })}
        hint="One line for listings, up to 200 characters."
        errors={messagesFor(errors, 'summary')}
        autoComplete="off"
      />
      <TextAreaField
        name="description"
        label="Description"
        rows={4}
        value={spec.description ?? ''}
        onChange={(event) => onChange({ description: event.target.value })}
        hint="Markdown, shown on the workflow’s page."
        errors={messagesFor(errors, 'description')}
        optional
      />
      <Field
        name="tags"
        label="Tags"
        value={tags.join(', ')}
        onChange={(event) => onChange({ tags: event.target.value.split(',').map((tag) => tag.trimStart()) })}
        hint="Comma-separated; up to 10, each 2 to 32 lower-case letters, digits or hyphens."
        errors={tagErrors.length > 0 ? tagErrors : undefined}
        optional
        autoComplete="off"
      />
      {slug !== undefined && (
        <Field
          name="slug"
          label="Address"
          value={slug}
          placeholder={slugPlaceholder}
          onChange={(event) => onSlug(event.target.value)}
          hint={`Its address will be ${handle}/${slug.trim() || slugPlaceholder || '<slug>'}: 3 to 48 lower-case letters, digits and hyphens.`}
          errors={messagesFor(errors, 'slug')}
          autoComplete="off"
          spellCheck={false}
        />
      )}
      <SelectField
        name="visibility"
        label="Visibility"
        value={visibility}
        onChange={(event) => onVisibility(event.target.value as Visibility)}
        hint="Private: only you. Unlisted: anyone with the link, once published. Public: listed under Workflows once published."
        errors={messagesFor(errors, 'visibility')}
      >
        {VISIBILITIES.map((option) => (
          <option key={option} value={option}>
            {VISIBILITY_LABELS[option]}
          </option>
        ))}
      </SelectField>
    </div>
  );
}

/** The typed inputs a run is given: name, label, type, required, size limit. */
export function InputsFields({
  inputs,
  errors,
  onChange,
}: {
  inputs: WorkflowInput[];
  errors: readonly PathError[];
  onChange: (inputs: WorkflowInput[]) => void;
}) {
  const update = (index: number, change: Partial<WorkflowInput>) =>
    onChange(inputs.map((input, i) => (i === index ? { ...input, ...change } : input)));
  const general = messagesFor(errors, 'inputs');
  return (
    <div data-testid="inputs-form">
      {general && <FieldErrorList name="inputs" errors={general} />}
      {inputs.length === 0 && (
        <p className="muted field-hint">No inputs: every run is the same. Add one to ask for a topic, a text, a list…</p>
      )}
      <ol className="editor-rows">
        {inputs.map((input, index) => (
          <li key={index} className="card editor-card" data-testid="workflow-input-row">
            <div className="form-row">
              <Field
                name={`inputs[${index}].name`}
                label="Name"
                value={input.name}
                onChange={(event) => update(index, { name: event.target.value })}
                hint={`Templates read it as {{ inputs.${input.name || 'name'} }}.`}
                errors={messagesFor(errors, `inputs[${index}].name`)}
                autoComplete="off"
                spellCheck={false}
              />
              <Field
                name={`inputs[${index}].label`}
                label="Label"
                value={input.label ?? ''}
                onChange={(event) => update(index, { label: event.target.value })}
                errors={messagesFor(errors, `inputs[${index}].label`)}
                optional
              />
            </div>
            <div className="form-row">
              <SelectField
                name={`inputs[${index}].type`}
                label="Type"
                value={input.type}
                onChange={(event) => update(index, { type: event.target.value as WorkflowInputType })}
                errors={messagesFor(errors, `inputs[${index}].type`)}
              >
                {INPUT_TYPES.map((type) => (
                  <option key={type} value={type}>
                    {INPUT_TYPE_LABELS[type]}
                  </option>
                ))}
              </SelectField>
              <Field
                name={`inputs[${index}].max_chars`}
                label="Longest (characters)"
                type="number"
                min={1}
                value={input.max_chars == null ? '' : String(input.max_chars)}
                onChange={(event) => update(index, { max_chars: event.target.value ? Number(event.target.value) : null })}
                hint="4,000 when empty."
                errors={messagesFor(errors, `inputs[${index}].max_chars`)}
                optional
              />
            </div>
            <div className="editor-row-actions">
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={input.required ?? true}
                  onChange={(event) => update(index, { required: event.target.checked })}
                />
                Required
              </label>
              <button
                type="button"
                className="button button-small button-danger-outline"
                onClick={() => onChange(inputs.filter((_, i) => i !== index))}
                aria-label={`Remove input ${input.name || index + 1}`}
              >
                Remove input
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button button-small"
        disabled={inputs.length >= 20}
        onClick={() => onChange([...inputs, emptyInput(inputs)])}
      >
        + Add an input
      </button>
    </div>
  );
}

/** What a finished run returns: a name and a template per output. */
export function OutputsFields({
  rows,
  errors,
  references,
  onChange,
}: {
  rows: OutputRow[];
  errors: readonly PathError[];
  references: string[];
  onChange: (rows: OutputRow[]) => void;
}) {
  const update = (index: number, change: Partial<OutputRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const general = messagesFor(errors, 'outputs');
  return (
    <div data-testid="outputs-form">
      {general && <FieldErrorList name="outputs" errors={general} />}
      {rows.length === 0 && (
        <p className="muted field-hint">No outputs: a run’s result is every step’s output. Name the results worth returning.</p>
      )}
      <ol className="editor-rows">
        {rows.map((row, index) => (
          <li key={index} className="card editor-card" data-testid="workflow-output-row">
            <Field
              name={`outputs[${index}].name`}
              label="Name"
              value={row.name}
              onChange={(event) => update(index, { name: event.target.value })}
              errors={messagesFor(errors, `outputs.${row.name.trim()}`)}
              autoComplete="off"
              spellCheck={false}
            />
            <TextAreaField
              name={`outputs[${index}].template`}
              label="Value"
              rows={2}
              value={row.template}
              onChange={(event) => update(index, { template: event.target.value })}
              hint={references.length > 0 ? `A template, such as {{ ${references.at(-1) ?? ''} }}.` : 'A template.'}
              spellCheck={false}
            />
            <div className="editor-row-actions">
              <span />
              <button
                type="button"
                className="button button-small button-danger-outline"
                onClick={() => onChange(rows.filter((_, i) => i !== index))}
                aria-label={`Remove output ${row.name || index + 1}`}
              >
                Remove output
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button button-small"
        disabled={rows.length >= 20}
        onClick={() => onChange([...rows, { name: rows.length === 0 ? 'result' : `output_${rows.length + 1}`, template: '' }])}
      >
        + Add an output
      </button>
    </div>
  );
}
