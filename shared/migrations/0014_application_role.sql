-- The application's role and exactly what it may do (issue 15): the functions log in as
-- agora_app (IAM authentication in AWS), migrations run as the database's owner. Credit
-- ledger and audit log rows are append-only for the application, and the migration record
-- is the owner's alone. ALTER DEFAULT PRIVILEGES gives agora_app the same rights on the
-- tables and sequences later migrations create; a migration that adds another append-only
-- table revokes UPDATE and DELETE on it.

DO $$
BEGIN
    CREATE ROLE agora_app NOLOGIN;
EXCEPTION
    -- Roles belong to the whole cluster: another database (or a concurrent migration of
    -- one) made it already.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO agora_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO agora_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO agora_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO agora_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO agora_app;

REVOKE UPDATE, DELETE ON credit_ledger, audit_log FROM agora_app;
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM agora_app;
