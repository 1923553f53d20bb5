import {
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { agentPath } from '../catalog/api';
import { ApiError, errorMessage } from '../../api/problem';
import { useRefreshReviews } from '../reviews/queries';
import { streamRegenerate, streamReply, type MessageRecord } from './api';
import { useConversation, useRefreshConversation } from './queries';
import { toolUsesOf, type RunOutcome, type RunRecord } from '../run/api';
import { useAgentRuns, useRefreshAfterRun } from '../run/queries';
import { isActive, useAnswerStream, type AnswerState, type OpenStream } from '../run/useAnswerStream';
import { FieldErrorList } from '../../ui/forms/Controls';
import { AnswerError, AnswerMeta, AnswerStatus } from '../run/AnswerParts';
import { factsFromOutcome, factsFromRecord, type AnswerFacts } from '../run/answerFacts';
import { isChatArrival } from '../run/runOptions';
import { segmentsText, storedSegments, type AnswerSegment } from '../run/segments';
import { StreamedText } from '../run/StreamedText';
import { conversationTitle } from './conversationTitle';

/** The longest message the box accepts (the server has its own limit). */
const MESSAGE_MAX = 20_000;

/** What is on its way: the user's message and its answer, or a new last answer. */
type Pending = { kind: 'reply'; content: string } | { kind: 'regenerate' };

/** How close to the bottom (px) the list must be for new text to keep it scrolled down. */
const STICK_TO_BOTTOM = 80;

function UserMessage({ content, testId = 'chat-message' }: { content: string; testId?: string }) {
  return (
    <li className="chat-message chat-message-user" data-testid={testId} data-role="user">
      <span className="chat-role">You</span>
      {/* The user's own words, as text: nothing in them is interpreted. */}
      <p className="chat-user-text">{content}</p>
    </li>
  );
}

function AssistantMessage({
  agentName,
  segments,
  status,
  detail,
  facts,
  streaming,
  testId,
  runId,
  actions,
}: {
  agentName: string;
  segments: readonly AnswerSegment[];
  status: string;
  detail?: string | null;
  facts: AnswerFacts | null;
  streaming: boolean;
  testId: string;
  runId: string | null;
  actions?: ReactNode;
}) {
  return (
    <li
      className="chat-message chat-message-assistant"
      data-testid={testId}
      data-role="assistant"
      data-status={streaming ? 'streaming' : status}
      data-run-id={runId ?? undefined}
    >
      <span className="chat-role">{agentName}</span>
      <StreamedText segments={segments} streaming={streaming} testId="answer-text" />
      {!streaming && <AnswerStatus status={status} detail={detail ?? null} />}
      {!streaming && facts && <AnswerMeta facts={facts} />}
      {actions}
    </li>
  );
}

/** The words a screen reader hears as the answer progresses. */
function announcement(state: AnswerState): string {
  if (state.phase === 'waiting' || state.phase === 'streaming') return 'The agent is answering…';
  if (state.phase === 'done') {
    return state.outcome?.status === 'succeeded' ? 'The answer is complete.' : `The answer ${state.outcome?.status ?? 'ended'}.`;
  }
  if (state.phase === 'cancelled') return 'Stopped.';
  return '';
}

/**
 * One conversation: its messages (answers as inert Markdown, each with its model and cost),
 * the streamed answer as it arrives, Stop while it streams, Regenerate on the last answer,
 * and the message box.
 */
export function ChatView({ id, userId }: { id: string; userId: string }) {
  const location = useLocation();
  const conversation = useConversation(userId, id);
  const agent = conversation.data?.conversation.agent ?? '';
  const runs = useAgentRuns(userId, agent, agent !== '');
  const refreshConversation = useRefreshConversation(userId, id);
  const refreshAfterRun = useRefreshAfterRun(userId);
  const refreshReviews = useRefreshReviews();
  const { state, start, stop, reset } = useAnswerStream();
  const [pending, setPending] = useState<Pending | null>(null);
  const [outcomes, setOutcomes] = useState<ReadonlyMap<string, RunOutcome>>(new Map());
  /** How the answers streamed here came (where each tool call was made), by run id. */
  const [streamed, setStreamed] = useState<ReadonlyMap<string, readonly AnswerSegment[]>>(new Map());
  const [draft, setDraft] = useState(() => (isChatArrival(location.state) ? (location.state.draft ?? '') : ''));
  const [localError, setLocalError] = useState<string | null>(null);
  /** Why the last message or regeneration failed; shown until the next one. */
  const [failure, setFailure] = useState<unknown>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const stickRef = useRef(true);
  const boxRef = useRef<HTMLTextAreaElement>(null);
  const boxId = useId();
  const active = isActive(state);

  const runsById = useMemo(
    () => new Map<string, RunRecord>((runs.data?.runs ?? []).map((run) => [run.id, run])),
    [runs.data],
  );

  // Follow the answer as it grows, unless the reader scrolled up to read something.
  const onScroll = () => {
    const list = listRef.current;
    if (list) stickRef.current = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_TO_BOTTOM;
  };
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && stickRef.current) list.scrollTop = list.scrollHeight;
  }, [state.segments, conversation.data, pending]);

  const navigate = useNavigate();
  useEffect(() => {
    boxRef.current?.focus();
    // The text handed over by "Continue in a chat" is in the box now: a reload should not bring it back.
    if (isChatArrival(location.state) && location.state.draft) {
      void navigate(`${location.pathname}${location.search}`, { replace: true, state: null });
    }
    // Once, on arrival.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const answer = async (next: Pending, open: OpenStream) => {
    setLocalError(null);
    setFailure(null);
    setPending(next);
    stickRef.current = true;
    const final = await start(open);
    const outcome = final.outcome;
    if (outcome) {
      setOutcomes((now) => new Map(now).set(outcome.run_id, outcome));
      setStreamed((now) => new Map(now).set(outcome.run_id, final.segments));
    }
    // A refused message was not sent: give it back to the box.
    if (final.phase === 'error' && next.kind === 'reply' && !final.run) setDraft((now) => now || next.content);
    await Promise.all([refreshConversation(), refreshAfterRun()]);
    // The stored messages now hold the answer (or what there was of it when it failed).
    if (final.phase === 'error') setFailure(final.error);
    setPending(null);
    reset();
    if (agent) {
      const [handle, slug] = agent.split('/');
      if (handle && slug) await refreshReviews(handle, slug);
    }
  };

  const send = () => {
    const content = draft.trim();
    if (active) return;
    if (!content) {
      setLocalError('Write a message first.');
      boxRef.current?.focus();
      return;
    }
    if (content.length > MESSAGE_MAX) {
      setLocalError(`Use at most ${MESSAGE_MAX.toLocaleString('en')} characters.`);
      boxRef.current?.focus();
      return;
    }
    setDraft('');
    void answer({ kind: 'reply', content }, (handlers, signal) => streamReply(id, content, handlers, signal));
  };

  const regenerate = () => {
    if (active) return;
    void answer({ kind: 'regenerate' }, (handlers, signal) => streamRegenerate(id, handlers, signal));
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter is a new line (and IME composition is left alone).
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  if (conversation.error) {
    const notFound = conversation.error instanceof ApiError && conversation.error.status === 404;
    return (
      <div className="placeholder chat-missing" role="alert" data-testid="chat-error">
        <h1>{notFound ? 'Conversation not found' : 'Could not load this conversation'}</h1>
        <p className="lead">
          {notFound ? 'It may have been deleted.' : errorMessage(conversation.error)}
        </p>
        {!notFound && (
          <button type="button" className="button" onClick={() => void conversation.refetch()}>
            Try again
          </button>
        )}
      </div>
    );
  }
  if (!conversation.data) {
    return <div className="skeleton skeleton-banner" role="status" aria-label="Loading the conversation" />;
  }

  const { conversation: record, messages } = conversation.data;
  const shown = messages.filter((message) => message.status !== 'superseded' && message.role !== 'system');
  // While a new last answer streams, the one it replaces is hidden.
  const lastAssistant = shown.findLast((message) => message.role === 'assistant');
  const visible =
    pending?.kind === 'regenerate' && lastAssistant ? shown.filter((message) => message !== lastAssistant) : shown;
  const showStream = pending !== null;
  const streamFacts = state.outcome ? factsFromOutcome(state.outcome) : null;
  const fieldErrors = failure instanceof ApiError ? failure.fieldErrors : {};
  const contentErrors = localError ? [localError] : fieldErrors.content;
  const lastMessage = visible.at(-1);
  const canRegenerate = !active && !pending && lastMessage?.role === 'assistant';

  /**
   * A stored answer: as it streamed here when it did (the same text), else its tool calls
   * (from the message, or from its run for a server that does not list them on messages)
   * above its text.
   */
  const segmentsOf = (message: MessageRecord): readonly AnswerSegment[] => {
    const seen = message.run_id ? streamed.get(message.run_id) : undefined;
    if (seen && segmentsText(seen) === message.content) return seen;
    const run = message.run_id ? runsById.get(message.run_id) : undefined;
    const uses = toolUsesOf(message.tool_uses) ?? toolUsesOf(run?.tool_uses) ?? [];
    return storedSegments(message.content, uses);
  };

  const factsOf = (message: MessageRecord): AnswerFacts | null => {
    if (!message.run_id) return null;
    const outcome = outcomes.get(message.run_id);
    if (outcome) return factsFromOutcome(outcome);
    const run = runsById.get(message.run_id);
    return run ? factsFromRecord(run) : null;
  };

  const inputs: [string, unknown][] = Object.entries(record.inputs);

  return (
    <div className="chat-view" data-testid="chat-view" data-conversation-id={record.id}>
      <title>{`${conversationTitle(record)} · Chat · Agora`}</title>
      <header className="chat-header">
        <div>
          <h1 className="chat-title" data-testid="chat-title">
            {conversationTitle(record)}
          </h1>
          <p className="muted chat-agent">
            with{' '}
            <Link to={agentPath(record.agent)} className="text-link" data-testid="chat-agent-link">
              {record.agent_name}
            </Link>{' '}
            <code>{record.agent}</code>
            {record.agent_version != null ? ` · v${record.agent_version}` : ' · draft'}
          </p>
          {inputs.length > 0 && (
            <ul className="chat-inputs" aria-label="Inputs">
              {inputs.map(([name, value]) => (
                <li key={name} className="chip chip-small">
                  {name}: {String(value)}
                </li>
              ))}
            </ul>
          )}
        </div>
      </header>

      <div className="chat-messages" ref={listRef} onScroll={onScroll}>
        {visible.length === 0 && !showStream ? (
          <p className="muted chat-empty" data-testid="chat-empty">
            Say hello: your first message starts the conversation.
          </p>
        ) : (
          <ol className="chat-message-list" data-testid="chat-messages" aria-label="Messages">
            {visible.map((message, index) =>
              message.role === 'user' ? (
                <UserMessage key={message.id} content={message.content} />
              ) : (
                <AssistantMessage
                  key={message.id}
                  agentName={record.agent_name}
                  segments={segmentsOf(message)}
                  status={message.status}
                  facts={factsOf(message)}
                  streaming={false}
                  testId="chat-message"
                  runId={message.run_id ?? null}
                  actions={
                    canRegenerate && index === visible.length - 1 ? (
                      <div className="chat-message-actions">
                        <button
                          type="button"
                          className="button button-small"
                          onClick={regenerate}
                          data-testid="regenerate"
                        >
                          Regenerate
                        </button>
                      </div>
                    ) : undefined
                  }
                />
              ),
            )}
            {pending?.kind === 'reply' && <UserMessage content={pending.content} testId="pending-message" />}
            {showStream && (state.phase !== 'error' || state.segments.length > 0) && (
              <AssistantMessage
                agentName={record.agent_name}
                segments={state.segments}
                status={state.outcome?.status ?? (state.phase === 'cancelled' ? 'stopped' : state.phase === 'error' ? 'failed' : 'streaming')}
                detail={state.outcome?.error?.detail ?? null}
                facts={streamFacts}
                streaming={active}
                testId="streaming-answer"
                runId={state.run?.run_id ?? null}
              />
            )}
          </ol>
        )}
        {failure != null && <AnswerError error={failure} fields={['content']} />}
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement(state)}
      </p>

      <form className="chat-composer" onSubmit={onSubmit} noValidate data-testid="chat-composer">
        <div className={`field${contentErrors ? ' has-error' : ''}`}>
          <label htmlFor={boxId} className="visually-hidden">
            Message
          </label>
          <textarea
            ref={boxRef}
            id={boxId}
            name="content"
            className="input textarea chat-input"
            rows={2}
            placeholder={`Message ${record.agent_name}…`}
            value={draft}
            onChange={(event) => {
              setDraft(event.target.value);
              if (localError) setLocalError(null);
            }}
            onKeyDown={onKeyDown}
            aria-invalid={contentErrors ? true : undefined}
            aria-describedby={`${boxId}-hint${contentErrors ? ` ${boxId}-error` : ''}`}
            data-testid="chat-input"
          />
          {contentErrors && <FieldErrorList id={`${boxId}-error`} name="content" errors={contentErrors} />}
          <p id={`${boxId}-hint`} className="field-hint">
            Enter sends, Shift+Enter starts a new line. Each answer is charged to your credits.
          </p>
        </div>
        <div className="chat-composer-actions">
          {active ? (
            <button
              type="button"
              className="button"
              onClick={() => void stop()}
              disabled={state.stopping}
              data-testid="stop-answer"
            >
              {state.stopping ? 'Stopping…' : 'Stop'}
            </button>
          ) : (
            <button type="submit" className="button button-primary" disabled={pending !== null} data-testid="send-message">
              Send
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
