// Package devstack starts the components OpenIMI needs on one machine, from
// binaries found there: a PostgreSQL cluster, Temporal's development server
// and the Mailpit mail sink.
//
// `openimi dev` uses it with data kept between runs; `openimi stack` and the
// tests use it with throw-away data on free ports.
package devstack
