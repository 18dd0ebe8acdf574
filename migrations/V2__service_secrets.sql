-- Secrets every replica of one registry shares, drawn at random by the first
-- server that needs one and never changed. `page_tokens` seals the page tokens
-- of list calls, so that a token shows nothing of the rows it continues after
-- and any replica reads one another issued.
CREATE TABLE service_secrets (
    name text PRIMARY KEY,
    secret bytea NOT NULL CHECK (octet_length(secret) = 32)
);
