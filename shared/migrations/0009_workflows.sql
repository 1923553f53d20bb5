-- Workflows (issue 6): DAGs of agents with immutable numbered versions, their runs, and
-- each run's steps. A step's result is stored once (its row leaves 'pending'/'running'
-- once); its agent runs have ids derived from (run, step, item, attempt), so the runs
-- table and the ledger's unique (run_id, kind) make every charge happen once.

CREATE TABLE workflows (
    id             uuid PRIMARY KEY,
    owner_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slug           text NOT NULL,
    visibility     text NOT NULL DEFAULT 'private'
                   CHECK (visibility IN ('private', 'unlisted', 'public')),
    status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'delisted')),
    -- The editable definition (agora.workflow/v1); versions are copies of it.
    draft          jsonb NOT NULL,
    latest_version integer,
    forked_from    uuid REFERENCES workflows (id) ON DELETE SET NULL,
    fork_count     integer NOT NULL DEFAULT 0,
    run_count      bigint NOT NULL DEFAULT 0,
    -- What listings search: the latest version's name, summary, description and tags.
    search         tsvector,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflows_owner_slug_key UNIQUE (owner_id, slug)
);
CREATE INDEX workflows_search_idx ON workflows USING gin (search);
CREATE INDEX workflows_listed_idx ON workflows (updated_at DESC)
    WHERE status = 'published' AND visibility = 'public';

CREATE TABLE workflow_versions (
    workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    spec        jsonb NOT NULL,
    changelog   text NOT NULL DEFAULT '' CHECK (length(changelog) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE workflow_runs (
    id                uuid PRIMARY KEY,
    workflow_id       uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    workflow_version  integer,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The definition the run follows: an edit of the draft never changes a running run.
    spec              jsonb NOT NULL,
    inputs            jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    outputs           jsonb,
    error_step        text,
    error_kind        text,
    error_detail      text,
    worst_case_micros bigint NOT NULL CHECK (worst_case_micros >= 0),
    -- What is still held for steps that have not started; part of
    -- credit_accounts.held_micros, released as steps start and when the run ends.
    hold_micros       bigint NOT NULL CHECK (hold_micros >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX workflow_runs_user_idx ON workflow_runs (user_id, created_at DESC, id DESC);
CREATE INDEX workflow_runs_running_idx ON workflow_runs (created_at) WHERE status = 'running';

CREATE TABLE workflow_steps (
    run_id               uuid NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    step_id              text NOT NULL,
    position             integer NOT NULL,
    kind                 text NOT NULL
                         CHECK (kind IN ('agent', 'template', 'extract', 'condition', 'map')),
    status               text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
    -- This step's share of the run's hold, until the step starts.
    hold_micros          bigint NOT NULL DEFAULT 0 CHECK (hold_micros >= 0),
    attempts             integer NOT NULL DEFAULT 0,
    output               jsonb,
    error                text,
    input_tokens         bigint NOT NULL DEFAULT 0,
    output_tokens        bigint NOT NULL DEFAULT 0,
    charged_micros       bigint NOT NULL DEFAULT 0,
    creator_share_micros bigint NOT NULL DEFAULT 0,
    run_ids              uuid[] NOT NULL DEFAULT '{}',
    started_at           timestamptz,
    finished_at          timestamptz,
    PRIMARY KEY (run_id, step_id)
);
