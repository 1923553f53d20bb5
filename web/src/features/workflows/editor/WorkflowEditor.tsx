import { useMemo, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { Visibility } from '../../catalog/api';
import { ApiError, errorMessage } from '../../../api/problem';
import { workflowEditorPath, type WorkflowEstimate, type WorkflowSpec, type WorkflowStep, type WorkflowView } from '../api';
import { useSaveWorkflow, useValidateWorkflow } from '../queries';
import { availableReferences, draftFromSpec, emptySpec, newStep, slugFromName, specFromDraft, type WorkflowDraft } from './draft';
import { placeErrors, STEP_KINDS, type PlacedErrors, type StepKind } from '../graph';
import { KIND_HINTS, KIND_LABELS } from '../labels';
import { SLUG_PATTERN } from '../../agent-editor/specForm';
import { Field } from '../../../ui/forms/Field';
import { FormAlert, FormNotice } from '../../../ui/forms/FormAlert';
import { RunWorkflowDialog } from '../RunWorkflowDialog';
import { StepForm } from './StepForm';
import { WorkflowCanvas } from '../WorkflowCanvas';
import { DetailsFields, InputsFields, OutputsFields } from './WorkflowFields';
import { EstimatePanel } from '../WorkflowParts';

type Tab = 'step' | 'details' | 'inputs' | 'outputs';
type Action = 'save' | 'publish' | 'run';

const TAB_LABELS: Record<Tab, string> = { step: 'Step', details: 'Details', inputs: 'Inputs', outputs: 'Outputs' };
const TABS: Tab[] = ['step', 'details', 'inputs', 'outputs'];

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * What the last validate, save or publish found wrong: for field errors, a list that leads
 * to each step (outlined in red on the graph) or part of the form; else the problem itself.
 */
function ProblemSummary({
  error,
  placed,
  spec,
  onStep,
  onTab,
}: {
  error: unknown;
  placed: PlacedErrors;
  spec: WorkflowSpec;
  onStep: (index: number) => void;
  onTab: (tab: Tab) => void;
}) {
  const total = error instanceof ApiError ? (error.problem?.errors?.length ?? 0) : 0;
  if (!(error instanceof ApiError) || total === 0) {
    return <FormAlert message={errorMessage(error)} requestId={error instanceof ApiError ? error.requestId : null} />;
  }
  const parts: [Tab, PlacedErrors['details']][] = [
    ['details', placed.details],
    ['inputs', placed.inputs],
    ['outputs', placed.outputs],
  ];
  return (
    <div className="form-alert" role="alert" data-testid="validation-errors">
      <p>
        <strong>{plural(total, 'problem', 'problems')} to fix.</strong> Steps with problems are outlined in red on the graph:
        select one to see its messages.
      </p>
      <ul className="wf-error-list">
        {[...placed.steps].map(([index, errors]) => (
          <li key={`step-${index}`}>
            <button type="button" className="link-button" onClick={() => onStep(index)} data-testid="problem-step">
              Step {spec.steps[index]?.id || index + 1}
            </button>
            : {errors.map((found) => (found.field ? `${found.field}: ${found.message}` : found.message)).join('; ')}
          </li>
        ))}
        {parts.flatMap(([tab, errors]) =>
          errors.map((found, position) => (
            <li key={`${tab}-${position}`}>
              <button type="button" className="link-button" onClick={() => onTab(tab)}>
                {TAB_LABELS[tab]}
              </button>
              : <code>{found.field}</code> {found.message}
            </li>
          )),
        )}
        {placed.general.map((found, position) => (
          <li key={`general-${position}`}>
            {found.field && <code>{found.field}</code>} {found.message}
          </li>
        ))}
      </ul>
      {error.requestId && (
        <p className="form-alert-meta">
          Request ID: <code>{error.requestId}</code>
        </p>
      )}
    </div>
  );
}

/**
 * The visual editor of a workflow: the graph of its steps (click one to edit it in the side
 * panel), the workflow's details, inputs and outputs, and Validate (errors on the graph, the
 * worst-case cost), Save, Publish and Run. The server's field errors (`steps[2].agent.prompt`,
 * `inputs[1].name`, `outputs.answer`) land on the step and the input they name.
 */
export function WorkflowEditor({ view, handle, notice }: { view: WorkflowView | null; handle: string; notice?: ReactNode }) {
  const navigate = useNavigate();
  const [draft, setDraft] = useState<WorkflowDraft>(() => draftFromSpec(view?.spec ?? emptySpec()));
  const [slug, setSlug] = useState('');
  const [visibility, setVisibility] = useState<Visibility>(view?.visibility ?? 'private');
  const [selected, setSelected] = useState<number | null>(null);
  const [tab, setTab] = useState<Tab>('details');
  const [estimate, setEstimate] = useState<{ estimate: WorkflowEstimate; of: string } | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [dirty, setDirty] = useState(view === null);
  const [done, setDone] = useState<string | null>(null);
  const [changelog, setChangelog] = useState('');
  const [runOpen, setRunOpen] = useState(false);
  /** The address of a new workflow, when it cannot be one (checked before sending). */
  const [slugError, setSlugError] = useState<string | null>(null);

  const spec = draft.spec;
  const sent = useMemo(() => specFromDraft(draft), [draft]);
  const sentJson = useMemo(() => JSON.stringify(sent), [sent]);
  const placed = useMemo(
    () => placeErrors(failure instanceof ApiError ? (failure.problem?.errors ?? []) : []),
    [failure],
  );
  const derivedSlug = slugFromName(spec.name);
  const newSlug = slug.trim() || derivedSlug;

  const edit = (update: (current: WorkflowDraft) => WorkflowDraft) => {
    setDraft(update);
    setDirty(true);
    setDone(null);
  };
  const editSpec = (change: Partial<WorkflowSpec>) => edit((current) => ({ ...current, spec: { ...current.spec, ...change } }));
  const editStep = (index: number, step: WorkflowStep) =>
    editSpec({ steps: spec.steps.map((candidate, at) => (at === index ? step : candidate)) });
  const addStep = (kind: StepKind) => {
    editSpec({ steps: [...spec.steps, newStep(kind, spec.steps)] });
    setSelected(spec.steps.length);
    setTab('step');
  };
  const deleteStep = (index: number) => {
    editSpec({ steps: spec.steps.filter((_, at) => at !== index) });
    setSelected(null);
    setTab('details');
    // The errors' step numbers no longer match the steps.
    setFailure(null);
    setEstimate(null);
  };
  const selectStep = (index: number) => {
    setSelected(index);
    setTab('step');
  };

  const validate = useValidateWorkflow({
    onMutate: () => {
      setDone(null);
    },
    onSuccess: (found) => {
      setEstimate({ estimate: found, of: sentJson });
      setFailure(null);
    },
    onError: (error) => {
      setEstimate(null);
      setFailure(error);
    },
  });

  const submit = useSaveWorkflow(view, {
    onMutate: () => setDone(null),
    onDraftSaved: () => setDirty(false),
    onSaved: ({ saved, created, action }) => {
      setFailure(null);
      if (created) return;
      if (action === 'publish') {
        setDone(`Published version ${saved.latest_version ?? ''}.`);
        setChangelog('');
      } else if (action === 'run') {
        setRunOpen(true);
      } else {
        setDone('Draft saved.');
      }
    },
    onCreated: (saved) => void navigate(workflowEditorPath(saved.address), { replace: true, state: { notice: 'created' } }),
    onError: (error) => setFailure(error),
  });

  const save = (action: Action) => {
    if (!view && !SLUG_PATTERN.test(newSlug)) {
      setSlugError('Use 3 to 48 lower-case letters, digits and hyphens, starting with a letter.');
      setTab('details');
      return;
    }
    setSlugError(null);
    submit.mutate({ action, spec: sent, visibility, slug: newSlug, changelog, draftChanged: dirty });
  };

  const startRun = () => {
    if (dirty) save('run');
    else setRunOpen(true);
  };

  const pending = submit.isPending || validate.isPending;
  const stepErrors = [...placed.steps.values()].reduce((total, errors) => total + errors.length, 0);
  const detailErrors = slugError ? [...placed.details, { field: 'slug', message: slugError }] : placed.details;
  const counts: Record<Tab, number> = {
    step: stepErrors,
    details: detailErrors.length,
    inputs: placed.inputs.length,
    outputs: placed.outputs.length,
  };
  const stale = estimate !== null && estimate.of !== sentJson;
  const nextVersion = (view?.latest_version ?? 0) + 1;

  return (
    <div className="wf-editor" data-testid="workflow-editor">
      {submit.isIdle && validate.isIdle && notice}
      <div className="wf-toolbar">
        <div className="wf-add" role="group" aria-label="Add a step">
          <span className="field-hint">Add a step:</span>
          {STEP_KINDS.map((kind) => (
            <button
              key={kind}
              type="button"
              className={`button button-small wf-add-${kind}`}
              onClick={() => addStep(kind)}
              title={KIND_HINTS[kind]}
              data-testid={`add-${kind}`}
            >
              + {KIND_LABELS[kind]}
            </button>
          ))}
        </div>
        <div className="wf-actions">
          <button
            type="button"
            className="button"
            onClick={() => validate.mutate(sent)}
            disabled={pending}
            data-testid="validate"
            aria-busy={validate.isPending || undefined}
          >
            {validate.isPending ? 'Validating…' : 'Validate'}
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={() => save('save')}
            disabled={pending}
            data-testid="save-workflow"
            aria-busy={submit.isPending || undefined}
          >
            {submit.isPending ? 'Saving…' : view ? 'Save draft' : 'Create workflow'}
          </button>
          <button
            type="button"
            className="button"
            onClick={startRun}
            disabled={!view || pending}
            title={view ? 'Run the saved draft (saved first if it changed)' : 'Create the workflow first'}
            data-testid="run-workflow"
          >
            Run…
          </button>
        </div>
      </div>

      {failure !== null && (
        <ProblemSummary error={failure} placed={placed} spec={spec} onStep={selectStep} onTab={setTab} />
      )}
      {done && <FormNotice testId="editor-saved">{done}</FormNotice>}

      <div className="wf-editor-body">
        <WorkflowCanvas
          spec={spec}
          label="The workflow’s steps"
          direction="TB"
          selected={selected}
          onSelect={selectStep}
          errors={placed.steps}
        />
        <aside className="card wf-panel" aria-label="Edit the workflow">
          <div className="wf-tabs" role="tablist" aria-label="Parts of the workflow">
            {TABS.map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                id={`wf-tab-${name}`}
                aria-selected={tab === name}
                aria-controls="wf-tab-panel"
                className={`wf-tab${tab === name ? ' is-active' : ''}`}
                onClick={() => setTab(name)}
              >
                {TAB_LABELS[name]}
                {counts[name] > 0 && (
                  <span className="wf-tab-count" aria-label={plural(counts[name], 'problem', 'problems')}>
                    {counts[name]}
                  </span>
                )}
              </button>
            ))}
          </div>
          <div id="wf-tab-panel" role="tabpanel" aria-labelledby={`wf-tab-${tab}`} className="wf-tab-panel">
            {tab === 'step' &&
              (selected !== null && spec.steps[selected] ? (
                <StepForm
                  key={selected}
                  spec={spec}
                  index={selected}
                  errors={placed.steps.get(selected) ?? []}
                  onChange={(step) => editStep(selected, step)}
                  onDelete={() => deleteStep(selected)}
                />
              ) : (
                <p className="muted">
                  {spec.steps.length === 0 ? 'Add a step with the buttons above the graph.' : 'Select a step on the graph to edit it.'}
                </p>
              ))}
            {tab === 'details' && (
              <DetailsFields
                spec={spec}
                errors={detailErrors}
                onChange={editSpec}
                slug={view ? undefined : slug}
                slugPlaceholder={derivedSlug}
                onSlug={(next) => {
                  setSlug(next);
                  setSlugError(null);
                }}
                handle={view?.owner_handle ?? handle}
                visibility={visibility}
                onVisibility={(next) => {
                  setVisibility(next);
                  setDone(null);
                }}
              />
            )}
            {tab === 'inputs' && (
              <InputsFields inputs={spec.inputs ?? []} errors={placed.inputs} onChange={(inputs) => editSpec({ inputs })} />
            )}
            {tab === 'outputs' && (
              <OutputsFields
                rows={draft.outputs}
                errors={placed.outputs}
                references={availableReferences(spec, -1)}
                onChange={(outputs) => edit((current) => ({ ...current, outputs }))}
              />
            )}
          </div>
        </aside>
      </div>

      {estimate && (
        <>
          {stale && (
            <p className="notice" role="note">
              The definition changed since it was validated: validate again for an up-to-date cost.
            </p>
          )}
          <EstimatePanel estimate={estimate.estimate} spec={spec} />
        </>
      )}

      {view && (
        <section className="card wf-publish" aria-labelledby="wf-publish-title">
          <h2 id="wf-publish-title" className="section-title">
            Publish
          </h2>
          <p className="muted">
            {view.latest_version != null
              ? `Version ${view.latest_version} is the latest. Publishing saves the draft (if it changed) as version ${nextVersion}; runs of “latest” use it from then on.`
              : 'Publishing makes the saved draft version 1: public and unlisted workflows can then be found and run by others.'}
          </p>
          <div className="form wf-publish-form">
            <Field
              name="changelog"
              label="What changed"
              value={changelog}
              maxLength={2000}
              onChange={(event) => setChangelog(event.target.value)}
              errors={placed.details.filter((found) => found.field === 'changelog').map((found) => found.message)}
              optional
            />
            <div className="form-actions">
              <button
                type="button"
                className="button button-primary"
                onClick={() => save('publish')}
                disabled={pending}
                data-testid="publish-workflow"
              >
                Publish version {nextVersion}
              </button>
            </div>
          </div>
        </section>
      )}

      {runOpen && view && <RunWorkflowDialog workflow={view} onClose={() => setRunOpen(false)} />}
    </div>
  );
}
