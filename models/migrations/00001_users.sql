-- +goose Up
-- Officials and helpdesk staff. Authorities, roles and coordinator scopes
-- arrive with the directory; the helpdesk account must exist before them,
-- so users come first and authority_id gains its foreign key later.
CREATE TABLE users (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email              text        NOT NULL,
    display_name       text        NOT NULL,
    password_hash      text,
    preferred_language text        NOT NULL DEFAULT 'en',
    authority_id       uuid,
    is_helpdesk        boolean     NOT NULL DEFAULT false,
    status             text        NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'active', 'deactivated')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (is_helpdesk = (authority_id IS NULL))
);

-- Addresses compare case-insensitively: one person, one account.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- +goose Down
DROP TABLE users;
