-- +goose Up
-- Directory search over a large network (docs/BENCHMARKS.md): a search walks
-- active authorities in name order and stops after a page or a bounded
-- window, instead of reading, ranking and sorting every match; and each match
-- it must read is smaller.

-- Searches without a country: name order, and the counts of broad filters.
CREATE INDEX authorities_active_name ON authorities (official_name, id) WHERE status = 'active';
-- Searches within a country, the most common filter: name order there.
CREATE INDEX authorities_active_country_name ON authorities (country_code, official_name, id) WHERE status = 'active';
-- The region filter compares without case.
CREATE INDEX authorities_active_region ON authorities (lower(region)) WHERE status = 'active';

-- Word positions serve phrase search and ts_rank_cd, which the directory does
-- not use; without them a search document is about 30 % smaller, and so is
-- every row a broad search reads. A trigger, so that every writer (the API,
-- bulk loads) stores the same kind of document and ranks alike.
-- +goose StatementBegin
CREATE FUNCTION authorities_strip_search_document() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := strip(NEW.search_document);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER authorities_strip_search_document
    BEFORE INSERT OR UPDATE OF search_document ON authorities
    FOR EACH ROW EXECUTE FUNCTION authorities_strip_search_document();
UPDATE authorities SET search_document = search_document;

-- An authority's own names and designations, apart: a search ranks the
-- authorities named for its words before those that only list them among
-- their competences' keywords. Kept by a trigger from the columns
-- themselves, so no writer can forget it.
ALTER TABLE authorities ADD COLUMN name_document tsvector NOT NULL DEFAULT ''::tsvector;
-- +goose StatementBegin
CREATE FUNCTION authorities_name_document() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.name_document := strip(to_tsvector('simple', unaccent(concat_ws(' ',
        NEW.official_name, NEW.city, NEW.region,
        (SELECT string_agg(value, ' ') FROM jsonb_each_text(NEW.designation))))));
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER authorities_name_document
    BEFORE INSERT OR UPDATE OF official_name, city, region, designation ON authorities
    FOR EACH ROW EXECUTE FUNCTION authorities_name_document();
UPDATE authorities SET official_name = official_name;

-- +goose Down
DROP TRIGGER authorities_name_document ON authorities;
DROP FUNCTION authorities_name_document();
ALTER TABLE authorities DROP COLUMN name_document;
DROP TRIGGER authorities_strip_search_document ON authorities;
DROP FUNCTION authorities_strip_search_document();
DROP INDEX authorities_active_region;
DROP INDEX authorities_active_country_name;
DROP INDEX authorities_active_name;
