-- +goose Up
-- The coordinators' desk and the Commission's scoreboard read the requests
-- table by state, escalation and sending time rather than by authority.

-- When the request was last accepted (by its authority or, on its behalf,
-- by a coordinator): the scoreboard's "accepted within 7 days".
ALTER TABLE requests ADD COLUMN accepted_at timestamptz;
UPDATE requests r SET accepted_at = e.at
FROM (SELECT request_id, max(at) AS at FROM request_events WHERE kind IN ('accept', 'coordinator-accept') GROUP BY request_id) e
WHERE e.request_id = r.id;

-- When the request was first escalated: the scoreboard counts escalations
-- by it, so that a later escalation does not change an earlier period.
ALTER TABLE requests ADD COLUMN first_escalated_at timestamptz;
UPDATE requests SET first_escalated_at = escalated_at;

-- The desk: what waits for a coordinator, newest escalation first. Only
-- open requests are there, so the indexes stay small.
CREATE INDEX requests_desk_escalated ON requests (escalated_at DESC)
    WHERE escalated_at IS NOT NULL AND state IN ('AWAITING_ACCEPTANCE', 'ACCEPTED', 'ANSWERED', 'CLARIFICATION_REQUESTED', 'REFERRED');
CREATE INDEX requests_desk_overdue ON requests (reply_due)
    WHERE overdue AND state IN ('AWAITING_ACCEPTANCE', 'ACCEPTED', 'ANSWERED', 'CLARIFICATION_REQUESTED', 'REFERRED');
CREATE INDEX requests_desk_waiting ON requests (state, sent_at)
    WHERE state IN ('AWAITING_ACCEPTANCE', 'REFERRED');

-- The scoreboard: requests sent in a period.
CREATE INDEX requests_sent_at ON requests (sent_at, area_code) WHERE sent_at IS NOT NULL;

-- +goose Down
DROP INDEX requests_sent_at;
DROP INDEX requests_desk_waiting;
DROP INDEX requests_desk_overdue;
DROP INDEX requests_desk_escalated;
ALTER TABLE requests DROP COLUMN first_escalated_at;
ALTER TABLE requests DROP COLUMN accepted_at;
