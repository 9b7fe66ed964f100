package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"

	"github.com/openimi/openimi/cases"
)

// The scoreboard: the Commission's indicators for a coordinator's scope (or
// the helpdesk's), each with its green / yellow / red band as a word and a
// colour, a bar chart per indicator drawn on the server as SVG, and the
// same figures as CSV.

type scoreboardData struct {
	Board   cases.Scoreboard
	Query   url.Values
	Names   []string
	Rows    []scoreRow
	Charts  []chart
	Areas   []option
	GroupBy []option
	CSV     string
}

type scoreRow struct {
	Label      string
	Requests   int64
	Indicators []cases.Indicator
}

// chart is one indicator's bars, one per row, laid out for the template.
type chart struct {
	Name   string
	Height int
	Bars   []bar
}

type bar struct {
	Label string
	Y     int
	Width float64
	Value string
	Band  string
}

func (h *Handler) scoreboard(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	in := cases.ScoreboardInput{Country: q.Get("country"), Area: q.Get("area"), From: q.Get("from"), To: q.Get("to"), GroupBy: q.Get("group_by")}
	board, err := h.cases.Scoreboard(r.Context(), c, in)
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "scoreboard.title")
	if err != nil {
		status, ok := h.useCaseError(p, err)
		if !ok || status != http.StatusUnprocessableEntity {
			h.fail(w, r, err)
			return
		}
		p.Data = scoreboardData{Query: q}
		h.render(w, r, status, "scoreboard/show", p)
		return
	}
	if r.URL.Path == "/scoreboard.csv" {
		h.writeScoreboardCSV(w, r, board)
		return
	}
	d := scoreboardData{Board: board, Query: q, Names: cases.IndicatorNames(), CSV: "/scoreboard.csv?" + q.Encode()}
	for _, a := range h.catalog.Areas() {
		name, _, _ := a.Name.In(p.Lang)
		d.Areas = append(d.Areas, option{Value: a.Code, Label: name, Selected: a.Code == in.Area})
	}
	for _, g := range []string{"country", "area", "authority"} {
		d.GroupBy = append(d.GroupBy, option{Value: g, Label: p.T("scoreboard.group." + g), Selected: g == board.GroupBy})
	}
	for _, row := range board.Rows {
		label := p.T("scoreboard.direction."+row.Direction) + " – " + row.Group
		d.Rows = append(d.Rows, scoreRow{Label: label, Requests: row.Requests, Indicators: row.Indicators()})
	}
	const rowHeight = 28
	for i, name := range cases.IndicatorNames() {
		ch := chart{Name: name, Height: rowHeight*len(d.Rows) + 8}
		max := 100.0
		if name == "average_days_to_answer" {
			max = 1
			for _, row := range d.Rows {
				if v := row.Indicators[i].Value; v != nil && *v > max {
					max = *v
				}
			}
		}
		for j, row := range d.Rows {
			b := bar{Label: row.Label, Y: j*rowHeight + 4, Value: "–"}
			if v := row.Indicators[i].Value; v != nil {
				b.Width = 300 * *v / max
				b.Value = strconv.FormatFloat(*v, 'f', 1, 64)
				b.Band = string(row.Indicators[i].Band)
			}
			ch.Bars = append(ch.Bars, b)
		}
		d.Charts = append(d.Charts, ch)
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "scoreboard/show", p)
}

// writeScoreboardCSV writes the board as the API's CSV does
// (cases.Scoreboard.CSVRecords).
func (h *Handler) writeScoreboardCSV(w http.ResponseWriter, r *http.Request, board cases.Scoreboard) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="openimi-scoreboard.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	out := csv.NewWriter(w)
	_ = out.WriteAll(board.CSVRecords()) // errors surface in out.Error
	if err := out.Error(); err != nil {
		h.log.ErrorContext(r.Context(), "write the scoreboard as CSV", "err", err)
	}
}
