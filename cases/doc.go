// Package cases is OpenIMI's application layer: every use case once, as a
// function over the caller and a typed input that returns a typed result or
// a typed *Error. The JSON API (api/) and the officials' pages (web/) are
// thin adapters over it: they authenticate, bind their input and render
// what a use case returns, so a rule (who may act, what is redacted, what
// input is valid, which state allows what) is written here and nowhere else.
//
// A use case loads what it needs through the store, authorises with
// internal/policy, validates its input (Validate), and either reads the
// store or sends an update to the workflow concerned. Its errors are *Error
// values whose Kind each adapter maps to a status or a message on the page.
package cases
