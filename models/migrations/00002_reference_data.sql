-- +goose Up
-- Reference data: a copy of internal/catalog's embedded files, written by
-- Store.SyncCatalog after every migration run. The files are the source of
-- truth; these tables exist so that requests, authorities and statistics can
-- reference the codes with foreign keys and join on them. Translations are
-- jsonb objects keyed by ISO 639-1 code ({"en": "...", "de": "..."}).
--
-- Nothing here is ever deleted: an area, question or competence that leaves
-- the files is marked retired_at, because closed requests still point at it.

CREATE TABLE countries (
    code       text        PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
    name       jsonb       NOT NULL CHECK (name ? 'en'),
    languages  jsonb       NOT NULL CHECK (jsonb_typeof(languages) = 'array'),
    retired_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE areas (
    code                text        PRIMARY KEY CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name                jsonb       NOT NULL CHECK (name ? 'en'),
    legal_basis         jsonb       NOT NULL CHECK (legal_basis ? 'en'),
    -- Defaults for a request's timers, read when the request is sent:
    -- {"acceptance": {"reminder_days": [3, 6], "escalate_day": 7},
    --  "reply": {"reminder_days_before": [3, 0], "escalate_days_after": 3,
    --            "escalate_both_days_after": 10}}
    deadlines           jsonb       NOT NULL,
    -- Columns, not jsonb: the retention job selects closed requests by them.
    block_after_months  integer     NOT NULL CHECK (block_after_months BETWEEN 1 AND 18),
    delete_after_months integer     NOT NULL CHECK (delete_after_months > block_after_months AND delete_after_months <= 36),
    retired_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE area_questions (
    area_code     text        NOT NULL REFERENCES areas (code),
    code          text        NOT NULL,
    -- The order officials see the questions in.
    position      integer     NOT NULL,
    answer_type   text        NOT NULL CHECK (answer_type IN ('yes_no', 'choice', 'date', 'free_text')),
    personal_data boolean     NOT NULL,
    text          jsonb       NOT NULL CHECK (text ? 'en'),
    -- [{"code": "...", "label": {"en": "...", ...}}, ...]; empty unless choice.
    options       jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(options) = 'array'),
    retired_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area_code, code),
    CHECK ((answer_type = 'choice') = (jsonb_array_length(options) > 0))
);

CREATE TABLE area_competences (
    area_code     text        NOT NULL REFERENCES areas (code),
    code          text        NOT NULL,
    position      integer     NOT NULL,
    label         jsonb       NOT NULL CHECK (label ? 'en'),
    -- {"de": ["Arzt", "Ärztin"], "fr": ["médecin"], ...}
    keywords      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(keywords) = 'object'),
    -- Every label and keyword in every language, each also lower-cased and
    -- stripped of accents ("Ärztin", "arztin"), so that the directory's
    -- search matches whatever keyboard the official has. The 'simple'
    -- configuration because the terms are in 26 languages and no single
    -- stemmer fits them; the search folds its query the same way
    -- (catalog.Fold).
    search_text   text        NOT NULL,
    search_vector tsvector    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED,
    retired_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area_code, code)
);

CREATE INDEX area_competences_search ON area_competences USING gin (search_vector);

-- +goose Down
DROP TABLE area_competences;
DROP TABLE area_questions;
DROP TABLE areas;
DROP TABLE countries;
