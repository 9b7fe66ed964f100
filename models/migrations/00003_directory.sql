-- +goose Up
-- The directory: who is in the network, how they got in, how they prove who
-- they are. Country and area codes are checked against the reference data by
-- the application, which owns that list.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- An authority is a competent authority, or a coordinator body whose scope is
-- explicit: a national coordinator covers its whole country; a delegated
-- coordinator a region and/or a legislative area of it.
CREATE TABLE authorities (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind               text        NOT NULL
                       CHECK (kind IN ('competent_authority', 'national_coordinator', 'delegated_coordinator')),
    country_code       text        NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    region             text        NOT NULL DEFAULT '',
    level              text        NOT NULL CHECK (level IN ('national', 'regional', 'local')),
    -- The official name is never translated; its language is recorded.
    official_name      text        NOT NULL CHECK (official_name <> ''),
    official_name_lang text        NOT NULL,
    designation        jsonb       NOT NULL DEFAULT '{}',
    description        jsonb       NOT NULL DEFAULT '{}',
    street             text        NOT NULL DEFAULT '',
    postal_code        text        NOT NULL DEFAULT '',
    city               text        NOT NULL DEFAULT '',
    functional_mailbox text        NOT NULL,
    phone              text        NOT NULL DEFAULT '',
    status             text        NOT NULL DEFAULT 'pending_validation'
                       CHECK (status IN ('pending_validation', 'active', 'rejected', 'suspended')),
    -- For a delegated coordinator: the area it covers ('' = every area).
    scope_area         text        NOT NULL DEFAULT '',
    status_reason      text        NOT NULL DEFAULT '',
    search_document    tsvector    NOT NULL DEFAULT ''::tsvector,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'delegated_coordinator' OR scope_area = '')
);

CREATE UNIQUE INDEX authorities_one_national_coordinator
    ON authorities (country_code) WHERE kind = 'national_coordinator' AND status <> 'rejected';
CREATE INDEX authorities_search ON authorities USING gin (search_document);
CREATE INDEX authorities_country_status ON authorities (country_code, status, kind);

-- The legislative areas an authority works in, and its competences in each.
CREATE TABLE authority_areas (
    authority_id uuid NOT NULL REFERENCES authorities (id) ON DELETE CASCADE,
    area_code    text NOT NULL,
    competences  text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (authority_id, area_code)
);
CREATE INDEX authority_areas_area ON authority_areas (area_code);
CREATE INDEX authority_areas_competences ON authority_areas USING gin (competences);

ALTER TABLE users
    ADD CONSTRAINT users_authority_fk FOREIGN KEY (authority_id) REFERENCES authorities (id);
CREATE INDEX users_authority ON users (authority_id);

-- Roles are per area for request handlers and allocators; a local data
-- administrator and a coordinator act for their whole authority ('' area).
CREATE TABLE user_roles (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      text NOT NULL
              CHECK (role IN ('request_handler', 'allocator', 'local_data_administrator', 'coordinator')),
    area_code text NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, role, area_code)
);

-- Bearer tokens: only their SHA-256 is stored, so a database leak yields no
-- usable token.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash   bytea       NOT NULL UNIQUE,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_ip    text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Single-use emailed links: account activation, password reset, invitation.
CREATE TABLE one_time_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash  bytea       NOT NULL UNIQUE,
    purpose     text        NOT NULL CHECK (purpose IN ('activation', 'password_reset')),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);

-- Login attempts, kept in the database so that the limits hold across every
-- API process.
CREATE TABLE login_attempts (
    id         bigserial PRIMARY KEY,
    email      text        NOT NULL,
    client_ip  text        NOT NULL,
    succeeded  boolean     NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email ON login_attempts (lower(email), at) WHERE NOT succeeded;
CREATE INDEX login_attempts_ip ON login_attempts (client_ip, at) WHERE NOT succeeded;

-- An invitation from a coordinator to an authority of its scope.
CREATE TABLE invitations (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash         bytea       NOT NULL UNIQUE,
    email              text        NOT NULL,
    language           text        NOT NULL DEFAULT 'en',
    country_code       text        NOT NULL,
    region             text        NOT NULL DEFAULT '',
    invited_by_user    uuid        NOT NULL REFERENCES users (id),
    invited_by_body    uuid        NOT NULL REFERENCES authorities (id),
    note               text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    used_at            timestamptz
);

-- A registration awaiting a coordinator's decision; its workflow is
-- registration/<id>.
CREATE TABLE registrations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    authority_id    uuid        NOT NULL UNIQUE REFERENCES authorities (id),
    first_user_id   uuid        NOT NULL REFERENCES users (id),
    invitation_id   uuid        REFERENCES invitations (id),
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected')),
    reason          text        NOT NULL DEFAULT '',
    decided_by      uuid        REFERENCES users (id),
    decided_at      timestamptz,
    reminded_at     timestamptz,
    escalated_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registrations_status ON registrations (status, created_at);

-- What happened to a registration, in order: the timeline a coordinator reads.
CREATE TABLE registration_events (
    id              bigserial PRIMARY KEY,
    registration_id uuid        NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    -- The workflow's own key for the event, so a retried activity records it once.
    event_key       text        NOT NULL UNIQUE,
    kind            text        NOT NULL,
    actor_user_id   uuid        REFERENCES users (id),
    note            text        NOT NULL DEFAULT '',
    at              timestamptz NOT NULL
);

-- +goose Down
DROP TABLE registration_events;
DROP TABLE registrations;
DROP TABLE invitations;
DROP TABLE login_attempts;
DROP TABLE one_time_tokens;
DROP TABLE sessions;
DROP TABLE user_roles;
ALTER TABLE users DROP CONSTRAINT users_authority_fk;
DROP INDEX users_authority;
DROP TABLE authority_areas;
DROP TABLE authorities;
