import type { InputField } from '../catalog/api';
import type { FieldErrors } from '../../api/problem';
import { Field } from '../../ui/forms/Field';
import { SelectField, TextAreaField } from '../../ui/forms/Controls';
import { inputFieldName, type RawInputs } from './inputValues';

/** The agent's own input fields (text, long text, number, yes/no, choice), with their errors. */
export function AgentInputFields({
  fields,
  values,
  errors,
  disabled,
  onChange,
}: {
  fields: InputField[];
  values: RawInputs;
  errors: FieldErrors;
  disabled?: boolean;
  onChange: (name: string, value: string | boolean) => void;
}) {
  if (fields.length === 0) return null;
  return (
    <div className="agent-inputs" data-testid="agent-inputs">
      {fields.map((field) => {
        const name = inputFieldName(field.name);
        const value = values[field.name];
        const optional = !field.required;
        const fieldErrors = errors[name];
        switch (field.type) {
          case 'long_text':
            return (
              <TextAreaField
                key={field.name}
                name={name}
                label={field.label}
                optional={optional}
                rows={4}
                value={typeof value === 'string' ? value : ''}
                disabled={disabled}
                onChange={(event) => onChange(field.name, event.target.value)}
                errors={fieldErrors}
              />
            );
          case 'select':
            return (
              <SelectField
                key={field.name}
                name={name}
                label={field.label}
                optional={optional}
                value={typeof value === 'string' ? value : ''}
                disabled={disabled}
                onChange={(event) => onChange(field.name, event.target.value)}
                errors={fieldErrors}
              >
                <option value="">Choose…</option>
                {(field.options ?? []).map((option) => (
                  <option key={option} value={option}>
                    {option}
                  </option>
                ))}
              </SelectField>
            );
          case 'boolean':
            return (
              <div key={field.name} className={`field${fieldErrors ? ' has-error' : ''}`}>
                <label className="checkbox">
                  <input
                    type="checkbox"
                    name={name}
                    checked={value === true}
                    disabled={disabled}
                    onChange={(event) => onChange(field.name, event.target.checked)}
                  />{' '}
                  {field.label}
                </label>
                {fieldErrors && (
                  <div className="field-errors" data-testid={`field-error-${name}`}>
                    {fieldErrors.map((message) => (
                      <p key={message} className="field-error">
                        {message}
                      </p>
                    ))}
                  </div>
                )}
              </div>
            );
          default:
            return (
              <Field
                key={field.name}
                name={name}
                label={field.label}
                optional={optional}
                type="text"
                inputMode={field.type === 'number' ? 'decimal' : undefined}
                value={typeof value === 'string' ? value : ''}
                disabled={disabled}
                onChange={(event) => onChange(field.name, event.target.value)}
                errors={fieldErrors}
              />
            );
        }
      })}
    </div>
  );
}
