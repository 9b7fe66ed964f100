-- +goose Up
-- Directory search over a large network (docs/BENCHMARKS.md): indexes that
-- let a search walk active authorities in name order and stop after a page
-- or a bounded window, instead of reading, ranking and sorting every match.

-- Searches without a country: name order, and the counts of broad filters.
CREATE INDEX authorities_active_name ON authorities (official_name, id) WHERE status = 'active';
-- Searches within a country, the most common filter: name order there.
CREATE INDEX authorities_active_country_name ON authorities (country_code, official_name, id) WHERE status = 'active';
-- The region filter compares without case.
CREATE INDEX authorities_active_region ON authorities (lower(region)) WHERE status = 'active';

-- +goose Down
DROP INDEX authorities_active_region;
DROP INDEX authorities_active_country_name;
DROP INDEX authorities_active_name;
