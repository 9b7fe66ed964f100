// Package activities holds the side effects OpenIMI's workflows ask for:
// writing the read model and the audit trail, sending email, looking up the
// directory. Every activity is idempotent, so that Temporal may retry it;
// an error that retrying cannot cure is non-retryable, of a type named in
// errors.go, so that the workflow learns of it at once.
package activities
