-- Foundation: the extensions later migrations rely on.
-- pgvector stores agent and knowledge embeddings for semantic search (DESIGN.md §2).
CREATE EXTENSION IF NOT EXISTS vector;
