// Package browsertest drives the officials' pages in headless Chromium
// against the whole system (systemtest): pages, API, worker, database and
// mail sink, each run starting where an official starts, from a link in a
// mail the sink received.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/system/systemtest"
	"github.com/openimi/openimi/system/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const chromiumPath = "/usr/bin/chromium"

// browser is one fresh headless Chromium (its own profile: no cookie
// survives from another test) pointed at a system under test.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	sys  *systemtest.System
	axe  string
	shot string
}

func newBrowser(t *testing.T, sys *systemtest.System) *browser {
	t.Helper()
	return newBrowserIn(t, sys, "en")
}

// newBrowserIn is a browser whose Accept-Language is lang.
func newBrowserIn(t *testing.T, sys *systemtest.System, lang string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's chromium at %s (apt-get install chromium): %v", chromiumPath, err)
	}
	axe, err := os.ReadFile(axePath(t))
	if err != nil {
		t.Fatalf("axe-core: %v (make test fetches it; or set OPENIMI_AXE_JS)", err)
	}
	// The pages are served on loopback over http while PUBLIC_URL is
	// https, so their cookies are Secure and __Host-: Chromium keeps such
	// cookies from http://localhost, a secure context.
	base := strings.Replace(sys.URL, "127.0.0.1", "localhost", 1)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("accept-lang", lang),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: base, sys: sys, axe: string(axe), shot: screenshotDir(t)}
}

// axePath is axe.min.js as make test fetched it into the tools cache.
func axePath(t *testing.T) string {
	if p := os.Getenv("OPENIMI_AXE_JS"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(cache, "openimi", "tools", "axe-core-*", "axe.min.js"))
	if len(matches) == 0 {
		return filepath.Join(cache, "openimi", "tools", "axe-core", "axe.min.js")
	}
	return matches[len(matches)-1]
}

// screenshotDir keeps the screenshots of a run: OPENIMI_SCREENSHOTS when
// set (to pick some for docs/), else the test's temporary folder.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("OPENIMI_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func (b *browser) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// value runs an action that reads something.
func value[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// open goes to a path of the system, or to a link from a mail (whose host
// is PUBLIC_URL's, which the test serves at its own address).
func (b *browser) open(link string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.url(link)), chromedp.WaitReady(chromedp.CSS("body")))
}

func (b *browser) url(link string) string {
	if i := strings.Index(link, "://"); i >= 0 {
		rest := link[i+3:]
		if j := strings.Index(rest, "/"); j >= 0 {
			return b.base + rest[j:]
		}
		return b.base + "/"
	}
	return b.base + link
}

// path is where the browser is, without host.
func (b *browser) path() string {
	b.t.Helper()
	return strings.TrimPrefix(value(b, chromedp.Location()), b.base)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return value(b, chromedp.Text(chromedp.CSS(sel)))
}

// fill types into the fields, each given as its name and value.
func (b *browser) fill(pairs ...string) {
	b.t.Helper()
	b.fillIn("main", pairs...)
}

// fillIn types into the fields of the form scope selects.
func (b *browser) fillIn(scope string, pairs ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		css := fmt.Sprintf(`%s [name=%q]`, scope, pairs[i])
		// Typed key by key where the keyboard can (as an official types);
		// set whole where it cannot (chromedp's keys lack "ą", "ß", ...).
		if isASCII(pairs[i+1]) {
			b.run(
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, css)),
				chromedp.SendKeys(chromedp.CSS(css), pairs[i+1]),
			)
			continue
		}
		value, _ := json.Marshal(pairs[i+1])
		b.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = %s`, css, value)))
	}
}

// submit clicks a button and waits for the next page.
func (b *browser) submit(sel string) {
	b.t.Helper()
	// The old document is marked, so that the wait ends on the new one even
	// when it has the same address (a form shown again with its errors).
	b.run(chromedp.Evaluate[chromedp.Void](`window.openimiOldPage = true`), chromedp.Click(chromedp.CSS(sel)))
	b.waitForNewPage()
}

// waitForNewPage waits until the marked document has been replaced by a
// loaded one. While the browser navigates, the old document's context goes
// away under the evaluation; that error only means "not yet".
func (b *browser) waitForNewPage() {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.openimiOldPage === undefined && document.readyState === "complete"`))
		if err == nil && loaded {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the next page did not load: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check runs axe-core over the page and fails on any serious or critical
// violation, then saves a screenshot under name.
func (b *browser) check(name string) {
	b.t.Helper()
	var res struct {
		Violations []struct {
			ID     string `json:"id"`
			Impact string `json:"impact"`
			Help   string `json:"help"`
			Nodes  []struct {
				Target []any `json:"target"`
			} `json:"nodes"`
		} `json:"violations"`
	}
	b.run(chromedp.Evaluate[chromedp.Void](b.axe))
	encoded := value(b, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify({violations: r.violations}))`, chromedp.EvalAwaitPromise))
	if err := json.Unmarshal([]byte(encoded), &res); err != nil {
		b.t.Fatalf("axe result: %v", err)
	}
	for _, v := range res.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("page %s (%s): axe %s violation %s: %s at %v", name, b.path(), v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
	png := value(b, chromedp.FullScreenshot(100))
	file := filepath.Join(b.shot, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", file)
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// mailLink waits for a mail to the address whose link contains want and
// returns that link.
func mailLink(t *testing.T, sys *systemtest.System, to, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, m := range sys.Mail.Messages(t, to) {
			full := sys.Mail.Message(t, m.ID)
			for _, l := range linkPattern.FindAllString(full.Text, -1) {
				if strings.Contains(l, want) {
					return l
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with a link to %s", to, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pageStatus opens a path and returns the HTTP status the page came with.
func pageStatus(t *testing.T, b *browser, path string) int {
	t.Helper()
	resp := value(b, chromedp.NavigateResponse(b.url(path)))
	if resp == nil {
		t.Fatalf("no response for %s", path)
	}
	return int(resp.Status)
}

// openAction unfolds the form of one of the request's actions.
func (b *browser) openAction(action string) {
	b.t.Helper()
	form := `form[action$="/actions/` + action + `"], form[action$="/coordination/` + action + `"]`
	if !value(b, chromedp.Evaluate[bool](`!!document.querySelector('`+form+`')`)) {
		b.t.Fatalf("no form for %s at %s; the page reads %q", action, b.path(), b.text("main"))
	}
	b.run(chromedp.Click(chromedp.CSS(`details:has(` + form + `) summary`)))
}

// fillAction types into the fields of an action's form.
func (b *browser) fillAction(action string, pairs ...string) {
	b.t.Helper()
	b.fillIn(`form[action$="/actions/`+action+`"]`, pairs...)
}

// act posts one of the request's actions from its form.
func (b *browser) act(action string) {
	b.t.Helper()
	b.submit(`form[action$="/actions/` + action + `"] button[type=submit]`)
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > 127 {
			return false
		}
	}
	return true
}

func jsonOf(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}
