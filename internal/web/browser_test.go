//go:build !noui

package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"kurz/internal/testkit"
)

// The browser tests drive Debian's Chromium through chromedp against a real kurz. Without
// Chromium they skip, except under CI (or KURZ_TEST_REQUIRE_BROWSER=1), where a missing
// browser is a failure: the client must never go untested there.

func requireBrowser() bool {
	return os.Getenv("KURZ_TEST_REQUIRE_BROWSER") == "1" || os.Getenv("CI") != ""
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KURZ_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if requireBrowser() {
		t.Fatal("Chromium is required under CI but was not found; install it with `apt-get install -y chromium`")
	}
	t.Skip("browser test skipped: Chromium not found (apt-get install -y chromium)")
	return ""
}

// browser is one headless Chromium with one tab, pointed at a kurz.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(1440, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base}
	// The first Run starts the browser; it must not carry a timeout (see chromedp.Run).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(b.checkConsole)
	return b
}

// checkConsole fails the test on anything the page should never say: an uncaught
// exception, or a refusal by the Content-Security-Policy or Trusted Types, which would
// mean the client relies on something the policy forbids.
func (b *browser) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		text := m.Text
		if m.Exception != nil && m.Exception.Exception != nil && m.Exception.Exception.Description != "" {
			text = m.Exception.Exception.Description
		}
		switch {
		case m.IsException():
			b.t.Errorf("uncaught exception in the page: %s (%s:%d)", text, m.URL, m.Line)
		case m.Source == "security", strings.Contains(text, "Content Security Policy"), strings.Contains(text, "Trusted Type"):
			b.t.Errorf("the page broke its security policy: %s", text)
		}
	}
}

const step = 15 * time.Second

// do runs actions with a time limit, failing the test with what was being done.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v%s", what, err, b.pageState())
	}
}

// pageState describes the page for a failure message.
func (b *browser) pageState() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search + " | " + (document.querySelector('main') || document.body).innerText.slice(0, 400).replace(/\s+/g, ' ')`))
	if err != nil {
		return ""
	}
	return "\n  page: " + s
}

func evalAs[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v%s", js, err, b.pageState())
	}
	return v
}

// wait polls a JavaScript condition until it is true.
func (b *browser) wait(what, cond string) {
	b.t.Helper()
	b.do("wait for "+what, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingTimeout(step-time.Second), chromedp.WithPollingInterval(25*time.Millisecond)))
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.wait("the app to start", `document.querySelector('#app.app') !== null`)
}

func (b *browser) path() string {
	return evalAs[string](b, `location.pathname`)
}

type screen struct {
	name          string
	width, height int64
	scale         float64
}

var (
	phone   = screen{"phone", 390, 844, 2}
	desktop = screen{"desktop", 1440, 900, 1}
)

func (b *browser) resize(s screen) {
	b.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(s.scale)}
	if s.name == "phone" {
		opts = append(opts, chromedp.EmulateMobile)
	}
	b.do("resize to "+s.name, chromedp.EmulateViewport(s.width, s.height, opts...))
}

// shot saves a screenshot of the viewport to artifacts/NAME.png and checks that it shows
// something: a blank or single-colour image means the page did not render.
func (b *browser) shot(name string) string {
	b.t.Helper()
	// Let fonts, images and transitions settle so the picture shows the finished page.
	b.wait("images to load", `[...document.images].every(i => i.complete)`)
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := checkNotBlank(buf); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
	dir := artifactsDir(b.t)
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatalf("save screenshot: %v", err)
	}
	b.t.Logf("screenshot %s", p)
	return p
}

// checkNotBlank decodes a PNG and demands real content: enough spread in brightness and
// enough distinct colours that it cannot be an empty or half-painted page.
func checkNotBlank(pngBytes []byte) error {
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return fmt.Errorf("not a PNG: %w", err)
	}
	bounds := img.Bounds()
	if bounds.Dx() < 100 || bounds.Dy() < 100 {
		return fmt.Errorf("only %dx%d pixels", bounds.Dx(), bounds.Dy())
	}
	var n, sum, sumSq float64
	colours := map[uint32]bool{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			lum := 0.2126*float64(r>>8) + 0.7152*float64(g>>8) + 0.0722*float64(bl>>8)
			n++
			sum += lum
			sumSq += lum * lum
			colours[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	mean := sum / n
	stddev := math.Sqrt(math.Max(sumSq/n-mean*mean, 0))
	if stddev < 8 || len(colours) < 12 {
		return fmt.Errorf("looks blank: brightness deviation %.1f, %d distinct colours", stddev, len(colours))
	}
	return nil
}

// artifactsDir is <repo>/artifacts, found by walking up to go.mod.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "artifacts")
	if err := os.MkdirAll(out, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	return out
}

// writePNG writes a square test picture with a gradient and a disc, like a real photo
// as far as the avatar pipeline cares.
func writePNG(t *testing.T, size int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := color.RGBA{uint8(40 + x*180/size), uint8(60 + y*120/size), 160, 255}
			dx, dy := x-size/2, y-size/2
			if dx*dx+dy*dy < size*size/9 {
				c = color.RGBA{250, 210, 170, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "face.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// click scrolls an element to the middle of the screen, where no fixed bar covers it,
// and clicks it as a person would.
func (b *browser) click(css string) {
	b.t.Helper()
	b.wait("element "+css, fmt.Sprintf(`(() => { const el = document.querySelector(%q);
		if (!el) return false; el.scrollIntoView({block: 'center', inline: 'center'}); return true; })()`, css))
	b.do("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// fill empties a field and types text into it.
func (b *browser) fill(id, text string) {
	b.t.Helper()
	b.do("empty #"+id, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.getElementById(%q);
		el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); })()`, id)))
	b.do("type into #"+id, chromedp.SendKeys(chromedp.ID(id), text))
}

// logIn logs in through the log-in page and waits for the app to know it.
func (b *browser) logIn(username string) {
	b.t.Helper()
	b.open("/login")
	b.fill("username", username)
	b.fill("password", testkit.Password)
	b.click(`form button[type=submit]`)
	b.wait("logged in as "+username, `document.querySelector('#nav-login') === null && location.pathname !== '/login'`)
}

// cutNetwork makes requests whose URL matches the pattern fail as if offline; with no
// pattern it restores the network.
func (b *browser) cutNetwork(pattern string) {
	b.t.Helper()
	rules := []*network.Conditions{}
	if pattern != "" {
		rules = append(rules, &network.Conditions{URLPattern: pattern, Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
	}
	b.do("network conditions", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
		return err
	}))
}
