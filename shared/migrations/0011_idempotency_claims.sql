-- Each claim of an idempotency key has its own id: only the claim that holds a record may
-- complete or release it, so a request that outlived its in-progress window cannot
-- overwrite (or delete) the record of the retry that took the key over.
ALTER TABLE idempotency_records ADD COLUMN claim_id uuid;
