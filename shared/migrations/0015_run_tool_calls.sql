-- Tool calls (issue 17): the calls a model made in a run's answer, kept with the run so a
-- retried request (the same Idempotency-Key) answers with the same calls, and the run's
-- record shows them. A JSON array of {"id", "name", "arguments"}.
ALTER TABLE runs ADD COLUMN tool_calls jsonb NOT NULL DEFAULT '[]'::jsonb
    CHECK (jsonb_typeof(tool_calls) = 'array');
