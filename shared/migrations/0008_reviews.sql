-- Reviews (issue 5): one per user per agent, only after a completed run of it; the creator
-- may reply; anyone signed in may report one. Agents carry a Bayesian rating for the
-- "top rated" sort.

CREATE TABLE reviews (
    id          uuid PRIMARY KEY,
    agent_id    uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body        text NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
    reply       text CHECK (length(reply) <= 5000),
    replied_at  timestamptz,
    report_count integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reviews_agent_user_key UNIQUE (agent_id, user_id)
);
CREATE INDEX reviews_agent_idx ON reviews (agent_id, updated_at DESC, id DESC);

CREATE TABLE review_reports (
    review_id  uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (review_id, user_id)
);

-- The rating: count, sum, and the Bayesian score (x 1000) that "top rated" sorts by:
-- (5 x 3.5 + sum) / (5 + count), so one 5-star review does not outrank fifty 4.8s.
ALTER TABLE agents
    ADD COLUMN rating_count integer NOT NULL DEFAULT 0,
    ADD COLUMN rating_sum integer NOT NULL DEFAULT 0,
    ADD COLUMN rating_score bigint NOT NULL DEFAULT 3500;
CREATE INDEX agents_listed_rated_idx ON agents (rating_score DESC, id DESC) WHERE listed;
