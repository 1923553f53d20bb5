import { Link } from 'react-router';
import { ApiError, errorMessage } from '../../api/problem';
import { creditsLabel } from '../../format/credits';
import { formatLatency, runStatusLabel } from './format';
import { providerLabel } from '../catalog/format';
import type { AnswerFacts } from './answerFacts';
import './run.css';

/** "agora · echo · 0.05001 credits · 11 tokens out · 353 ms". */
export function AnswerMeta({ facts }: { facts: AnswerFacts }) {
  return (
    <p className="answer-meta" data-testid="answer-meta">
      {facts.model && (
        <span data-testid="answer-model" title={providerLabel(facts.provider)}>
          {facts.provider ? `${facts.provider}/` : ''}
          {facts.model}
        </span>
      )}
      <span data-testid="answer-cost">Cost {creditsLabel(facts.charged)}</span>
      <span title={`${facts.inputTokens} tokens in, ${facts.outputTokens} tokens out`}>
        {facts.inputTokens + facts.outputTokens} tokens{facts.usageEstimated ? ' (estimated)' : ''}
      </span>
      {facts.latencyMs != null && <span>{formatLatency(facts.latencyMs)}</span>}
      {facts.cached && <span className="tag-badge">Cached</span>}
    </p>
  );
}

/** A stopped, failed or cut-off answer says so next to its text. */
export function AnswerStatus({ status, detail }: { status: string; detail?: string | null }) {
  if (status === 'succeeded' || status === 'complete') return null;
  const label = status === 'stopped' ? 'Stopped' : status === 'failed' ? 'Failed' : runStatusLabel(status);
  return (
    <p className={`answer-status answer-status-${status}`} data-testid="answer-status">
      <span className="tag-badge">{label}</span>
      {detail && <span className="answer-status-detail"> {detail}</span>}
    </p>
  );
}

/**
 * Why an answer could not start, in words that say what to do: add credits (402), wait
 * (429), fix the message (422), or try again (502-504).
 */
export function AnswerError({ error, fields = [] }: { error: unknown; fields?: readonly string[] }) {
  if (!(error instanceof ApiError)) {
    return (
      <div className="form-alert" role="alert" data-testid="answer-error">
        <p>{errorMessage(error)}</p>
      </div>
    );
  }
  // Field errors the form shows next to its inputs are left out here.
  const elsewhere = Object.entries(error.fieldErrors)
    .filter(([field]) => !fields.includes(field))
    .flatMap(([field, messages]) => messages.map((message) => `${field}: ${message}`));
  const onlyFields = Object.keys(error.fieldErrors).length > 0 && elsewhere.length === 0;
  return (
    <div className="form-alert" role="alert" data-testid="answer-error" data-status={error.status}>
      {error.status === 402 ? (
        <>
          <p>
            <strong>Not enough credits for this run.</strong> {error.problem?.detail ?? ''}
          </p>
          <p>
            <Link to="/account/billing" className="text-link" data-testid="add-credits">
              Add credits or raise your spending limit →
            </Link>
          </p>
        </>
      ) : error.status === 429 ? (
        <p>
          Too many runs at once.{' '}
          {error.retryAfterSeconds ? `Try again in ${error.retryAfterSeconds} s.` : 'Wait a moment and try again.'}
        </p>
      ) : error.status >= 502 && error.status <= 504 ? (
        <p>The model did not answer: {error.problem?.detail ?? error.message} Try again in a moment.</p>
      ) : onlyFields ? (
        <p>Check the highlighted fields.</p>
      ) : (
        <p>{[error.message, ...elsewhere].join(' ')}</p>
      )}
      {error.requestId && (
        <p className="form-alert-meta">
          Request ID: <code>{error.requestId}</code>
        </p>
      )}
    </div>
  );
}
