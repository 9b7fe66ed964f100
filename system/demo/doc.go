// Package demo makes the directory a demonstration or a load test needs:
// competent authorities spread over the 30 countries with plausible names in
// each country's own languages, the national coordinator of each country and
// a few officials who can log in.
//
// Generation is deterministic: the same number of authorities gives the same
// records, byte for byte, on every machine and every run, because every
// choice is arithmetic on the authority's position (no clock, no global
// random source, no map iteration). The sequence is also prefix-stable: the
// first M of N authorities are the M authorities generated alone, and the
// 5,000th is always the Municipality of Lloret de Vistalegre (ES).
//
// The competence codes come from the reference data through the Competences
// interface (CatalogCompetences), so that the generator's tests can use a
// small fake.
package demo
