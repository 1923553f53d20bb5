import { useId } from 'react';
import type { AgentCall, ConditionOperator, WorkflowSpec, WorkflowStep } from '../api';
import { useVersionsToPin } from '../../catalog/queries';
import { availableReferences, changeKind, whenReferences } from './draft';
import { STEP_KINDS, stepKind, type PathError, type StepKind } from '../graph';
import { KIND_HINTS, KIND_LABELS, OPERATOR_LABELS } from '../labels';
import { SelectField, TextAreaField } from '../../../ui/forms/Controls';
import { Field } from '../../../ui/forms/Field';
import { AgentPicker } from './AgentPicker';

const OPERATORS = Object.keys(OPERATOR_LABELS) as ConditionOperator[];

/** Buttons that add `{{ reference }}` to a template. */
function ReferenceButtons({ references, onInsert }: { references: string[]; onInsert: (reference: string) => void }) {
  if (references.length === 0) return null;
  return (
    <div className="wf-references">
      <span className="field-hint">Insert:</span>
      {references.map((reference) => (
        <button
          key={reference}
          type="button"
          className="chip chip-small wf-reference"
          onClick={() => onInsert(reference)}
          title={`Add {{ ${reference} }} to the end of the text`}
        >
          {`{{ ${reference} }}`}
        </button>
      ))}
    </div>
  );
}

/** A text input for a single reference (`when`, `extract.from`, `map.over`), with suggestions. */
function ReferenceField({
  name,
  label,
  value,
  suggestions,
  hint,
  errors,
  optional,
  onChange,
}: {
  name: string;
  label: string;
  value: string;
  suggestions: string[];
  hint: string;
  errors: string[] | undefined;
  optional?: boolean;
  onChange: (value: string) => void;
}) {
  const listId = `${useId()}-references`;
  return (
    <>
      <Field
        name={name}
        label={label}
        value={value}
        list={listId}
        onChange={(event) => onChange(event.target.value)}
        hint={hint}
        errors={errors}
        optional={optional}
        autoComplete="off"
        spellCheck={false}
        className="input-mono"
      />
      <datalist id={listId}>
        {suggestions.map((suggestion) => (
          <option key={suggestion} value={suggestion} />
        ))}
      </datalist>
    </>
  );
}

/**
 * An agent call: the agent and its pinned version, the prompt, and one template per input
 * field of that version (fields the version does not have, left from another version,
 * can be removed).
 */
function AgentCallFields({
  name,
  rel,
  call,
  references,
  errorsFor,
  onChange,
}: {
  /** The call's full path, `steps[0].agent`. */
  name: string;
  /** Its path under the step, `agent` or `map.agent`. */
  rel: string;
  call: AgentCall;
  references: string[];
  errorsFor: (field: string) => string[] | undefined;
  onChange: (call: AgentCall) => void;
}) {
  const versions = useVersionsToPin(call.ref);
  const fields = versions.data?.find((version) => version.version === call.version)?.spec.inputs ?? [];
  const inputs = call.inputs ?? {};
  const extra = Object.keys(inputs).filter((key) => !fields.some((field) => field.name === key));
  const setInput = (key: string, value: string | null) => {
    const next = { ...inputs };
    if (value === null) delete next[key];
    else next[key] = value;
    onChange({ ...call, inputs: next });
  };
  return (
    <>
      <AgentPicker
        name={name}
        call={call}
        onPick={(ref, version) => onChange({ ...call, ref, version, inputs: ref === call.ref ? inputs : {} })}
        onVersion={(version) => onChange({ ...call, version })}
        refErrors={errorsFor(`${rel}.ref`)}
        versionErrors={errorsFor(`${rel}.version`)}
      />
      <TextAreaField
        name={`${name}.prompt`}
        label="Prompt"
        rows={4}
        value={call.prompt}
        onChange={(event) => onChange({ ...call, prompt: event.target.value })}
        hint="The message the agent is sent. {{ inputs.name }} and {{ steps.id.output }} are replaced by their values."
        errors={errorsFor(`${rel}.prompt`)}
        spellCheck={false}
      />
      <ReferenceButtons references={references} onInsert={(reference) => onChange({ ...call, prompt: `${call.prompt}{{ ${reference} }}` })} />
      {(fields.length > 0 || extra.length > 0) && (
        <fieldset className="subfieldset wf-agent-inputs">
          <legend className="field-label">The agent’s input fields</legend>
          {fields.map((field) => (
            <Field
              key={field.name}
              name={`${name}.inputs.${field.name}`}
              label={`${field.label || field.name}${field.required ? ' (required)' : ''}`}
              value={inputs[field.name] ?? ''}
              onChange={(event) => setInput(field.name, event.target.value === '' ? null : event.target.value)}
              hint={field.type === 'select' ? `One of: ${field.options?.join(', ') ?? ''}` : `${field.type.replace('_', ' ')}; a template.`}
              errors={errorsFor(`${rel}.inputs.${field.name}`)}
              autoComplete="off"
            />
          ))}
          {extra.map((key) => (
            <div key={key} className="editor-row">
              <Field
                name={`${name}.inputs.${key}`}
                label={`${key} (not a field of v${call.version})`}
                value={inputs[key] ?? ''}
                onChange={(event) => setInput(key, event.target.value)}
                errors={errorsFor(`${rel}.inputs.${key}`)}
              />
              <button type="button" className="button button-small row-remove" onClick={() => setInput(key, null)}>
                Remove
              </button>
            </div>
          ))}
        </fieldset>
      )}
    </>
  );
}

/**
 * The side panel's form for one step: its id, kind, `when`, and the fields of its kind. The
 * validation messages of the step are listed first, and each lands on its input too.
 */
export function StepForm({
  spec,
  index,
  errors,
  onChange,
  onDelete,
}: {
  spec: WorkflowSpec;
  index: number;
  errors: PathError[];
  onChange: (step: WorkflowStep) => void;
  onDelete: () => void;
}) {
  const step = spec.steps[index];
  if (!step) return null;
  const kind = stepKind(step);
  const { condition, map } = step;
  const at = (field: string) => `steps[${index}].${field}`;
  const errorsFor = (field: string) => {
    const found = errors.filter((error) => error.field === field).map((error) => error.message);
    return found.length > 0 ? found : undefined;
  };
  const references = availableReferences(spec, index);
  const insert = (text: string, reference: string) => `${text}{{ ${reference} }}`;

  return (
    <div className="wf-step-form" data-testid="step-form" data-step={step.id}>
      {errors.length > 0 && (
        <div className="form-alert" role="alert" data-testid="step-errors">
          <p>
            <strong>
              {errors.length === 1 ? 'One problem' : `${errors.length} problems`} in this step:
            </strong>
          </p>
          <ul className="wf-error-list">
            {errors.map((error, position) => (
              <li key={position}>
                {error.field && <code>{error.field}</code>} {error.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="form-row">
        <Field
          name={at('id')}
          label="Step id"
          value={step.id}
          onChange={(event) => onChange({ ...step, id: event.target.value })}
          hint="Lower-case letters, digits and underscores. Other steps read its output as steps.<id>.output."
          errors={errorsFor('id')}
          autoComplete="off"
          spellCheck={false}
        />
        <SelectField
          name={at('kind')}
          label="Kind"
          value={kind ?? ''}
          onChange={(event) => onChange(changeKind(step, event.target.value as StepKind))}
          hint={kind ? KIND_HINTS[kind] : 'Choose what the step does.'}
        >
          {!kind && <option value="">Choose…</option>}
          {STEP_KINDS.map((option) => (
            <option key={option} value={option}>
              {KIND_LABELS[option]}
            </option>
          ))}
        </SelectField>
      </div>
      <ReferenceField
        name={at('when')}
        label="Run only when"
        value={step.when ?? ''}
        suggestions={whenReferences(spec, index)}
        hint="A condition step’s output or a yes/no input, such as steps.check.output. When it is false the step (and what needs it) is skipped."
        errors={errorsFor('when')}
        optional
        onChange={(when) => onChange({ ...step, when: when || null })}
      />

      {step.agent && (
        <AgentCallFields
          name={at('agent')}
          rel="agent"
          call={step.agent}
          references={references}
          errorsFor={errorsFor}
          onChange={(agent) => onChange({ ...step, agent })}
        />
      )}

      {step.template && (
        <>
          <TextAreaField
            name={at('template.text')}
            label="Text"
            rows={5}
            value={step.template.text}
            onChange={(event) => onChange({ ...step, template: { text: event.target.value } })}
            errors={errorsFor('template.text')}
            spellCheck={false}
          />
          <ReferenceButtons
            references={references}
            onInsert={(reference) => onChange({ ...step, template: { text: insert(step.template?.text ?? '', reference) } })}
          />
        </>
      )}

      {step.extract && (
        <div className="form-row">
          <ReferenceField
            name={at('extract.from')}
            label="From"
            value={step.extract.from}
            suggestions={references.filter((reference) => reference !== 'item')}
            hint="A reference to JSON (text is parsed), such as steps.fetch.output."
            errors={errorsFor('extract.from')}
            onChange={(from) => onChange({ ...step, extract: { from, path: step.extract?.path ?? '' } })}
          />
          <Field
            name={at('extract.path')}
            label="Path"
            value={step.extract.path}
            onChange={(event) => onChange({ ...step, extract: { from: step.extract?.from ?? '', path: event.target.value } })}
            hint="A JSON Pointer: /items/0/title; empty for the whole value."
            errors={errorsFor('extract.path')}
            autoComplete="off"
            spellCheck={false}
            className="input-mono"
          />
        </div>
      )}

      {condition && (
        <>
          <TextAreaField
            name={at('condition.value')}
            label="Value"
            rows={2}
            value={condition.value}
            onChange={(event) => onChange({ ...step, condition: { ...condition, value: event.target.value } })}
            errors={errorsFor('condition.value')}
            spellCheck={false}
          />
          <ReferenceButtons
            references={references}
            onInsert={(reference) =>
              onChange({ ...step, condition: { ...condition, value: insert(condition.value, reference) } })
            }
          />
          <div className="form-row">
            <SelectField
              name={at('condition.operator')}
              label="Operator"
              value={condition.operator}
              onChange={(event) =>
                onChange({ ...step, condition: { ...condition, operator: event.target.value as ConditionOperator } })
              }
              errors={errorsFor('condition.operator')}
            >
              {OPERATORS.map((operator) => (
                <option key={operator} value={operator}>
                  {OPERATOR_LABELS[operator]}
                </option>
              ))}
            </SelectField>
            {condition.operator !== 'is_empty' && condition.operator !== 'not_empty' && (
              <Field
                name={at('condition.compare')}
                label="Compared with"
                value={condition.compare ?? ''}
                onChange={(event) => onChange({ ...step, condition: { ...condition, compare: event.target.value } })}
                errors={errorsFor('condition.compare')}
                autoComplete="off"
              />
            )}
          </div>
        </>
      )}

      {map && (
        <>
          <ReferenceField
            name={at('map.over')}
            label="For each item of"
            value={map.over}
            suggestions={references.filter((reference) => reference !== 'item')}
            hint="A reference to a list (text is parsed as a JSON list)."
            errors={errorsFor('map.over')}
            onChange={(over) => onChange({ ...step, map: { ...map, over } })}
          />
          <div className="form-row">
            <Field
              name={at('map.concurrency')}
              label="At most at once"
              type="number"
              min={1}
              max={10}
              value={String(map.concurrency ?? 4)}
              onChange={(event) => onChange({ ...step, map: { ...map, concurrency: Number(event.target.value) } })}
              hint="1 to 10."
              errors={errorsFor('map.concurrency')}
            />
            <Field
              name={at('map.max_items')}
              label="At most items"
              type="number"
              min={1}
              max={1000}
              value={String(map.max_items ?? 100)}
              onChange={(event) => onChange({ ...step, map: { ...map, max_items: Number(event.target.value) } })}
              hint="1 to 1,000; the worst-case cost assumes this many."
              errors={errorsFor('map.max_items')}
            />
          </div>
          <AgentCallFields
            name={at('map.agent')}
            rel="map.agent"
            call={map.agent}
            references={references}
            errorsFor={errorsFor}
            onChange={(agent) => onChange({ ...step, map: { ...map, agent } })}
          />
        </>
      )}

      <div className="form-actions">
        <button type="button" className="button button-small button-danger-outline" onClick={onDelete} data-testid="delete-step">
          Delete step
        </button>
      </div>
    </div>
  );
}
