import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { agentPath, editorPath, type AgentView, type Category, type LlmModel, type Visibility } from '../catalog/api';
import type { FieldErrors } from '../../api/problem';
import { AgentCardView } from '../catalog/AgentCard';
import { LICENCE_LABELS, VISIBILITY_LABELS } from '../catalog/format';
import { Markdown } from '../../ui/Markdown';
import { SelectField, TextAreaField } from '../../ui/forms/Controls';
import { Field } from '../../ui/forms/Field';
import { FormAlert, FormNotice } from '../../ui/forms/FormAlert';
import { focusFirstInvalid, NO_ERRORS, type FormErrors } from '../../ui/forms/formErrors';
import { withPinsFrom } from './mcpSources';
import { useSaveAgent } from './queries';
import { ExamplesEditor, FallbacksEditor, InputsEditor, ModelOptions, TagInput, ToolsEditor } from './EditorFields';
import {
  checkForm,
  editorErrorsFrom,
  formPaths,
  LIMITS,
  previewCard,
  SLUG_PATTERN,
  specFromForm,
  type SpecForm,
} from './specForm';

const VISIBILITY_HINTS: Record<Visibility, string> = {
  public: 'Listed in the marketplace once published.',
  unlisted: 'Anyone with the link can open it once published; not listed.',
  private: 'Only you can see it.',
};

type Action = { kind: 'save' } | { kind: 'publish'; changelog: string };

interface AgentEditorProps {
  /** The agent being edited; null for a new one. */
  view: AgentView | null;
  initial: SpecForm;
  models: LlmModel[];
  categories: Category[];
  /** The owner's handle and name, for the preview of a new agent. */
  owner: { handle: string; name: string };
  /** A message to show first ("Forked: ..."), from the page that sent the user here. */
  notice?: ReactNode;
}

function Section({ title, id, children, description }: { title: string; id: string; children: ReactNode; description?: string }) {
  return (
    <section className="card settings-section editor-section" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="section-title">
        {title}
      </h2>
      {description && <p className="muted section-subtitle">{description}</p>}
      <div className="form">{children}</div>
    </section>
  );
}

/**
 * The form for a whole agent definition, with a live preview of its listing. "Save draft"
 * creates the agent (a new one) or saves its draft; "Publish" saves the draft if it changed
 * and publishes it as the next version. The server's field errors, whatever prefix it gives
 * them (`definition.`, `draft.`), land on the matching inputs.
 */
export function AgentEditor({ view, initial, models, categories, owner, notice }: AgentEditorProps) {
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);
  const [form, setForm] = useState<SpecForm>(initial);
  const [slug, setSlug] = useState('');
  const [visibility, setVisibility] = useState<Visibility>(view?.agent.visibility ?? 'public');
  const [changelog, setChangelog] = useState('');
  const [dirty, setDirty] = useState(view === null);
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [done, setDone] = useState<string | null>(null);
  const isNew = view === null;

  const submit = useSaveAgent(view, {
    onDraftSaved: (saved) => {
      setDirty(false);
      // The server pinned the MCP tools' descriptions and input schemas: keep them.
      const pinned = saved.draft?.tools;
      if (pinned) setForm((current) => ({ ...current, tools: withPinsFrom(current.tools, pinned) }));
    },
    onCreated: (created) =>
      void navigate(editorPath(created.agent.handle, created.agent.slug), { replace: true, state: { notice: 'created' } }),
    onSaved: ({ published }) => {
      setDone(published ? `Published version ${published}.` : 'Draft saved.');
      if (published) setChangelog('');
    },
    onError: () => setTimeout(() => focusFirstInvalid(formRef.current)),
  });

  const paths = formPaths(form, isNew ? ['slug', 'visibility', 'changelog'] : ['visibility', 'changelog']);
  const errors: FormErrors =
    Object.keys(localErrors).length > 0 ? { ...NO_ERRORS, fields: localErrors } : editorErrorsFrom(submit.error, paths);
  const err = (path: string) => errors.fields[path];

  const change = (update: Partial<SpecForm>) => {
    setForm((current) => ({ ...current, ...update }));
    setDirty(true);
    setDone(null);
  };

  const run = (action: Action) => {
    const found = checkForm(form);
    if (isNew && slug.trim() && !SLUG_PATTERN.test(slug.trim())) {
      found.slug = ['Use 3 to 48 lower-case letters, digits and hyphens, starting with a letter.'];
    }
    if (action.kind === 'publish' && [...action.changelog].length > LIMITS.changelog) {
      found.changelog = [`Use at most ${LIMITS.changelog} characters.`];
    }
    setLocalErrors(found);
    setDone(null);
    if (Object.keys(found).length > 0) {
      submit.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    submit.mutate({ ...action, definition: specFromForm(form), visibility, slug: slug.trim(), draftChanged: dirty });
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    run({ kind: 'save' });
  };

  const handle = view?.agent.handle ?? owner.handle;
  const card = previewCard(form, {
    handle,
    slug: view?.agent.slug ?? (slug.trim() || 'new-agent'),
    creatorName: view?.agent.creator_name ?? owner.name,
  });
  const nextVersion = (view?.agent.latest_version ?? 0) + 1;
  const pending = submit.isPending;

  return (
    <div className="editor-layout">
      <form ref={formRef} className="editor-form" onSubmit={onSubmit} noValidate data-testid="agent-editor">
        {/* The arrival message is old news once the user saves or publishes. */}
        {submit.isIdle && notice}
        <FormAlert message={errors.form} requestId={errors.requestId} />

        <Section title="Listing" id="listing" description="What people see in the marketplace.">
          <Field
            name="name"
            label="Name"
            value={form.name}
            maxLength={LIMITS.name}
            onChange={(event) => change({ name: event.target.value })}
            hint={`1 to ${LIMITS.name} characters.`}
            errors={err('name')}
            autoComplete="off"
          />
          <Field
            name="summary"
            label="Summary"
            value={form.summary}
            maxLength={LIMITS.summary}
            onChange={(event) => change({ summary: event.target.value })}
            hint={`One line on what it does, up to ${LIMITS.summary} characters. Semantic search reads it.`}
            errors={err('summary')}
            autoComplete="off"
          />
          <div className="form-row">
            <SelectField
              name="category"
              label="Category"
              value={form.category}
              onChange={(event) => change({ category: event.target.value })}
              errors={err('category')}
            >
              <option value="">Choose a category</option>
              {categories.map((category) => (
                <option key={category.slug} value={category.slug}>
                  {category.name}
                </option>
              ))}
            </SelectField>
            <Field
              name="language"
              label="Language"
              value={form.language}
              onChange={(event) => change({ language: event.target.value })}
              hint="A language tag: en, fr, pt-BR…"
              errors={err('language')}
              autoComplete="off"
            />
          </div>
          <TagInput tags={form.tags} onChange={(tags) => change({ tags })} errors={errors.fields} />
          <div className="form-row">
            <Field
              name="price_per_run"
              label="Price per run (credits)"
              inputMode="decimal"
              value={form.price}
              onChange={(event) => change({ price: event.target.value })}
              hint="What a run costs on top of the model; 0 for free."
              errors={err('price_per_run')}
            />
            <fieldset className="field radio-group" aria-describedby="licence-hint">
              <legend className="field-label">Licence</legend>
              {(['open', 'sealed'] as const).map((licence) => (
                <label key={licence} className="radio">
                  <input
                    type="radio"
                    name="licence"
                    value={licence}
                    checked={form.licence === licence}
                    onChange={() => change({ licence })}
                  />
                  {LICENCE_LABELS[licence]}
                </label>
              ))}
              <p id="licence-hint" className="field-hint">
                Open: anyone can read the prompt and fork the agent. Sealed: the prompt stays yours, and nobody can fork it.
              </p>
            </fieldset>
          </div>
        </Section>

        <Section title="Description" id="description" description="Markdown: headings, lists, emphasis, code and links. No HTML, no images.">
          <TextAreaField
            name="description"
            label="Description"
            hideLabel
            rows={8}
            value={form.description}
            maxLength={LIMITS.description}
            onChange={(event) => change({ description: event.target.value })}
            hint={`${[...form.description].length.toLocaleString('en')} / ${LIMITS.description.toLocaleString('en')} characters`}
            errors={err('description')}
          />
        </Section>

        <Section title="Behaviour" id="behaviour" description="The instructions and the model that follows them.">
          <TextAreaField
            name="system_prompt"
            label="System prompt"
            rows={8}
            value={form.systemPrompt}
            maxLength={LIMITS.systemPrompt}
            onChange={(event) => change({ systemPrompt: event.target.value })}
            hint={form.licence === 'sealed' ? 'Sealed: only you will see it.' : 'Open: everyone can read it.'}
            errors={err('system_prompt')}
          />
          <SelectField
            name="model.name"
            label="Model"
            value={form.model}
            onChange={(event) => change({ model: event.target.value })}
            errors={[...(err('model') ?? []), ...(err('model.provider') ?? []), ...(err('model.name') ?? [])]}
            hint="Agora (offline) answers without a provider key: handy to try an agent locally."
          >
            <ModelOptions models={models} current={form.model} />
          </SelectField>
          <div className="form-row">
            <Field
              name="model.parameters.temperature"
              label="Temperature"
              optional
              inputMode="decimal"
              value={form.temperature}
              onChange={(event) => change({ temperature: event.target.value })}
              hint="0 to 2."
              errors={err('model.parameters.temperature')}
            />
            <Field
              name="model.parameters.top_p"
              label="Top p"
              optional
              inputMode="decimal"
              value={form.topP}
              onChange={(event) => change({ topP: event.target.value })}
              hint="Above 0, at most 1."
              errors={err('model.parameters.top_p')}
            />
            <Field
              name="model.parameters.max_tokens"
              label="Max tokens"
              optional
              inputMode="numeric"
              value={form.maxTokens}
              onChange={(event) => change({ maxTokens: event.target.value })}
              hint="Up to the model's limit."
              errors={err('model.parameters.max_tokens')}
            />
          </div>
          <FallbacksEditor
            fallbacks={form.fallbacks}
            models={models}
            errors={errors.fields}
            onChange={(fallbacks) => change({ fallbacks })}
          />
        </Section>

        <Section
          title="Tools"
          id="tools"
          description="What the model may use while it answers. Agora runs each call inside the run, and users see every call with the answer."
        >
          <ToolsEditor tools={form.tools} errors={errors.fields} onChange={(tools) => change({ tools })} />
        </Section>

        <Section title="Inputs" id="inputs" description={`Fields a user fills in before a run, up to ${LIMITS.inputs}.`}>
          <InputsEditor inputs={form.inputs} errors={errors.fields} onChange={(inputs) => change({ inputs })} />
        </Section>

        <Section title="Examples" id="examples" description="Prompts to start with and sample conversations.">
          <ExamplesEditor
            prompts={form.prompts}
            conversations={form.conversations}
            errors={errors.fields}
            onPrompts={(prompts) => change({ prompts })}
            onConversations={(conversations) => change({ conversations })}
          />
        </Section>

        <Section title="Address and visibility" id="visibility">
          {isNew ? (
            <Field
              name="slug"
              label="Address"
              optional
              value={slug}
              onChange={(event) => setSlug(event.target.value)}
              hint={`Your agent lives at ${handle}/<address>. Made from the name when empty.`}
              errors={err('slug')}
              autoComplete="off"
            />
          ) : (
            <p>
              Address: <code>{view.agent.address}</code>
            </p>
          )}
          <SelectField
            name="visibility"
            label="Visibility"
            value={visibility}
            onChange={(event) => {
              setVisibility(event.target.value as Visibility);
              setDone(null);
            }}
            hint={VISIBILITY_HINTS[visibility]}
            errors={err('visibility')}
          >
            {(Object.keys(VISIBILITY_LABELS) as Visibility[]).map((value) => (
              <option key={value} value={value}>
                {VISIBILITY_LABELS[value]}
              </option>
            ))}
          </SelectField>
        </Section>

        {!isNew && (
          <section className="card settings-section publish-panel" aria-labelledby="publish-title" data-testid="publish-panel">
            <h2 id="publish-title" className="section-title">
              Publish version {nextVersion}
            </h2>
            <p className="muted section-subtitle">
              Publishing saves the draft first. Published versions never change: publish again to update.
            </p>
            <TextAreaField
              name="changelog"
              label="Changelog"
              rows={3}
              value={changelog}
              maxLength={LIMITS.changelog}
              onChange={(event) => setChangelog(event.target.value)}
              hint="What changed, shown with the version."
              errors={err('changelog')}
            />
            <button
              type="button"
              className="button button-primary"
              onClick={() => run({ kind: 'publish', changelog })}
              disabled={pending}
              data-testid="publish"
            >
              {pending && submit.variables?.kind === 'publish' ? 'Publishing…' : `Publish version ${nextVersion}`}
            </button>
          </section>
        )}

        <div className="editor-actions card">
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={pending} data-testid="save-draft">
              {pending && submit.variables?.kind === 'save' ? 'Saving…' : isNew ? 'Create draft' : 'Save draft'}
            </button>
            {!isNew && !dirty && !pending && !done && <span className="muted">All changes saved.</span>}
            {!isNew && dirty && <span className="muted">Unsaved changes.</span>}
            {done && <FormNotice testId="editor-saved">{done}</FormNotice>}
            {done?.startsWith('Published') && view && (
              <Link to={agentPath(view.agent.address)} className="text-link" data-testid="view-published">
                View the listing →
              </Link>
            )}
          </div>
        </div>
      </form>

      <aside className="editor-preview" aria-label="Preview">
        <h2 className="section-title">Listing preview</h2>
        <div data-testid="listing-preview">
          <AgentCardView card={card} preview categoryName={categories.find((c) => c.slug === form.category)?.name} />
        </div>
        <h3 className="detail-subtitle">Description preview</h3>
        <div className="card preview-description" data-testid="description-preview">
          {form.description.trim() ? <Markdown source={form.description} /> : <p className="muted">Nothing yet.</p>}
        </div>
      </aside>
    </div>
  );
}
