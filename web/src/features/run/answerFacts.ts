import type { RunOutcome, RunRecord } from './api';
import { formatMicros } from '../../format/credits';

/** What an answer cost and which model gave it, from a `done` event or a run record. */
export interface AnswerFacts {
  provider: string;
  model: string;
  /** Credits, as an exact decimal string. */
  charged: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number | null;
  usageEstimated: boolean;
  cached: boolean;
}

export function factsFromOutcome(outcome: RunOutcome): AnswerFacts {
  return {
    provider: outcome.provider,
    model: outcome.model,
    charged: outcome.charged,
    inputTokens: outcome.input_tokens,
    outputTokens: outcome.output_tokens,
    latencyMs: outcome.latency_ms,
    usageEstimated: outcome.usage_estimated,
    cached: outcome.cached,
  };
}

export function factsFromRecord(run: RunRecord): AnswerFacts {
  return {
    provider: run.provider ?? '',
    model: run.model ?? '',
    charged: formatMicros(run.charged_micros),
    inputTokens: run.input_tokens,
    outputTokens: run.output_tokens,
    latencyMs: run.latency_ms ?? null,
    usageEstimated: run.usage_estimated,
    cached: run.cached,
  };
}
