-- A user's library of workflows (issue 6), beside saved_agents: a workflow saved is one
-- found again in "Saved" and run from there; it leaves the library with its workflow.

CREATE TABLE saved_workflows (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, workflow_id)
);
CREATE INDEX saved_workflows_workflow_idx ON saved_workflows (workflow_id);

-- How many have it in their library: shown on listings, like an agent's.
ALTER TABLE workflows ADD COLUMN save_count integer NOT NULL DEFAULT 0;
