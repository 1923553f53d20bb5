import { useId, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';

interface FrameProps {
  name: string;
  label: ReactNode;
  hint?: ReactNode;
  errors?: string[] | undefined;
  optional?: boolean;
  /** Hides the label visually (it is still read), for inputs inside a labelled row. */
  hideLabel?: boolean;
  children: (control: { id: string; invalid: boolean; describedBy: string | undefined }) => ReactNode;
}

/**
 * The label, hint and errors around any control, wired like {@link Field}'s: the errors and
 * the hint are read with the control, and `field-error-<name>` finds the errors in tests.
 */
export function FieldFrame({ name, label, hint, errors, optional = false, hideLabel = false, children }: FrameProps) {
  const id = `${useId()}${name}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors && errors.length > 0 ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${errorId ? ' has-error' : ''}`}>
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : 'field-label'}>
        {label}
        {optional && <span className="field-optional"> (optional)</span>}
      </label>
      {children({ id, invalid: Boolean(errorId), describedBy })}
      {errorId && <FieldErrorList id={errorId} name={name} errors={errors ?? []} />}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** A field's error messages. */
export function FieldErrorList({ id, name, errors }: { id?: string; name: string; errors: string[] }) {
  return (
    <div id={id} className="field-errors" data-testid={`field-error-${name}`}>
      {errors.map((message) => (
        <p key={message} className="field-error">
          {message}
        </p>
      ))}
    </div>
  );
}

type TextAreaFieldProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'name'> &
  Omit<FrameProps, 'children'>;

export function TextAreaField({ name, label, hint, errors, optional, hideLabel, className, ...textarea }: TextAreaFieldProps) {
  return (
    <FieldFrame name={name} label={label} hint={hint} errors={errors} optional={optional} hideLabel={hideLabel}>
      {({ id, invalid, describedBy }) => (
        <textarea
          id={id}
          name={name}
          className={`input textarea${className ? ` ${className}` : ''}`}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          {...textarea}
        />
      )}
    </FieldFrame>
  );
}

type SelectFieldProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id' | 'name'> & Omit<FrameProps, 'children'>;

export function SelectField({ name, label, hint, errors, optional, hideLabel, className, children, ...select }: SelectFieldProps) {
  return (
    <FieldFrame name={name} label={label} hint={hint} errors={errors} optional={optional} hideLabel={hideLabel}>
      {({ id, invalid, describedBy }) => (
        <select
          id={id}
          name={name}
          className={`input${className ? ` ${className}` : ''}`}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          {...select}
        >
          {children}
        </select>
      )}
    </FieldFrame>
  );
}
