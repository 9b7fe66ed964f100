package cases

import "strconv"

// IndicatorNames are the scoreboard's indicators, in the order of
// ScoreboardRow.Indicators: the CSV's columns and the pages' charts.
func IndicatorNames() []string {
	return []string{"accepted_within_7_days", "average_days_to_answer", "answered_by_agreed_date",
		"answered_within_a_week", "negative_timeliness_ratings", "negative_effort_ratings"}
}

// Indicators are the row's indicators in the order of IndicatorNames.
func (r ScoreboardRow) Indicators() []Indicator {
	return []Indicator{r.AcceptedWithin7Days, r.AverageDaysToAnswer, r.AnsweredByAgreedDate,
		r.AnsweredWithinAWeek, r.NegativeTimelinessRates, r.NegativeEffortRatings}
}

// CSVRecords is the scoreboard as a table: a header, then one line per
// group and direction; an indicator measured on no request is left empty.
// The API's text/csv answer and the pages' download write the same.
func (b Scoreboard) CSVRecords() [][]string {
	header := []string{"direction", "group", "requests"}
	for _, name := range IndicatorNames() {
		header = append(header, name, name+"_band")
	}
	header = append(header, "open", "overdue", "escalated")
	out := [][]string{header}
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, r := range b.Rows {
		line := []string{r.Direction, r.Group, num(r.Requests)}
		for _, in := range r.Indicators() {
			value := ""
			if in.Value != nil {
				value = strconv.FormatFloat(*in.Value, 'f', 1, 64)
			}
			line = append(line, value, string(in.Band))
		}
		line = append(line, num(r.Open), num(r.Overdue), num(r.Escalated))
		out = append(out, line)
	}
	return out
}
