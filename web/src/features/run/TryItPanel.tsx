import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import type { AgentSpec, AgentView } from '../catalog/api';
import { errorMessage, type FieldErrors } from '../../api/problem';
import { useRefreshReviews } from '../reviews/queries';
import { chatPath } from '../chat/api';
import { useStartConversation } from '../chat/queries';
import { inputsBody, streamRun } from './api';
import { useRefreshAfterRun } from './queries';
import { isActive, useAnswerStream } from './useAnswerStream';
import { useSession } from '../../session/useSession';
import { nextQuery } from '../../session/nextPath';
import { focusFirstInvalid, formErrorsFrom, mergeErrors } from '../../ui/forms/formErrors';
import { FieldErrorList } from '../../ui/forms/Controls';
import { AgentInputFields } from './AgentInputFields';
import { AnswerError, AnswerMeta, AnswerStatus } from './AnswerParts';
import { factsFromOutcome } from './answerFacts';
import { emptyInputs, inputsForRequest, type RawInputs } from './inputValues';
import { runVersion, type ChatArrival } from './runOptions';
import { StreamedText } from './StreamedText';
import './run.css';

/** The longest prompt the panel accepts (the server has its own limit). */
const PROMPT_MAX = 20_000;

function TryItForm({ view, spec, userId }: { view: AgentView; spec: AgentSpec; userId: string }) {
  const navigate = useNavigate();
  const refreshAfterRun = useRefreshAfterRun(userId);
  const refreshReviews = useRefreshReviews();
  const formRef = useRef<HTMLFormElement>(null);
  const promptId = useId();
  const fields = spec.inputs ?? [];
  const [prompt, setPrompt] = useState('');
  const [raw, setRaw] = useState<RawInputs>(() => emptyInputs(fields));
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [asked, setAsked] = useState('');
  const { state, start, stop } = useAnswerStream();
  const active = isActive(state);
  const version = runVersion(view);
  const address = view.agent.address;

  const fieldNames = ['input', ...fields.map((field) => `inputs.${field.name}`)];
  const errors = mergeErrors(localErrors, formErrorsFrom(state.phase === 'error' ? state.error : null, fieldNames));

  const continueInChat = useStartConversation(userId, {
    onSuccess: (conversation) => {
      const arrival: ChatArrival = { draft: asked };
      void navigate(chatPath(conversation.id), { state: arrival });
    },
  });
  /** A new conversation with the agent, with the inputs filled in here. */
  const startChat = () => {
    const { values } = inputsForRequest(fields, raw);
    continueInChat.mutate({
      agent: address,
      ...(version !== undefined ? { version } : {}),
      ...(Object.keys(values).length > 0 ? { inputs: inputsBody(values) } : {}),
    });
  };

  const run = async () => {
    const text = prompt.trim();
    const { values, errors: found } = inputsForRequest(fields, raw);
    if (!text) found.input = ['Write what you want the agent to do.'];
    else if (text.length > PROMPT_MAX) found.input = [`Use at most ${PROMPT_MAX.toLocaleString('en')} characters.`];
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    setAsked(text);
    const final = await start((handlers, signal) =>
      streamRun(
        {
          agent: address,
          input: text,
          ...(version !== undefined ? { version } : {}),
          ...(Object.keys(values).length > 0 ? { inputs: inputsBody(values) } : {}),
        },
        handlers,
        signal,
      ),
    );
    if (final.phase === 'error') setTimeout(() => focusFirstInvalid(formRef.current));
    // The balance, the runs and whether a review is allowed all changed.
    await Promise.all([refreshAfterRun(), refreshReviews(view.agent.handle, view.agent.slug)]);
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!active) void run();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Ctrl/⌘+Enter runs, as in most prompt boxes; Enter alone is a new line.
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!active) void run();
    }
  };

  const promptErrors = errors.fields.input;
  const hasAnswer = state.phase === 'error' ? state.segments.length > 0 : state.phase !== 'idle';

  return (
    <form ref={formRef} className="form try-it-form" onSubmit={onSubmit} noValidate data-testid="try-it-form">
      <AgentInputFields
        fields={fields}
        values={raw}
        errors={errors.fields}
        disabled={active}
        onChange={(name, value) => setRaw((now) => ({ ...now, [name]: value }))}
      />
      <div className={`field${promptErrors ? ' has-error' : ''}`}>
        <label htmlFor={promptId} className="field-label">
          Prompt
        </label>
        <textarea
          id={promptId}
          name="input"
          className="input textarea"
          rows={3}
          value={prompt}
          placeholder={spec.examples?.prompts?.[0] ?? 'Ask the agent something…'}
          onChange={(event) => setPrompt(event.target.value)}
          onKeyDown={onKeyDown}
          aria-invalid={promptErrors ? true : undefined}
          aria-describedby={`${promptId}-hint${promptErrors ? ` ${promptId}-error` : ''}`}
          data-testid="try-it-prompt"
        />
        {promptErrors && <FieldErrorList id={`${promptId}-error`} name="input" errors={promptErrors} />}
        <p id={`${promptId}-hint`} className="field-hint">
          Each run is charged to your credits: the agent’s price plus what the model costs. Ctrl+Enter runs it.
        </p>
      </div>
      <div className="form-actions">
        {active ? (
          <button
            type="button"
            className="button"
            onClick={() => void stop()}
            disabled={state.stopping}
            data-testid="try-it-stop"
          >
            {state.stopping ? 'Stopping…' : 'Stop'}
          </button>
        ) : (
          <button type="submit" className="button button-primary" data-testid="try-it-run">
            Run
          </button>
        )}
      </div>
      {state.phase === 'error' && <AnswerError error={state.error} fields={fieldNames} />}
      {hasAnswer && (
        <div className="try-it-answer card-inset" data-testid="try-it-answer">
          <h3 className="detail-subtitle">Answer</h3>
          <StreamedText segments={state.segments} streaming={active} testId="try-it-output" />
          {state.phase === 'done' && state.outcome && (
            <>
              <AnswerStatus status={state.outcome.status} detail={state.outcome.error?.detail ?? null} />
              <AnswerMeta facts={factsFromOutcome(state.outcome)} />
            </>
          )}
          {state.phase === 'cancelled' && <AnswerStatus status="stopped" />}
          <p className="sr-status visually-hidden" role="status">
            {state.phase === 'done' ? 'The answer is complete.' : ''}
          </p>
          {!active && (
            <div className="try-it-continue">
              <button
                type="button"
                className="button button-small"
                onClick={startChat}
                disabled={continueInChat.isPending}
                data-testid="continue-in-chat"
              >
                {continueInChat.isPending ? 'Opening a chat…' : 'Continue in a chat →'}
              </button>
              <span className="muted field-hint">A new conversation with the same inputs; your prompt is ready to send.</span>
              {continueInChat.error && (
                <p className="field-error" role="alert">
                  Could not start a chat: {errorMessage(continueInChat.error)}
                </p>
              )}
            </div>
          )}
        </div>
      )}
    </form>
  );
}

/** "Try it" on an agent's page: a prompt (and the agent's inputs), the streamed answer and its cost. */
export function TryItPanel({ view, spec }: { view: AgentView; spec: AgentSpec }) {
  const { status, userId } = useSession();
  const location = useLocation();
  const runnable = view.latest != null || (view.is_owner && view.draft != null);
  if (!runnable || view.agent.status === 'delisted') return null;
  return (
    <section className="card detail-section try-it" id="try-it" aria-labelledby="try-it-title" data-testid="try-it">
      <h2 id="try-it-title" className="section-title">
        Try it
      </h2>
      {status === 'signed-in' && userId ? (
        <>
          {!view.latest && <p className="muted field-hint">Runs your unpublished draft.</p>}
          <TryItForm view={view} spec={spec} userId={userId} />
        </>
      ) : status === 'signed-out' ? (
        <p className="muted">
          <Link to={`/signin${nextQuery(location.pathname)}`} className="text-link">
            Sign in to try it
          </Link>
          . New accounts get free credits once their email is confirmed.
        </p>
      ) : null}
    </section>
  );
}
