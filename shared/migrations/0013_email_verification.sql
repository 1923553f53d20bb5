-- Email verification (issue 14, item 8): sign-up credits are granted when the address is
-- confirmed, not when the account opens, so accounts made in bulk cost nothing.

ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
-- Accounts from before verification existed had their credits at account opening.
UPDATE users SET email_verified_at = created_at;

-- Confirmation links, stored as SHA-256 hashes of their tokens. A link can be followed
-- again (a double click, a second device): the grant is once per user, guarded by the
-- user's `email_verified_at` and `credit_ledger_signup_key`.
CREATE TABLE email_verifications (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address the link was sent to: a link proves only that address.
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);
CREATE INDEX email_verifications_expiry_idx ON email_verifications (expires_at);
