-- +goose Up
-- Directory search without reading the table (docs/BENCHMARKS.md): a search
-- walks active authorities in name order through an index that carries
-- each one's search document, so that testing an authority costs an index
-- entry, not a visit to its row; and every word is one tsquery against that
-- document, competences included, so that the text index alone can also
-- find the matches of rare words.

-- Every competence the authority holds, in any area: the union of its
-- authority_areas.competences, kept by the triggers below.
ALTER TABLE authorities ADD COLUMN competence_codes text[] NOT NULL DEFAULT '{}';
-- Whether the search document is small enough to be copied into the
-- name-order index (a btree entry holds at most 2.7 kB): the API accepts
-- descriptions in forty languages, whose document could not be.
ALTER TABLE authorities ADD COLUMN search_document_fits boolean NOT NULL DEFAULT true;

-- The search document is the authority's own words, without positions (see
-- 00005), and one lexeme '@<code>' for each of its competences. No word the
-- parser makes starts with '@', and a search asks for those lexemes only by
-- their exact code, so a competence is found only through the words of its
-- labels and keywords (area_competences.search_vector), as before.
-- +goose StatementBegin
CREATE FUNCTION authorities_search_document() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    own tsvector := strip(NEW.search_document);
BEGIN
    own := ts_delete(own, ARRAY(SELECT l FROM unnest(tsvector_to_array(own)) l WHERE l LIKE '@%'));
    NEW.search_document := own || array_to_tsvector(ARRAY(SELECT '@' || c FROM unnest(NEW.competence_codes) c));
    NEW.search_document_fits := pg_column_size(NEW.official_name) + pg_column_size(NEW.search_document) <= 2000;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
DROP TRIGGER authorities_strip_search_document ON authorities;
DROP FUNCTION authorities_strip_search_document();
CREATE TRIGGER authorities_search_document
    BEFORE INSERT OR UPDATE OF search_document, competence_codes, official_name ON authorities
    FOR EACH ROW EXECUTE FUNCTION authorities_search_document();

-- Areas change rarely and in batches (a bulk load writes a thousand at
-- once): one update per statement, of the authorities whose codes differ.
-- Codes sort bytewise, as the bulk load sorts them, so that its rows are
-- found equal and not written twice.
-- +goose StatementBegin
CREATE FUNCTION authorities_refresh_competence_codes(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE authorities a SET competence_codes = c.codes
    FROM (SELECT i.id, ARRAY(SELECT DISTINCT x COLLATE "C" FROM authority_areas aa, unnest(aa.competences) x
                             WHERE aa.authority_id = i.id ORDER BY 1) AS codes
          FROM unnest(ids) AS i(id)) c
    WHERE a.id = c.id AND a.competence_codes IS DISTINCT FROM c.codes;
$$;
CREATE FUNCTION authority_areas_competence_codes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM authorities_refresh_competence_codes(ARRAY(SELECT DISTINCT authority_id FROM new_areas));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM authorities_refresh_competence_codes(ARRAY(SELECT DISTINCT authority_id FROM old_areas));
    ELSE
        PERFORM authorities_refresh_competence_codes(ARRAY(
            SELECT authority_id FROM new_areas UNION SELECT authority_id FROM old_areas));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER authority_areas_competence_codes_insert
    AFTER INSERT ON authority_areas REFERENCING NEW TABLE AS new_areas
    FOR EACH STATEMENT EXECUTE FUNCTION authority_areas_competence_codes();
CREATE TRIGGER authority_areas_competence_codes_update
    AFTER UPDATE ON authority_areas REFERENCING OLD TABLE AS old_areas NEW TABLE AS new_areas
    FOR EACH STATEMENT EXECUTE FUNCTION authority_areas_competence_codes();
CREATE TRIGGER authority_areas_competence_codes_delete
    AFTER DELETE ON authority_areas REFERENCING OLD TABLE AS old_areas
    FOR EACH STATEMENT EXECUTE FUNCTION authority_areas_competence_codes();

-- Every row once: its codes, hence its document and whether it fits.
UPDATE authorities a SET competence_codes = ARRAY(
    SELECT DISTINCT x COLLATE "C" FROM authority_areas aa, unnest(aa.competences) x
    WHERE aa.authority_id = a.id ORDER BY 1);

-- The walk: name order, with what a search tests. The few documents too
-- large for it are walked apart, through their rows.
CREATE INDEX authorities_active_search_walk ON authorities (official_name, id) INCLUDE (search_document)
    WHERE status = 'active' AND search_document_fits;
CREATE INDEX authorities_active_search_oversized ON authorities (official_name, id)
    WHERE status = 'active' AND NOT search_document_fits;

-- Words no longer find competences through the areas' arrays, and the
-- competence filter compares with = ANY, which this index cannot serve.
DROP INDEX authority_areas_competences;

-- +goose Down
CREATE INDEX authority_areas_competences ON authority_areas USING gin (competences);
DROP INDEX authorities_active_search_oversized;
DROP INDEX authorities_active_search_walk;
DROP TRIGGER authority_areas_competence_codes_delete ON authority_areas;
DROP TRIGGER authority_areas_competence_codes_update ON authority_areas;
DROP TRIGGER authority_areas_competence_codes_insert ON authority_areas;
DROP FUNCTION authority_areas_competence_codes();
DROP FUNCTION authorities_refresh_competence_codes(uuid[]);
DROP TRIGGER authorities_search_document ON authorities;
DROP FUNCTION authorities_search_document();
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
UPDATE authorities SET search_document = ts_delete(search_document,
    ARRAY(SELECT l FROM unnest(tsvector_to_array(search_document)) l WHERE l LIKE '@%'));
ALTER TABLE authorities DROP COLUMN search_document_fits;
ALTER TABLE authorities DROP COLUMN competence_codes;
