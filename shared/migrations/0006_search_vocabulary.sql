-- Typo tolerance without scanning listings (issue 4 benchmark): the words of listed agents'
-- names, tags and summaries, so a misspelled query word is corrected against this small
-- table (trigram similarity) and the corrected words are searched as usual.
CREATE TABLE search_vocabulary (
    word text PRIMARY KEY CHECK (length(word) BETWEEN 3 AND 40)
);
CREATE INDEX search_vocabulary_trgm_idx ON search_vocabulary USING gin (word gin_trgm_ops);
INSERT INTO search_vocabulary (word)
SELECT DISTINCT w
FROM agents, regexp_split_to_table(lower(coalesce(name, '') || ' ' || array_to_string(tags, ' ') || ' ' || coalesce(summary, '')), '[^[:alnum:]]+') AS w
WHERE listed AND length(w) BETWEEN 3 AND 40
ON CONFLICT DO NOTHING;
-- The trigram index over whole listings is no longer used.
DROP INDEX IF EXISTS agents_search_trgm_idx;
