-- Running agents (issue 5): credit accounts, the append-only ledger, holds, run records,
-- conversations and their messages, users' own provider keys, and idempotency records.
-- Money is integer micro-credits throughout.

-- One row per user who ever touched credits. `held_micros` is the sum of the user's live
-- holds: `balance_micros - held_micros` is what a new run may hold. Both are changed only
-- with the row locked, in the transaction that writes the matching ledger or hold row.
CREATE TABLE credit_accounts (
    user_id              uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    balance_micros       bigint NOT NULL DEFAULT 0,
    held_micros          bigint NOT NULL DEFAULT 0,
    -- Spending caps the user set for themselves; NULL means none.
    daily_limit_micros   bigint CHECK (daily_limit_micros >= 0),
    monthly_limit_micros bigint CHECK (monthly_limit_micros >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_accounts_balance_check CHECK (balance_micros >= 0),
    CONSTRAINT credit_accounts_held_check CHECK (held_micros >= 0 AND held_micros <= balance_micros)
);

-- Every change of a balance, never updated or deleted: `balance_micros` always equals the
-- sum of the user's rows, and `balance_after_micros` is the running total.
CREATE TABLE credit_ledger (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id              uuid NOT NULL REFERENCES users (id),
    kind                 text NOT NULL CHECK (kind IN
                             ('signup_grant', 'admin_grant', 'run_charge', 'creator_earning')),
    amount_micros        bigint NOT NULL CHECK (amount_micros <> 0),
    balance_after_micros bigint NOT NULL CHECK (balance_after_micros >= 0),
    run_id               uuid,
    note                 text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_ledger_user_idx ON credit_ledger (user_id, id DESC);
-- A run is charged once and earns its creator once, whatever retries or redeliveries do.
CREATE UNIQUE INDEX credit_ledger_run_key ON credit_ledger (run_id, kind) WHERE run_id IS NOT NULL;
-- The sign-up grant is given once.
CREATE UNIQUE INDEX credit_ledger_signup_key ON credit_ledger (user_id) WHERE kind = 'signup_grant';

CREATE FUNCTION credit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_ledger is append-only';
END $$;
CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_is_append_only();

-- Conversations with an agent, the version pinned at the start (NULL: the owner's draft).
CREATE TABLE conversations (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    agent_version integer,
    title         text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    -- The agent's input fields, filled in once for the whole conversation.
    inputs        jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_user_idx ON conversations (user_id, updated_at DESC);

-- One record per run: what was asked of which agent version, every provider call it made
-- (`attempts`), what it cost and how it ended. Written when the run starts and finished
-- exactly once (`status` leaves 'running' once).
CREATE TABLE runs (
    id                 uuid PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users (id),
    agent_id           uuid NOT NULL REFERENCES agents (id),
    agent_version      integer,
    creator_id         uuid NOT NULL REFERENCES users (id),
    conversation_id    uuid REFERENCES conversations (id) ON DELETE SET NULL,
    source             text NOT NULL CHECK (source IN ('chat', 'api', 'openai', 'workflow')),
    status             text NOT NULL DEFAULT 'running'
                       CHECK (status IN ('running', 'succeeded', 'failed', 'stopped', 'disconnected')),
    credential         text NOT NULL CHECK (credential IN ('platform', 'own_key', 'creator_endpoint', 'offline')),
    provider           text,
    model              text,
    attempts           jsonb NOT NULL DEFAULT '[]',
    input_tokens       bigint NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens      bigint NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    usage_estimated    boolean NOT NULL DEFAULT false,
    model_cost_micros  bigint NOT NULL DEFAULT 0 CHECK (model_cost_micros >= 0),
    agent_price_micros bigint NOT NULL DEFAULT 0 CHECK (agent_price_micros >= 0),
    charged_micros     bigint NOT NULL DEFAULT 0 CHECK (charged_micros >= 0),
    hold_micros        bigint NOT NULL CHECK (hold_micros >= 0),
    hold_expires_at    timestamptz NOT NULL,
    price_table        text NOT NULL,
    cached             boolean NOT NULL DEFAULT false,
    output             text NOT NULL DEFAULT '',
    finish_reason      text,
    error_kind         text,
    error_detail       text,
    ttft_ms            integer,
    latency_ms         integer,
    created_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    CONSTRAINT runs_charge_within_hold CHECK (charged_micros <= hold_micros)
);
CREATE INDEX runs_user_idx ON runs (user_id, created_at DESC, id DESC);
CREATE INDEX runs_agent_idx ON runs (agent_id, created_at);
-- Live runs: the concurrency cap counts them, the sweeper ends those whose hold expired.
CREATE INDEX runs_running_idx ON runs (user_id) WHERE status = 'running';
CREATE INDEX runs_stale_idx ON runs (hold_expires_at) WHERE status = 'running';

CREATE TABLE messages (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('user', 'assistant')),
    content         text NOT NULL,
    run_id          uuid REFERENCES runs (id),
    status          text NOT NULL DEFAULT 'complete'
                    CHECK (status IN ('complete', 'stopped', 'failed', 'superseded')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at, id);
-- One answer per run.
CREATE UNIQUE INDEX messages_run_key ON messages (run_id) WHERE run_id IS NOT NULL;

-- Distinct users who ran an agent, per day: "trending" once runs exist.
CREATE TABLE agent_run_users (
    agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL,
    day      date NOT NULL,
    PRIMARY KEY (agent_id, day, user_id)
);

-- Users' own provider keys (and creators' OpenAI-compatible endpoints), envelope-encrypted:
-- `ciphertext` is AES-256-GCM under a data key that only KMS (or the local key) can unwrap.
CREATE TABLE provider_credentials (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    provider         text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'openai_compatible')),
    base_url         text,
    key_last_four    text NOT NULL,
    wrapped_data_key bytea NOT NULL,
    ciphertext       bytea NOT NULL,
    key_id           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT provider_credentials_name_key UNIQUE (user_id, name),
    CONSTRAINT provider_credentials_base_url_check
        CHECK ((provider = 'openai_compatible') = (base_url IS NOT NULL))
);

-- HTTP idempotency records (Stripe's semantics), when DynamoDB is not configured.
CREATE TABLE idempotency_records (
    scope                  text NOT NULL,
    key                    text NOT NULL,
    request_hash           bytea NOT NULL,
    status                 text NOT NULL CHECK (status IN ('in_progress', 'completed')),
    response               bytea,
    in_progress_expires_at timestamptz NOT NULL,
    expires_at             timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_records_expiry_idx ON idempotency_records (expires_at);
