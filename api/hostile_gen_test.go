package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// hostileCase is one hostile call to an operation: what it tries (its
// input class, for the report), its query string and its body.
type hostileCase struct {
	class string
	// kind is the class without the field it went to: the generator sends
	// every kind at least once to each operation.
	kind string
	// path replaces the operation's path parameters when set (hostile ids).
	pathParams map[string]string
	query      string // raw, already escaped as it goes on the wire
	body       []byte // nil: no body
	// contentType is the body's, application/json when empty.
	contentType string
}

// rawMark stands in a marshalled body for bytes that JSON encoding would
// replace (invalid UTF-8): the generator swaps it for them afterwards.
const rawMark = "\u2063RAW\u2063"

// hostileTexts are the strings that have broken, or could break, what
// stores and shows text. raw means the bytes go on the wire as they are.
var hostileTexts = []struct {
	class string
	text  string
	raw   bool
}{
	{"NUL", "before\x00after", false},
	{"bell control character", "ring\x07", false},
	{"escape sequence", "\x1b[31mred", false},
	{"RTL override U+202E", "invoice\u202efdp.exe", false},
	{"zero-width and BOM", "\ufeffa\u200bb", false},
	{"tsquery operators", "a & | !b:*", false},
	{"tsquery syntax", "(( ) <-> :* ' \\", false},
	{"SQL quote", "x'; DROP TABLE requests; --", false},
	{"LIKE wildcards", "%_%\\", false},
	{"lone surrogate escape", "\\ud800", true},
	{"invalid UTF-8 0xff", "a\xffb", true},
	{"overlong UTF-8 c0 af", "a\xc0\xafb", true},
	{"surrogate in UTF-8 ed a0 80", "a\xed\xa0\x80b", true},
	{"1 MB string", strings.Repeat("é", 1<<19), false},
	{"200 kB string", strings.Repeat("x", 200<<10), false},
	{"empty", "", false},
	{"blank", " \t\r\n ", false},
	{"date out of range", "0000-00-00", false},
	{"date far future", "9999-12-31", false},
	{"date impossible", "2026-02-30", false},
	{"date negative year", "-0001-01-01", false},
	{"huge number as text", "1e400", false},
	{"combining marks", "a" + strings.Repeat("\u0301", 5000), false},
}

// hostileQueryValues go on the wire as they are (already escaped).
var hostileQueryValues = []struct{ class, value string }{
	{"NUL escape", "a%00b"},
	{"invalid UTF-8 escape %ff", "%ff"},
	{"overlong escape %c0%af", "%c0%af"},
	{"surrogate escape %ed%a0%80", "%ed%a0%80"},
	{"RTL override escape", "%e2%80%aeabc"},
	{"tsquery operators", "a%20%26%20%7C%20!b%3A*"},
	{"tsquery syntax", "((%20)%20%3C-%3E%20%3A*%20'%20%5C"},
	{"SQL quote", "x'%3B%20DROP%20TABLE%20requests%3B--"},
	{"negative", "-1"},
	{"zero", "0"},
	{"huge integer", "99999999999999999999"},
	{"huge float", "1e309"},
	{"date impossible", "2026-13-45"},
	{"date out of range", "0000-01-01"},
	{"date far future", "9999-12-31"},
	{"empty", ""},
	{"10 kB value", strings.Repeat("a", 10<<10)},
	{"bad escape kept raw", "%zz"},
}

// hostileIDs stand in a path parameter.
var hostileIDs = []struct{ class, value string }{
	{"id not a UUID", "not-a-uuid"},
	{"id NUL escape", "%00"},
	{"id invalid UTF-8 escape", "%ff%fe"},
	{"id zero UUID", "00000000-0000-0000-0000-000000000000"},
	{"id UUID of nothing", "6b1d3a4e-8f55-4f7e-9a51-0c2f1f5d9e01"},
	{"id SQL quote", "1'%20OR%20'1'%3D'1"},
	{"id 4 kB", strings.Repeat("a", 4<<10)},
}

// hostileGenerator builds an operation's cases from its documented
// schemas, deterministically: the same seed gives the same cases.
type hostileGenerator struct {
	rng   *rand.Rand
	today time.Time
}

func newHostileGenerator(seed uint64, op string) *hostileGenerator {
	h := uint64(14695981039346656037)
	for i := range len(op) {
		h = (h ^ uint64(op[i])) * 1099511628211
	}
	return &hostileGenerator{rng: rand.New(rand.NewPCG(seed, h)), today: time.Now().UTC()}
}

// cases generates at most limit cases for an operation: every path case,
// NUL and a control character in every string field, each other kind of
// hostile input once (in a field drawn by the seed), every body-wide
// case, then a seeded sample of the rest.
func (g *hostileGenerator) cases(op *openapi3.Operation, pathParams []string, base any, limit int) []hostileCase {
	var whole, must, rest []hostileCase
	if schema := jsonBodySchema(op); schema != nil {
		if base == nil {
			base = g.sample(schema, 0)
		} else {
			var plain any
			_ = json.Unmarshal(marshal(base), &plain) // maps and slices the walk knows
			base = plain
		}
		whole = wholeBodyCases(base)
		rest = append(rest, g.fieldCases(schema, base)...)
	}
	for _, name := range pathParams {
		for _, id := range hostileIDs {
			must = append(must, hostileCase{class: id.class + " in {" + name + "}", kind: id.class, pathParams: map[string]string{name: id.value}})
		}
	}
	rest = append(rest, queryCases(op)...)
	g.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	// Kinds that broke requests for good go to every field.
	var others []hostileCase
	for _, c := range rest {
		if c.kind == "NUL" || c.kind == "bell control character" || c.kind == "NUL escape" {
			must = append(must, c)
		} else {
			others = append(others, c)
		}
	}
	seen := map[string]bool{}
	var firsts, more []hostileCase
	for _, c := range others {
		if seen[c.kind] {
			more = append(more, c)
			continue
		}
		seen[c.kind] = true
		firsts = append(firsts, c)
	}
	// Whole-body cases come after the field cases: an absent or empty
	// body is a legal call to some actions (accept, withdraw), and once it
	// has moved the request on, later cases would stop short at its state.
	all := append(append(append(must, firsts...), whole...), more...)
	if len(all) > limit {
		all = all[:limit]
	}
	return all
}

func jsonBodySchema(op *openapi3.Operation) *openapi3.Schema {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// sample is a plausible value of schema: every property present, the first
// of an enum, formats honoured.
func (g *hostileGenerator) sample(s *openapi3.Schema, depth int) any {
	if s == nil || depth > 8 {
		return "x"
	}
	if len(s.AllOf) > 0 {
		merged := map[string]any{}
		for _, sub := range s.AllOf {
			if m, ok := g.sample(sub.Value, depth+1).(map[string]any); ok {
				for k, v := range m {
					merged[k] = v
				}
			}
		}
		return merged
	}
	if len(s.OneOf) > 0 {
		return g.sample(s.OneOf[0].Value, depth+1)
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		m := map[string]any{}
		for name, p := range s.Properties {
			if v, ok := plausibleByName(name, p.Value); ok {
				m[name] = v
				continue
			}
			m[name] = g.sample(p.Value, depth+1)
		}
		if ap := s.AdditionalProperties.Schema; ap != nil {
			m["name"] = g.sample(ap.Value, depth+1)
		}
		return m
	case s.Type.Is("array"):
		if s.Items == nil {
			return []any{}
		}
		return []any{g.sample(s.Items.Value, depth+1)}
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is("boolean"):
		return true
	}
	switch s.Format {
	case "date":
		return g.today.AddDate(0, 0, 20).Format(time.DateOnly)
	case "date-time":
		return g.today.Format(time.RFC3339)
	case "uuid":
		return fmt.Sprintf("%08x-0000-4000-8000-%012x", g.rng.Uint32(), g.rng.Uint64()&0xffffffffffff)
	case "email":
		return "hostile@openimi.test"
	}
	if s.MinLength > 0 {
		return strings.Repeat("h", int(s.MinLength)+2)
	}
	return "hostile"
}

// plausibleByName fills the fields whose schema says too little for a
// value the API takes (languages, countries, areas are reference data).
func plausibleByName(name string, s *openapi3.Schema) (any, bool) {
	if s == nil || !s.Type.Is("string") || len(s.Enum) > 0 {
		return nil, false
	}
	switch {
	case name == "language" || strings.HasSuffix(name, "_lang"):
		return "en", true
	case name == "country":
		return "PL", true
	case name == "area" || name == "scope_area":
		return "services", true
	case name == "level":
		return "national", true
	case name == "password":
		return "correct horse battery staple", true
	case name == "email" || name == "functional_mailbox":
		return fmt.Sprintf("hostile-%d@openimi.test", time.Now().UnixNano()), true
	case name == "reason" || name == "text":
		return "a reason that is long enough", true
	}
	return nil, false
}

// wholeBodyCases break the body as a whole.
func wholeBodyCases(base any) []hostileCase {
	valid, _ := json.Marshal(base)
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepObject := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	cases := []hostileCase{
		{class: "body: absent"},
		{class: "body: truncated JSON", body: []byte(`{"a":`)},
		{class: "body: null", body: []byte("null")},
		{class: "body: array", body: []byte("[]")},
		{class: "body: string", body: []byte(`"hostile"`)},
		{class: "body: two values", body: append(append([]byte{}, valid...), valid...)},
		{class: "body: deep array nesting", body: []byte(deep)},
		{class: "body: deep object nesting", body: []byte(deepObject)},
		{class: "body: invalid UTF-8 bytes", body: []byte("\xff\xfe{\x00}")},
		{class: "body: over 1 MB", body: []byte(`{"x":"` + strings.Repeat("a", 2<<20) + `"}`)},
	}
	if m, ok := base.(map[string]any); ok {
		unknown := clone(m)
		unknown["hostile_unknown_field"] = "x"
		cases = append(cases, hostileCase{class: "body: unknown field", body: marshal(unknown)})
		dup := bytes.TrimSuffix(bytes.TrimSpace(valid), []byte("}"))
		if len(m) > 0 {
			for _, k := range sortedMapKeys(m) {
				dup = append(dup, []byte(`,"`+k+`":{"nested":[1,2,3]}}`)...)
				break
			}
			cases = append(cases, hostileCase{class: "body: duplicate key", body: dup})
		}
	}
	return cases
}

// fieldCases break one field at a time, down to the leaves of nested
// objects and arrays and the keys of free maps.
func (g *hostileGenerator) fieldCases(schema *openapi3.Schema, base any) []hostileCase {
	var out []hostileCase
	var walk func(path []any, s *openapi3.Schema, depth int)
	walk = func(path []any, s *openapi3.Schema, depth int) {
		if s == nil || depth > 6 {
			return
		}
		name := pathName(path)
		if len(path) > 0 {
			out = append(out,
				hostileCase{class: "missing " + name, kind: "missing", body: marshal(without(base, path))},
				hostileCase{class: "null " + name, kind: "null", body: marshal(with(base, path, nil))},
			)
			for _, wrong := range wrongTypes(s) {
				out = append(out, hostileCase{class: wrong.class + " for " + name, kind: wrong.class, body: replaceRaw(marshal(with(base, path, rawMark)), wrong.raw)})
			}
		}
		switch {
		case len(s.AllOf) > 0:
			for _, sub := range s.AllOf {
				walk(path, sub.Value, depth+1)
			}
		case s.Type.Is("object") || len(s.Properties) > 0:
			for _, pname := range sortedSchemaKeys(s.Properties) {
				if !present(base, append(slices.Clone(path), pname)) {
					continue // a field the operation's valid body leaves out
				}
				walk(append(slices.Clone(path), pname), s.Properties[pname].Value, depth+1)
			}
			if ap := s.AdditionalProperties.Schema; ap != nil {
				for _, txt := range hostileTexts {
					if len(txt.text) > 1000 {
						continue
					}
					key := txt.text
					if txt.raw {
						key = rawMark
					}
					out = append(out, hostileCase{class: txt.class + " in a key of " + name, kind: txt.class,
						body: replaceRaw(marshal(with(base, append(slices.Clone(path), key), "v")), txt.text)})
				}
				walk(append(slices.Clone(path), "name"), ap.Value, depth+1)
			}
		case s.Type.Is("array"):
			out = append(out, hostileCase{class: "10,000 items in " + name, kind: "10,000 items", body: marshal(with(base, path, repeat(g.sample(s.Items.Value, depth+1), 10000)))})
			if s.Items != nil {
				walk(append(slices.Clone(path), 0), s.Items.Value, depth+1)
			}
		case s.Type.Is("integer"), s.Type.Is("number"):
			for _, n := range []struct{ class, raw string }{
				{"negative", "-1"}, {"zero", "0"}, {"fraction", "1.5"}, {"beyond int64", "9223372036854775808"},
				{"beyond float64", "1e309"}, {"below int32", "-2147483649"},
			} {
				out = append(out, hostileCase{class: n.class + " number in " + name, kind: n.class + " number", body: replaceRaw(marshal(with(base, path, rawMark)), n.raw)})
			}
		default: // strings, whatever their format
			for _, txt := range hostileTexts {
				if txt.raw {
					out = append(out, hostileCase{class: txt.class + " in " + name, kind: txt.class, body: replaceRaw(marshal(with(base, path, rawMark)), txt.text)})
					continue
				}
				out = append(out, hostileCase{class: txt.class + " in " + name, kind: txt.class, body: marshal(with(base, path, txt.text))})
			}
		}
	}
	walk(nil, schema, 0)
	return out
}

// wrongTypes are JSON values of another type than the schema's.
func wrongTypes(s *openapi3.Schema) []struct{ class, raw string } {
	all := []struct {
		typ, class, raw string
	}{
		{"string", "string", `"12"`},
		{"number", "number", `12345`},
		{"boolean", "boolean", `true`},
		{"object", "object", `{"a":{"b":1}}`},
		{"array", "array", `["a",1,null]`},
	}
	var out []struct{ class, raw string }
	for _, w := range all {
		if s.Type.Is(w.typ) || (w.typ == "number" && s.Type.Is("integer")) {
			continue
		}
		out = append(out, struct{ class, raw string }{"wrong type " + w.class, w.raw})
	}
	return out
}

// queryCases put hostile values in every documented query parameter, and
// unknown parameters beside them.
func queryCases(op *openapi3.Operation) []hostileCase {
	var out []hostileCase
	for _, p := range op.Parameters {
		if p.Value == nil || p.Value.In != "query" {
			continue
		}
		name := p.Value.Name
		for _, v := range hostileQueryValues {
			out = append(out, hostileCase{class: v.class + " in ?" + name, kind: v.class, query: name + "=" + v.value})
		}
		out = append(out,
			hostileCase{class: "repeated ?" + name, kind: "repeated parameter", query: name + "=a&" + name + "=b"},
			hostileCase{class: "array syntax ?" + name, kind: "array syntax", query: name + "[]=a&" + name + "[x]=b"},
		)
	}
	out = append(out,
		hostileCase{class: "unknown query parameter with NUL", query: "hostile%00=1"},
		hostileCase{class: "unknown query parameter with invalid UTF-8", query: "%ff%fe=%c0%af"},
		hostileCase{class: "query of 1,000 parameters", query: strings.Repeat("a=1&", 1000)},
	)
	return out
}

func pathName(path []any) string {
	var b strings.Builder
	for i, p := range path {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			if v == rawMark {
				v = "<raw>"
			}
			if len(v) > 40 {
				v = v[:40] + "…"
			}
			b.WriteString(v)
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// present tells whether v has a value at path.
func present(v any, path []any) bool {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			key, _ := p.(string)
			next, ok := c[key]
			if !ok {
				return false
			}
			v = next
		case []any:
			i, _ := p.(int)
			if i >= len(c) {
				return false
			}
			v = c[i]
		default:
			return false
		}
	}
	return true
}

// with returns a deep copy of v with the value at path set.
func with(v any, path []any, value any) any {
	if len(path) == 0 {
		return value
	}
	switch c := v.(type) {
	case map[string]any:
		m := clone(c)
		key, _ := path[0].(string)
		m[key] = with(c[key], path[1:], value)
		return m
	case []any:
		s := slices.Clone(c)
		i, _ := path[0].(int)
		if i < len(s) {
			s[i] = with(s[i], path[1:], value)
		}
		return s
	}
	// The path goes below a leaf (a map's new key): build it.
	if key, ok := path[0].(string); ok {
		return map[string]any{key: with(nil, path[1:], value)}
	}
	return []any{with(nil, path[1:], value)}
}

// without returns a deep copy of v without the value at path.
func without(v any, path []any) any {
	switch c := v.(type) {
	case map[string]any:
		m := clone(c)
		key, _ := path[0].(string)
		if len(path) == 1 {
			delete(m, key)
		} else {
			m[key] = without(c[key], path[1:])
		}
		return m
	case []any:
		s := slices.Clone(c)
		i, _ := path[0].(int)
		if i >= len(s) {
			return s
		}
		if len(path) == 1 {
			return append(s[:i], s[i+1:]...)
		}
		s[i] = without(s[i], path[1:])
		return s
	}
	return v
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func repeat(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("hostile generator: %v", err)) // values built here always marshal
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// replaceRaw puts raw in place of the marked value: the quoted mark for a
// value (so raw is a whole JSON value), the bare mark inside a key.
func replaceRaw(body []byte, raw string) []byte {
	quoted := []byte(`"` + rawMark + `"`)
	if bytes.Contains(body, quoted) && !strings.HasPrefix(raw, `\u`) && !isTextPayload(raw) {
		return bytes.ReplaceAll(body, quoted, []byte(raw))
	}
	return bytes.ReplaceAll(body, []byte(rawMark), []byte(raw))
}

// isTextPayload tells a raw text payload (bytes to put inside a string)
// from a raw JSON value (a number, an object) to put instead of it.
func isTextPayload(raw string) bool {
	if raw == "" {
		return true
	}
	return !json.Valid([]byte(raw))
}

func sortedSchemaKeys(m openapi3.Schemas) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// withQuery joins a path and a raw query.
func withQuery(path, query string) string {
	if query == "" {
		return path
	}
	return path + "?" + query
}

// escapePathParam keeps a hostile id's escapes but escapes what would end
// the path segment.
func escapePathParam(v string) string {
	if strings.Contains(v, "%") {
		return v
	}
	return url.PathEscape(v)
}
