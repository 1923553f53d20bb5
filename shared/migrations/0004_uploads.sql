-- Uploads (issue 4): icons and avatars go straight from the browser to the blob store
-- (S3 through a presigned POST, or Agora's local folder) under a key Agora chose; this
-- table remembers who asked for which key, what for, and what was verified after upload.

CREATE TABLE uploads (
    key          text PRIMARY KEY,
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose      text NOT NULL CHECK (purpose IN ('agent_icon', 'avatar')),
    content_type text NOT NULL,
    max_bytes    bigint NOT NULL CHECK (max_bytes > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Set once the stored object was checked (size, declared and sniffed type).
    verified_at  timestamptz,
    size_bytes   bigint
);
CREATE INDEX uploads_owner_idx ON uploads (owner_id, created_at DESC);
