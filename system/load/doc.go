// Package load drives a running OpenIMI over its HTTP API the way officials
// would, and measures it: complete request lifecycles, the same number of
// Temporal updates on a bare workflow (the floor any Temporal-based design
// stands on), directory searches, and requests waiting on their deadlines.
// The openimi command's `load` subcommand runs it; its end-to-end test keeps
// it working.
//
// Every run is bounded in count and in time, and refuses any address that
// is not on this machine: a load tool pointed at a real deployment by
// mistake would be a denial of service.
package load
