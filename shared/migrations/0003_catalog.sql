-- The marketplace catalog (issue 4): handles and profiles, categories, agents with their
-- draft and immutable versions, saved agents, forks, views for trending, and the search
-- columns (weighted full text, trigrams for typos, embeddings for semantic search).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE users
    ADD COLUMN handle text,
    ADD COLUMN bio text NOT NULL DEFAULT '' CHECK (length(bio) <= 500),
    ADD COLUMN avatar text;
UPDATE users SET handle = 'user-' || left(replace(id::text, '-', ''), 12) WHERE handle IS NULL;
ALTER TABLE users ALTER COLUMN handle SET NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_handle_key UNIQUE (handle);

CREATE TABLE categories (
    slug        text PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 300),
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO categories (slug, name, description, position) VALUES
    ('writing', 'Writing', 'Drafting, editing and rewriting text', 10),
    ('coding', 'Coding', 'Writing, reviewing and explaining code', 20),
    ('research', 'Research', 'Finding, reading and summarising sources', 30),
    ('data', 'Data', 'Analysing, cleaning and explaining data', 40),
    ('business', 'Business', 'Plans, emails, meetings and operations', 50),
    ('legal', 'Legal', 'Contracts, policies and compliance', 60),
    ('education', 'Education', 'Tutoring, quizzes and explanations', 70),
    ('marketing', 'Marketing', 'Copy, campaigns and social media', 80),
    ('productivity', 'Productivity', 'Planning, notes and everyday tasks', 90),
    ('fun', 'Fun', 'Games, stories and conversation', 100);

CREATE TABLE agents (
    id                  uuid PRIMARY KEY,
    owner_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slug                text NOT NULL,
    visibility          text NOT NULL DEFAULT 'private'
                        CHECK (visibility IN ('private', 'unlisted', 'public')),
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'published', 'delisted')),
    delist_reason       text,
    -- The editable definition (agora.agent/v1); published versions are copies of it.
    draft               jsonb NOT NULL,
    draft_updated_at    timestamptz NOT NULL DEFAULT now(),
    latest_version      integer,
    forked_from         uuid REFERENCES agents (id) ON DELETE SET NULL,
    forked_from_version integer,
    fork_count          integer NOT NULL DEFAULT 0,
    save_count          integer NOT NULL DEFAULT 0,
    view_count          bigint NOT NULL DEFAULT 0,
    run_count           bigint NOT NULL DEFAULT 0,
    trending_score      integer NOT NULL DEFAULT 0,
    is_demo             boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    published_at        timestamptz,
    -- The search index (SearchIndex on PostgreSQL): the listing of `latest_version`,
    -- filled while the agent is listed (published and public), NULL otherwise.
    listed              boolean NOT NULL DEFAULT false,
    name                text,
    summary             text,
    category            text REFERENCES categories (slug) ON UPDATE CASCADE,
    tags                text[] NOT NULL DEFAULT '{}',
    language            text,
    licence             text,
    provider            text,
    model               text,
    price_micros        bigint,
    search_text         text,
    search_vector       tsvector,
    embedding           vector(256),
    CONSTRAINT agents_owner_slug_key UNIQUE (owner_id, slug),
    CONSTRAINT agents_fork_count_check CHECK (fork_count >= 0),
    CONSTRAINT agents_save_count_check CHECK (save_count >= 0)
);
CREATE INDEX agents_owner_idx ON agents (owner_id, updated_at DESC);
CREATE INDEX agents_listed_newest_idx ON agents (published_at DESC, id DESC) WHERE listed;
CREATE INDEX agents_listed_trending_idx ON agents (trending_score DESC, id DESC) WHERE listed;
CREATE INDEX agents_listed_used_idx ON agents (run_count DESC, id DESC) WHERE listed;
CREATE INDEX agents_listed_category_idx ON agents (category, published_at DESC) WHERE listed;
CREATE INDEX agents_search_vector_idx ON agents USING gin (search_vector) WHERE listed;
CREATE INDEX agents_search_trgm_idx ON agents USING gin (search_text gin_trgm_ops) WHERE listed;
CREATE INDEX agents_tags_idx ON agents USING gin (tags) WHERE listed;
CREATE INDEX agents_embedding_idx ON agents USING hnsw (embedding vector_cosine_ops) WHERE listed;
CREATE INDEX agents_forked_from_idx ON agents (forked_from);

CREATE TABLE agent_versions (
    agent_id         uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    version          integer NOT NULL CHECK (version >= 1),
    spec             jsonb NOT NULL,
    changelog        text NOT NULL DEFAULT '' CHECK (length(changelog) <= 5000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    deprecated_at    timestamptz,
    deprecation_note text,
    PRIMARY KEY (agent_id, version)
);

CREATE TABLE saved_agents (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agent_id       uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    pinned_version integer,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, agent_id)
);
CREATE INDEX saved_agents_agent_idx ON saved_agents (agent_id);

-- One row per agent, viewer and day: distinct viewers over the last 7 days rank
-- "trending" until runs exist. A viewer is a user id, or a hash of an address.
CREATE TABLE agent_views (
    agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    viewer   text NOT NULL,
    day      date NOT NULL,
    PRIMARY KEY (agent_id, day, viewer)
);
