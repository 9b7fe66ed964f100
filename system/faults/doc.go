// Package faults holds the fault-injection suite: the whole system run as
// separate processes, as in production (PostgreSQL, Temporal's dev server on
// a persisted SQLite file, Mailpit, `openimi api` and `openimi worker` from
// the built binary), driven over HTTP by careful back offices while its
// processes are killed, stopped and restarted. The suite is its test file;
// this package holds no code of its own. docs/RELIABILITY.md records its
// figures and how to run it.
package faults
