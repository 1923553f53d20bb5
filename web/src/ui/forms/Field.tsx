import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'name'> {
  /** The input's name, which is also the field name the API reports errors under. */
  name: string;
  label: string;
  /** Rules or help shown under the input (and read with it by screen readers). */
  hint?: ReactNode;
  /** The messages to show next to the input; marks it invalid when non-empty. */
  errors?: string[] | undefined;
  /** Adds "(optional)" to the label. */
  optional?: boolean;
}

/**
 * A labelled input with its hint and errors tied to it by aria-describedby, and
 * aria-invalid while it has errors.
 */
export function Field({ name, label, hint, errors, optional = false, className, ...input }: FieldProps) {
  const id = `${useId()}${name}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors && errors.length > 0 ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${errorId ? ' has-error' : ''}`}>
      <label htmlFor={id} className="field-label">
        {label}
        {optional && <span className="field-optional"> (optional)</span>}
      </label>
      <input
        id={id}
        name={name}
        className={`input${className ? ` ${className}` : ''}`}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={describedBy}
        {...input}
      />
      {errorId && (
        <div id={errorId} className="field-errors" data-testid={`field-error-${name}`}>
          {errors?.map((message) => (
            <p key={message} className="field-error">
              {message}
            </p>
          ))}
        </div>
      )}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
