-- +goose Up
-- A tamper-evident audit trail (IMI Regulation Art. 17): every timeline
-- entry and every access-log entry carries a SHA-256 hash over a canonical,
-- versioned encoding of its content and the hash of the entry before it in
-- its request's chain, one chain per request and table (see ARCHITECTURE,
-- "The audit trail"). The hashes are computed here, by triggers, in the
-- transaction that writes the entry, so no writer can forget them; an
-- advisory lock on (table, request) serialises the writers of one chain
-- and a unique position makes a fork fail rather than happen.
-- `openimi audit verify` recomputes them in Go, independently.

ALTER TABLE request_events
    ADD COLUMN chain_seq    integer,
    -- The text enters the hash as sha256(text_salt || text): deleting a
    -- personal text (retention) erases the text and its salt, and the
    -- digest that stays in the chain can no longer be tested against a
    -- guess at the text.
    ADD COLUMN text_salt    bytea,
    ADD COLUMN text_digest  bytea,
    ADD COLUMN hash_version smallint,
    ADD COLUMN hash         bytea;

ALTER TABLE personal_data_access_log
    ADD COLUMN chain_seq    integer,
    ADD COLUMN hash_version smallint,
    ADD COLUMN hash         bytea;

-- audit_field encodes one value as a netstring ("<bytes>:<value>,"), NULL
-- as "-,", so that no two different rows encode alike.
CREATE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN v IS NULL THEN '-,' ELSE octet_length(v)::text || ':' || v || ',' END $$;

CREATE FUNCTION audit_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- Version 1 of a timeline entry's encoding.
CREATE FUNCTION request_event_hash_v1(e request_events, prev bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
SELECT sha256(convert_to(
    'openimi-audit:request_events:v1,'
    || audit_field(e.id::text) || audit_field(e.request_id::text) || audit_field(e.chain_seq::text)
    || audit_field(e.event_key) || audit_field(e.kind) || audit_field(e.actor_user::text)
    || audit_field(e.authority::text) || audit_field(encode(e.text_digest, 'hex')) || audit_field(e.text_lang)
    || audit_field(CASE WHEN e.personal THEN 'true' ELSE 'false' END) || audit_field(e.details::text)
    || audit_field(audit_time(e.at)) || audit_field(encode(prev, 'hex')), 'UTF8'))
$$;

-- Version 1 of an access-log entry's encoding.
CREATE FUNCTION access_log_hash_v1(e personal_data_access_log, prev bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
SELECT sha256(convert_to(
    'openimi-audit:personal_data_access_log:v1,'
    || audit_field(e.id::text) || audit_field(e.request_id::text) || audit_field(e.chain_seq::text)
    || audit_field(e.user_id::text) || audit_field(e.authority_id::text) || audit_field(e.what)
    || audit_field(e.reason) || audit_field(audit_time(e.at)) || audit_field(encode(prev, 'hex')), 'UTF8'))
$$;

-- Back-fill: the existing entries of each request in the order they were
-- written (time, then id), before the triggers that guard them exist.
ALTER TABLE personal_data_access_log DISABLE TRIGGER personal_data_access_log_append_only;

-- +goose StatementBegin
DO $$
DECLARE
    e request_events;
    a personal_data_access_log;
    last_request uuid;
    prev bytea;
    seq integer;
BEGIN
    last_request := NULL;
    FOR e IN SELECT * FROM request_events ORDER BY request_id, at, id LOOP
        IF last_request IS DISTINCT FROM e.request_id THEN
            last_request := e.request_id; prev := NULL; seq := 0;
        END IF;
        seq := seq + 1;
        e.chain_seq := seq;
        e.text_salt := uuid_send(gen_random_uuid());
        e.text_digest := sha256(e.text_salt || convert_to(e.text, 'UTF8'));
        e.hash_version := 1;
        e.hash := request_event_hash_v1(e, prev);
        UPDATE request_events SET chain_seq = e.chain_seq, text_salt = e.text_salt, text_digest = e.text_digest,
            hash_version = 1, hash = e.hash WHERE id = e.id;
        prev := e.hash;
    END LOOP;

    last_request := NULL;
    FOR a IN SELECT * FROM personal_data_access_log ORDER BY request_id, at, id LOOP
        IF last_request IS DISTINCT FROM a.request_id THEN
            last_request := a.request_id; prev := NULL; seq := 0;
        END IF;
        seq := seq + 1;
        a.chain_seq := seq;
        a.hash_version := 1;
        a.hash := access_log_hash_v1(a, prev);
        UPDATE personal_data_access_log SET chain_seq = a.chain_seq, hash_version = 1, hash = a.hash WHERE id = a.id;
        prev := a.hash;
    END LOOP;
END;
$$;
-- +goose StatementEnd

ALTER TABLE personal_data_access_log ENABLE TRIGGER personal_data_access_log_append_only;

ALTER TABLE request_events
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN text_digest SET NOT NULL,
    ALTER COLUMN hash_version SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
ALTER TABLE personal_data_access_log
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN hash_version SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;

CREATE UNIQUE INDEX request_events_chain ON request_events (request_id, chain_seq);
CREATE UNIQUE INDEX personal_data_access_log_chain ON personal_data_access_log (request_id, chain_seq);

-- +goose StatementBegin
CREATE FUNCTION request_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev_seq integer;
    prev_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('request_events'), hashtext(NEW.request_id::text));
    -- A fresh snapshot after the lock (READ COMMITTED) sees the entry the
    -- previous holder committed.
    SELECT chain_seq, hash INTO prev_seq, prev_hash FROM request_events
        WHERE request_id = NEW.request_id ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(prev_seq, 0) + 1;
    NEW.text_salt := uuid_send(gen_random_uuid());
    NEW.text_digest := sha256(NEW.text_salt || convert_to(NEW.text, 'UTF8'));
    NEW.hash_version := 1;
    NEW.hash := request_event_hash_v1(NEW, prev_hash);
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION access_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev_seq integer;
    prev_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('personal_data_access_log'), hashtext(NEW.request_id::text));
    SELECT chain_seq, hash INTO prev_seq, prev_hash FROM personal_data_access_log
        WHERE request_id = NEW.request_id ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(prev_seq, 0) + 1;
    NEW.hash_version := 1;
    NEW.hash := access_log_hash_v1(NEW, prev_hash);
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- A timeline entry changes once at most: retention erases its text and the
-- text's salt. Anything else is refused.
-- +goose StatementBegin
CREATE FUNCTION request_events_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.text <> '' OR NEW.text_salt IS NOT NULL
       OR (to_jsonb(NEW) - 'text' - 'text_salt') IS DISTINCT FROM (to_jsonb(OLD) - 'text' - 'text_salt') THEN
        RAISE EXCEPTION 'request_events is append-only: only the erasure of a personal text is allowed';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER request_events_chain BEFORE INSERT ON request_events
    FOR EACH ROW EXECUTE FUNCTION request_events_chain();
CREATE TRIGGER request_events_erase_only BEFORE UPDATE ON request_events
    FOR EACH ROW EXECUTE FUNCTION request_events_erase_only();
CREATE TRIGGER personal_data_access_log_chain BEFORE INSERT ON personal_data_access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_chain();

-- +goose Down
DROP TRIGGER personal_data_access_log_chain ON personal_data_access_log;
DROP TRIGGER request_events_erase_only ON request_events;
DROP TRIGGER request_events_chain ON request_events;
DROP FUNCTION request_events_erase_only();
DROP FUNCTION access_log_chain();
DROP FUNCTION request_events_chain();
DROP INDEX personal_data_access_log_chain;
DROP INDEX request_events_chain;
DROP FUNCTION access_log_hash_v1(personal_data_access_log, bytea);
DROP FUNCTION request_event_hash_v1(request_events, bytea);
DROP FUNCTION audit_time(timestamptz);
DROP FUNCTION audit_field(text);
ALTER TABLE personal_data_access_log DROP COLUMN hash, DROP COLUMN hash_version, DROP COLUMN chain_seq;
ALTER TABLE request_events DROP COLUMN hash, DROP COLUMN hash_version, DROP COLUMN text_digest,
    DROP COLUMN text_salt, DROP COLUMN chain_seq;
