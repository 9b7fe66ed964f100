-- +goose Up
-- Information requests: the read model that the request workflows write and
-- the API reads. Personal data live apart from the rest, so that they can be
-- redacted, blocked and deleted without touching the request's history.

CREATE SEQUENCE request_reference_seq;

CREATE TABLE requests (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference             text        NOT NULL UNIQUE,
    area_code             text        NOT NULL,
    requesting_authority  uuid        NOT NULL REFERENCES authorities (id),
    responding_authority  uuid        NOT NULL REFERENCES authorities (id),
    created_by            uuid        NOT NULL REFERENCES users (id),
    state                 text        NOT NULL DEFAULT 'DRAFT'
                          CHECK (state IN ('DRAFT', 'AWAITING_ACCEPTANCE', 'ACCEPTED', 'ANSWERED',
                                           'CLARIFICATION_REQUESTED', 'REFERRED', 'CLOSED', 'WITHDRAWN')),
    subject               text        NOT NULL,
    subject_lang          text        NOT NULL,
    questions             text[]      NOT NULL,
    free_text             text        NOT NULL DEFAULT '',
    free_text_lang        text        NOT NULL DEFAULT '',
    needed_by             date        NOT NULL,
    sent_at               timestamptz,
    reply_due             timestamptz,
    reply_due_days        integer,
    proposed_due_days     integer,
    acceptance_clock_from timestamptz,
    assigned_handler      uuid        REFERENCES users (id),
    -- The responding authority that accepted the request, which alone on
    -- that side may see its personal data; cleared by a forward.
    accepted_by           uuid        REFERENCES authorities (id),
    -- Set while the request is being sent: the draft is no longer edited.
    sending_at            timestamptz,
    overdue               boolean     NOT NULL DEFAULT false,
    escalated_at          timestamptz,
    answered_at           timestamptz,
    closed_at             timestamptz,
    personal_blocked_at   timestamptz,
    personal_deleted_at   timestamptz,
    timeliness_rating     smallint    CHECK (timeliness_rating BETWEEN 1 AND 5),
    effort_rating         smallint    CHECK (effort_rating BETWEEN 1 AND 5),
    last_event            integer     NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (requesting_authority <> responding_authority)
);
CREATE INDEX requests_outgoing ON requests (requesting_authority, state, updated_at DESC);
CREATE INDEX requests_incoming ON requests (responding_authority, state, updated_at DESC) WHERE state <> 'DRAFT';

-- The data subject's personal data, marked as such by living here.
CREATE TABLE request_personal_data (
    request_id uuid PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    fields     jsonb NOT NULL DEFAULT '{}'
);

-- The latest answer to each question; a clarification adds a message.
CREATE TABLE request_answers (
    request_id    uuid        NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    question_code text        NOT NULL,
    value         text        NOT NULL,
    personal      boolean     NOT NULL,
    answered_at   timestamptz NOT NULL,
    PRIMARY KEY (request_id, question_code)
);

-- The timeline: every event, once (event_key), in order.
CREATE TABLE request_events (
    id          bigserial PRIMARY KEY,
    request_id  uuid        NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    event_key   text        NOT NULL UNIQUE,
    kind        text        NOT NULL,
    actor_user  uuid        REFERENCES users (id),
    authority   uuid        REFERENCES authorities (id),
    text        text        NOT NULL DEFAULT '',
    text_lang   text        NOT NULL DEFAULT '',
    -- Free text that may name the data subject is personal data too.
    personal    boolean     NOT NULL DEFAULT false,
    details     jsonb       NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL
);
CREATE INDEX request_events_request ON request_events (request_id, at, id);

-- +goose Down
DROP TABLE request_events;
DROP TABLE request_answers;
DROP TABLE request_personal_data;
DROP TABLE requests;
DROP SEQUENCE request_reference_seq;
