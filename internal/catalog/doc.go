// Package catalog is OpenIMI's reference data: the participating
// countries and their languages, and the legislative areas with their
// pre-translated question sets, competence lists, deadline defaults and
// retention periods.
//
// The data are YAML files embedded from data/, so that adding an area or a
// translation is editing a file, reviewed like code but written by
// translators. Load parses and validates them into a Catalog, an immutable
// value the caller keeps and passes on: the API serves it from memory and
// models.Store.SyncCatalog copies it into PostgreSQL, where requests and
// authorities reference its codes.
//
// The package is pure Go and has no state of its own: no database, no
// package-level variables that change.
package catalog
