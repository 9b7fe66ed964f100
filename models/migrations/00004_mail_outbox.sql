-- +goose Up
-- The mail outbox: one row per (event, recipient). The transaction that
-- records an event writes its notifications here too, so a mail exists if
-- and only if its event does; the dispatcher in the worker delivers them.
--
-- data holds what the template shows: references, authority names, dates
-- and a link path. It must never hold personal data: the caller builds it
-- from mail.Data, which has no field for any.
CREATE TABLE mail_outbox (
    id              bigserial   PRIMARY KEY,
    -- What caused the mail, e.g. 'request/<id>/accepted'. With the
    -- recipient it is the idempotency key: a retried activity enqueues
    -- nothing new.
    event_key       text        NOT NULL CHECK (event_key <> ''),
    recipient       text        NOT NULL,
    language        text        NOT NULL DEFAULT 'en',
    template        text        NOT NULL,
    data            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Mails with the same thread key (a request's reference) thread
    -- together in the recipient's mail program.
    thread_key      text        NOT NULL DEFAULT '',
    -- The authority whose official receives the mail, so its local data
    -- administrator can see failed deliveries. No foreign key yet: the
    -- authorities table arrives with the directory.
    authority_id    uuid,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    -- When the row is next due. While 'sending' it is the end of the
    -- claimer's lease: a dispatcher that dies mid-send leaves the row to be
    -- claimed again once the lease runs out.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- Changes at every claim; only the current claimer may settle the row.
    claim_token     uuid,
    last_error      text        NOT NULL DEFAULT '',
    message_id      text        NOT NULL DEFAULT '',
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Addresses compare case-insensitively, as in users.
CREATE UNIQUE INDEX mail_outbox_event_recipient_key ON mail_outbox (event_key, lower(recipient));

-- What the dispatchers scan: small, because settled rows leave it.
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');

-- The failed deliveries an authority's administrator lists, newest first.
CREATE INDEX mail_outbox_failed_by_authority ON mail_outbox (authority_id, updated_at DESC, id DESC) WHERE status = 'failed';

-- +goose Down
DROP TABLE mail_outbox;
