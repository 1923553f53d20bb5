import { useEffect, useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/problem';
import { insufficientCredits, workflowRunPath, type RunVersion, type WorkflowInput, type WorkflowView } from './api';
import { useStartWorkflowRun } from './queries';
import { parseInputValue } from './editor/draft';
import { TextAreaField } from '../../ui/forms/Controls';
import { Field } from '../../ui/forms/Field';
import { SubmitButton } from '../../ui/forms/FormAlert';

type Values = Record<string, string | boolean>;

function initialValues(inputs: readonly WorkflowInput[]): Values {
  return Object.fromEntries(inputs.map((input) => [input.name, input.type === 'boolean' ? false : '']));
}

/** Why a run could not start, in words that say what to do. */
export function RunStartError({ error, shownOnFields }: { error: unknown; shownOnFields: readonly string[] }) {
  const credits = insufficientCredits(error);
  if (error instanceof ApiError && error.status === 402) {
    return (
      <div className="form-alert" role="alert" data-testid="run-error" data-status={402}>
        <p>
          <strong>Not enough credits for this run.</strong>{' '}
          {credits ? (
            <span data-testid="credits-needed">
              It may cost up to {credits.needed} credits (its worst case), and you have {credits.available} available.
            </span>
          ) : (
            (error.problem?.detail ?? '')
          )}
        </p>
        <p>
          <Link to="/account/billing" className="text-link" data-testid="add-credits">
            Add credits or raise your spending limit →
          </Link>
        </p>
      </div>
    );
  }
  const elsewhere =
    error instanceof ApiError
      ? Object.entries(error.fieldErrors)
          .filter(([field]) => !shownOnFields.includes(field))
          .flatMap(([field, messages]) => messages.map((message) => `${field}: ${message}`))
      : [];
  const onlyFields = error instanceof ApiError && Object.keys(error.fieldErrors).length > 0 && elsewhere.length === 0;
  return (
    <div className="form-alert" role="alert" data-testid="run-error">
      <p>{onlyFields ? 'Check the highlighted inputs.' : [errorMessage(error), ...elsewhere].join(' ')}</p>
      {error instanceof ApiError && error.requestId && (
        <p className="form-alert-meta">
          Request ID: <code>{error.requestId}</code>
        </p>
      )}
    </div>
  );
}

/**
 * The dialog that starts a run: a field per input of the workflow (JSON for lists and
 * objects), the version for its owner (the saved draft or the latest published one), then
 * `POST .../runs` and off to the run's page. A 402 says what the worst case needs and what
 * is available; a 422 puts `inputs.<name>` messages on their fields.
 */
export function RunWorkflowDialog({ workflow, onClose }: { workflow: WorkflowView; onClose: () => void }) {
  const titleId = useId();
  const navigate = useNavigate();
  const inputs = workflow.spec.inputs ?? [];
  const [values, setValues] = useState<Values>(() => initialValues(inputs));
  const [local, setLocal] = useState<Record<string, string[]>>({});
  const published = workflow.latest_version != null;
  const [version, setVersion] = useState<RunVersion>(workflow.is_owner ? 'draft' : 'latest');

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const start = useStartWorkflowRun(workflow, version, { onSuccess: (run) => void navigate(workflowRunPath(run.id)) });

  const serverErrors = start.error instanceof ApiError ? start.error.fieldErrors : {};
  const errorsOf = (name: string) => local[name] ?? serverErrors[`inputs.${name}`];

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    const found: Record<string, string[]> = {};
    for (const input of inputs) {
      const raw = values[input.name] ?? '';
      // An empty optional field is left out; the server says when a required one is missing.
      if (input.type !== 'boolean' && String(raw).trim() === '') continue;
      const parsed = parseInputValue(input.type, raw);
      if ('error' in parsed) found[input.name] = [parsed.error];
      else body[input.name] = parsed.value;
    }
    setLocal(found);
    if (Object.keys(found).length > 0) return;
    start.mutate(body);
  };

  const set = (name: string, value: string | boolean) => setValues((current) => ({ ...current, [name]: value }));

  return (
    <div className="wf-dialog-backdrop" onClick={(event) => event.target === event.currentTarget && onClose()}>
      <div className="card wf-dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid="run-dialog">
        <h2 id={titleId} className="section-title">
          Run {workflow.spec.name || workflow.address}
        </h2>
        <form className="form" onSubmit={onSubmit} noValidate>
          {workflow.is_owner && (
            <fieldset className="field radio-group">
              <legend className="field-label">Version</legend>
              <label className="radio">
                <input type="radio" name="version" checked={version === 'draft'} onChange={() => setVersion('draft')} />
                The saved draft
              </label>
              {published && (
                <label className="radio">
                  <input type="radio" name="version" checked={version === 'latest'} onChange={() => setVersion('latest')} />
                  The latest published version (v{workflow.latest_version})
                </label>
              )}
            </fieldset>
          )}
          {!workflow.is_owner && published && <p className="muted">Runs version {workflow.latest_version}, the latest.</p>}
          {inputs.length === 0 && <p className="muted">This workflow takes no inputs.</p>}
          {inputs.map((input, index) => {
            const label = `${input.label || input.name}${input.required === false ? '' : ' (required)'}`;
            const name = `inputs.${input.name}`;
            const value = values[input.name];
            if (input.type === 'boolean') {
              const errors = errorsOf(input.name);
              return (
                <div key={input.name} className={`field${errors ? ' has-error' : ''}`}>
                  <label className="checkbox">
                    <input type="checkbox" name={name} checked={value === true} onChange={(event) => set(input.name, event.target.checked)} />
                    {input.label || input.name}
                  </label>
                  {errors && (
                    <div className="field-errors" data-testid={`field-error-${name}`}>
                      {errors.map((message) => (
                        <p key={message} className="field-error">
                          {message}
                        </p>
                      ))}
                    </div>
                  )}
                </div>
              );
            }
            if (input.type === 'number') {
              return (
                <Field
                  key={input.name}
                  name={name}
                  label={label}
                  inputMode="decimal"
                  value={String(value ?? '')}
                  onChange={(event) => set(input.name, event.target.value)}
                  errors={errorsOf(input.name)}
                  autoFocus={index === 0}
                />
              );
            }
            return (
              <TextAreaField
                key={input.name}
                name={name}
                label={label}
                rows={input.type === 'text' ? 3 : 4}
                value={String(value ?? '')}
                onChange={(event) => set(input.name, event.target.value)}
                hint={input.type === 'list' ? 'A JSON list, such as ["a", "b"].' : input.type === 'object' ? 'A JSON object.' : undefined}
                errors={errorsOf(input.name)}
                autoFocus={index === 0}
                spellCheck={input.type === 'text'}
              />
            );
          })}
          {start.error && (
            <RunStartError error={start.error} shownOnFields={inputs.map((input) => `inputs.${input.name}`)} />
          )}
          <div className="form-actions">
            <SubmitButton pending={start.isPending} pendingLabel="Starting…">
              Start the run
            </SubmitButton>
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
          </div>
          <p className="field-hint">
            The worst case is held from your credits when the run starts; you pay only what the steps use.
          </p>
        </form>
      </div>
    </div>
  );
}
