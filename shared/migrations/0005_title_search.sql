-- Faster keyword search (issue 4 benchmark): a small vector of the name and tags, ranked
-- first, so common words rank thousands of tiny vectors instead of whole descriptions.
ALTER TABLE agents ADD COLUMN title_vector tsvector;
UPDATE agents SET title_vector = setweight(to_tsvector('english', coalesce(name, '')), 'A')
                              || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'A')
WHERE listed;
CREATE INDEX agents_title_vector_idx ON agents USING gin (title_vector) WHERE listed;
