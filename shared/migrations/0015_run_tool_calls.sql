-- Tool calls (issue 17), kept with the run: `tool_calls`, the calls a model made to the
-- caller's own tools (so a retried request with the same Idempotency-Key answers with the
-- same calls), a JSON array of {"id", "name", "arguments"}; and `tool_uses`, the calls
-- Agora made to the agent's own tools, each with its outcome, a preview of its result and
-- its latency.
ALTER TABLE runs
    ADD COLUMN tool_calls jsonb NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(tool_calls) = 'array'),
    ADD COLUMN tool_uses jsonb NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(tool_uses) = 'array');
