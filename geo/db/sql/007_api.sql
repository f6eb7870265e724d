-- Integrations (12345 hotline, 110, the grid workers' app, vehicle trackers) talk to the API
-- with a bearer token each. Only the token's SHA-256 is stored; scopes limit what it may do.
CREATE TABLE api_tokens (
    id           serial PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
    token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['incidents:read', 'incidents:write',
                     'units:read', 'units:write', 'open311', 'features:read']::text[]),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- Idempotency-Key of an incident create: a retried request returns the first one's case.
CREATE TABLE idempotency_keys (
    token_id       integer NOT NULL REFERENCES api_tokens (id),
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_sha256 text NOT NULL,
    incident_id    bigint REFERENCES incidents (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);
