-- +goose Up
-- Attempts at what an anonymous caller can ask for by email or with a
-- link: a password reset link, the use of an activation or reset link.
-- Kept in the database, like login_attempts, so that the limits hold
-- across every API process. subject is the address asked about (lower
-- case), '' when the limit is per client only.
CREATE TABLE auth_attempts (
    id         bigserial PRIMARY KEY,
    action     text        NOT NULL CHECK (action IN ('password_reset_request', 'link_use')),
    subject    text        NOT NULL DEFAULT '',
    client_ip  text        NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_attempts_subject ON auth_attempts (action, subject, at) WHERE subject <> '';
CREATE INDEX auth_attempts_client ON auth_attempts (action, client_ip, at);
-- Expired rows are deleted a few at a time, oldest first.
CREATE INDEX auth_attempts_at ON auth_attempts (at);

-- Successful sign-ins by account and address: an address an account has
-- signed in from is familiar, and may still sign in while strangers'
-- guesses at the account are refused.
CREATE INDEX login_attempts_familiar ON login_attempts (lower(email), client_ip, at) WHERE succeeded;

-- +goose Down
DROP INDEX login_attempts_familiar;
DROP TABLE auth_attempts;
