-- +goose Up
-- Who read a request's personal data, when and why: append-only, so that a
-- data subject's access request and an audit can trust it.
CREATE TABLE personal_data_access_log (
    id           bigserial PRIMARY KEY,
    -- No foreign key: the log outlives a deleted draft, as evidence that
    -- its personal data were read.
    request_id   uuid        NOT NULL,
    user_id      uuid        NOT NULL REFERENCES users (id),
    authority_id uuid        REFERENCES authorities (id),
    what         text        NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personal_data_access_log_request ON personal_data_access_log (request_id, at);
CREATE INDEX personal_data_access_log_user ON personal_data_access_log (user_id, at);

-- +goose StatementBegin
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER personal_data_access_log_append_only
    BEFORE UPDATE OR DELETE ON personal_data_access_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Attachments, stored in the database with the request so that they are
-- written, blocked and deleted in the same transactions as the rest.
CREATE TABLE request_attachments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id   uuid        NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    uploaded_by  uuid        NOT NULL REFERENCES users (id),
    authority_id uuid        NOT NULL REFERENCES authorities (id),
    filename     text        NOT NULL,
    content_type text        NOT NULL,
    size_bytes   integer     NOT NULL CHECK (size_bytes > 0),
    sha256       bytea       NOT NULL,
    personal     boolean     NOT NULL,
    content      bytea,
    deleted_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_attachments_request ON request_attachments (request_id, created_at);

-- +goose Down
DROP TABLE request_attachments;
DROP TRIGGER personal_data_access_log_append_only ON personal_data_access_log;
DROP TABLE personal_data_access_log;
DROP FUNCTION forbid_change();
