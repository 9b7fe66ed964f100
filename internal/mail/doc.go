// Package mail tells officials by email, once, in their language, and loses
// no mail on the way.
//
// The way of a notification: an activity builds a Notification for its
// recipients and writes the rows Outbox returns with models.EnqueueMail, in
// the transaction that records the event. A Dispatcher in each worker
// process claims due rows from the outbox, renders them with the Templates
// embedded here (one file per language, English as the fallback), and sends
// them through an SMTPSender: transient failures are retried with backoff,
// permanent ones recorded as failed for the authority's administrator.
//
// Mails carry no personal data: Data has no field for any. Rendering
// happens here, at delivery, never in workflow code.
package mail
