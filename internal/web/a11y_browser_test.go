//go:build !noui

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kurz/internal/testkit"
)

// TestBrowserAccessibility checks the main pages, at phone and desktop size, as a person
// with low vision or a screen reader meets them: every visible piece of text has WCAG AA
// contrast against what is really painted behind it (4.5:1, or 3:1 for large text), every
// control has an accessible name, and with prefers-reduced-motion the app stops moving.
//
// The background behind text is measured, not guessed from CSS: the page is captured with
// all text made transparent, and each line of text is compared with the pixels under it.
// That covers text over video (the feed's overlay), over images and over translucent
// layers alike. The lightest (or, for dark text, the darkest) 5% of those pixels count, so
// a caption must stay readable over the brightest part of the frame behind it.
func TestBrowserAccessibility(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	maya := app.Client()
	maya.SignUp("maya")
	if r := maya.Do("PATCH", "/api/v1/me", map[string]any{"display_name": "Maya Lind", "bio": "Dancer in Lisbon. #dance with @maya"}); r.Status != http.StatusOK {
		t.Fatalf("profile: %d %s", r.Status, r.Body)
	}
	// The clip is colour bars, with yellow and cyan among the brightest colours a video
	// has: text over it must be made readable by the overlay, not by luck.
	video := postClip(t, app, maya, feedClip, "Sunrise session on the beach, take two #sunrise #dance with @maya", "public", false)
	// For You leaves out what a viewer has watched: enough videos for every visit below.
	for i := 0; i < 7; i++ {
		postClip(t, app, maya, feedClip, fmt.Sprintf("Sunrise session %d, the long version of the caption #sunrise #dance with @maya", i), "public", false)
	}
	maya.Do("POST", "/api/v1/videos/"+video+"/comments", map[string]any{"body": "First!"})
	catchUp(t, app)
	viewer := app.Client()
	viewer.SignUp("viewer")

	b := newBrowser(t, app.Server.URL)
	b.logIn("viewer")
	pages := []struct {
		name  string
		path  string
		ready string
		setup func()
	}{
		{"feed", "/", `(() => { const v = document.querySelector('.slide video'); return v && v.readyState >= 2; })()`, func() {
			b.click(".slide .why-btn")
			b.wait("the reason", `document.querySelector('.slide .why-text')?.hidden === false`)
			b.holdFrame()
		}},
		{"profile", "/@maya", `document.querySelector('.video-grid .tile') !== null && document.querySelector('#profile-bio') !== null`, func() {
			b.wait("the thumbnail", `[...document.querySelectorAll('.tile video')].every(v => v.readyState >= 2)`)
		}},
		{"settings", "/settings", `document.querySelector('#personalised-switch') !== null && document.querySelector('.session') !== null`, nil},
		{"upload", "/upload", `document.querySelector('#upload-file') !== null`, nil},
		{"upload-details", "/upload", `document.querySelector('#upload-file') !== null`, func() {
			b.do("choose a clip", chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{filepath.Join(testkit.MediaDir(t), feedClip)}))
			b.wait("the details", `document.querySelector('.upload-preview-video')?.readyState >= 2`)
			b.holdFrame()
		}},
		{"search", "/search?q=ma", `document.querySelector('.search-results .section-title') !== null`, func() {
			b.wait("the thumbnail", `[...document.querySelectorAll('.tile video')].every(v => v.readyState >= 2)`)
		}},
		{"hashtag", "/tag/sunrise", `document.querySelector('#tag-videos .tile') !== null`, nil},
		{"ranking", "/ranking", `document.querySelector('#ranking-params') !== null`, nil},
	}
	for _, s := range []screen{phone, desktop} {
		b.resize(s)
		for _, p := range pages {
			b.open(p.path)
			b.wait(p.name, p.ready)
			if p.setup != nil {
				p.setup()
			}
			where := p.name + " (" + s.name + ")"
			n, failures := b.contrast()
			if n == 0 {
				t.Errorf("%s: no text found to check", where)
			}
			for _, f := range failures {
				t.Errorf("%s: contrast %s", where, f)
			}
			for _, f := range b.unnamedControls() {
				t.Errorf("%s: a control without an accessible name: %s", where, f)
			}
		}
	}

	// prefers-reduced-motion: the app's transitions and animations stop, a swipe jumps
	// instead of scrolling smoothly, and the like's heart stays still.
	b.resize(phone)
	b.emulateMedia("prefers-reduced-motion", "reduce")
	b.open("/")
	b.wait("the video", `document.querySelector('.slide video')?.readyState >= 2`)
	if !evalAs[bool](b, `matchMedia('(prefers-reduced-motion: reduce)').matches`) {
		t.Fatal("the emulated preference did not reach the page")
	}
	moving := evalAs[[]string](b, `[...document.querySelectorAll('body *')].filter(el => !el.matches('.spinner, .spinner *')).flatMap(el => {
		const cs = getComputedStyle(el), long = (v) => v.split(',').some(d => parseFloat(d) * (d.trim().endsWith('ms') ? 1 : 1000) > 1);
		return (cs.animationName !== 'none' && long(cs.animationDuration)) || long(cs.transitionDuration) ? [el.tagName.toLowerCase() + '.' + [...el.classList].join('.')] : [];
	})`)
	if len(moving) != 0 {
		t.Errorf("with reduced motion these still animate or transition: %v", moving)
	}
	b.wait("two videos", `document.querySelectorAll('.slide').length >= 2`)
	jumped := evalAs[bool](b, `new Promise((resolve) => {
		const feed = document.querySelector('.vfeed'), target = document.querySelectorAll('.slide')[1].offsetTop;
		document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowDown', bubbles: true}));
		requestAnimationFrame(() => requestAnimationFrame(() => resolve(Math.abs(feed.scrollTop - target) < 2)));
	})`)
	if !jumped {
		t.Error("with reduced motion a swipe should jump to the next video, not scroll smoothly")
	}
	x, y := b.center(`.slide:nth-child(2) .tap-layer`)
	b.do("double tap", chromedp.MouseClickXY(x, y), chromedp.MouseClickXY(x, y))
	b.wait("the heart", `document.querySelector('.slide:nth-child(2) .burst') !== null`)
	if anim := evalAs[string](b, `getComputedStyle(document.querySelector('.slide:nth-child(2) .burst')).animationName`); anim != "none" {
		t.Errorf("with reduced motion the heart animates (%s)", anim)
	}
	// Without the preference the same swipe is smooth, so the check above can tell.
	b.emulateMedia("prefers-reduced-motion", "no-preference")
	b.open("/")
	b.wait("two videos", `document.querySelectorAll('.slide').length >= 2`)
	b.do("swipe", chromedp.KeyEvent(kb.ArrowDown))
	b.wait("the smooth scroll to finish", `Math.abs(document.querySelector('.vfeed').scrollTop - document.querySelectorAll('.slide')[1].offsetTop) < 2`)
}

// holdFrame pauses every video on the same frame, so the pixels behind text stay put.
func (b *browser) holdFrame() {
	b.t.Helper()
	evalAs[bool](b, `Promise.all([...document.querySelectorAll('video')].filter(v => v.readyState >= 1).map(v => new Promise((resolve) => {
		v.pause();
		if (Math.abs(v.currentTime - 1) < 0.01) { resolve(); return; }
		v.addEventListener('seeked', () => resolve(), {once: true});
		v.currentTime = 1;
	}))).then(() => true)`)
}

// textBox is one line of text on screen, in CSS pixels of the viewport.
type textBox struct {
	Text    string  `json:"text"`
	Path    string  `json:"path"`
	Color   string  `json:"color"`
	Opacity float64 `json:"opacity"`
	Size    float64 `json:"size"`
	Weight  int     `json:"weight"`
	L       float64 `json:"l"`
	T       float64 `json:"t"`
	R       float64 `json:"r"`
	B       float64 `json:"b"`
}

// collectText finds every visible line of text in the viewport: text nodes clipped by
// their scrolling and overflow-hidden ancestors, and left out where something else covers
// them (the tab bar over a scrolled page).
const collectText = `(() => {
	const vw = innerWidth, vh = innerHeight, out = [];
	const pathOf = (el) => { const p = []; for (let a = el; a && a !== document.body && p.length < 4; a = a.parentElement)
		p.unshift(a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') + (a.classList.length ? '.' + [...a.classList].join('.') : '')); return p.join(' > '); };
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = walker.nextNode());) {
		if (!n.data.trim()) continue;
		const el = n.parentElement;
		// Disabled controls and logotypes are exempt from the contrast rule.
		if (!el || el.closest('video, script, style, noscript, [hidden], :disabled, [aria-disabled="true"], .brand, .auth-brand')) continue;
		if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
		let op = 1, clip = {l: 0, t: 0, r: vw, b: vh};
		for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
			const cs = getComputedStyle(a);
			op *= parseFloat(cs.opacity);
			if (a !== el && (cs.overflowX !== 'visible' || cs.overflowY !== 'visible')) {
				const r = a.getBoundingClientRect();
				clip = {l: Math.max(clip.l, r.left), t: Math.max(clip.t, r.top), r: Math.min(clip.r, r.right), b: Math.min(clip.b, r.bottom)};
			}
		}
		if (op < 0.05) continue;
		const cs = getComputedStyle(el);
		const range = document.createRange();
		range.selectNodeContents(n);
		for (const q of range.getClientRects()) {
			const l = Math.max(q.left, clip.l), t = Math.max(q.top, clip.t), r = Math.min(q.right, clip.r), b = Math.min(q.bottom, clip.b);
			if (r - l < 4 || b - t < 4) continue;
			const hit = document.elementFromPoint((l + r) / 2, (t + b) / 2);
			if (!hit || !(el.contains(hit) || hit.contains(el))) continue;
			out.push({text: n.data.trim().slice(0, 48), path: pathOf(el), color: cs.color, opacity: op,
				size: parseFloat(cs.fontSize), weight: parseInt(cs.fontWeight, 10) || 400, l, t, r, b});
		}
	}
	return out;
})()`

// contrast checks every line of text on the page, scrolling through it a screen at a
// time, and returns how many lines it checked and a description of each failure.
func (b *browser) contrast() (int, []string) {
	b.t.Helper()
	vh := evalAs[float64](b, `innerHeight`)
	height := evalAs[float64](b, `document.documentElement.scrollHeight`)
	seen := map[string]bool{}
	var failures []string
	checked := 0
	for y := 0.0; ; y += math.Floor(vh * 0.85) {
		evalAs[bool](b, fmt.Sprintf(`(window.scrollTo(0, %g), new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))`, y))
		boxes := evalAs[[]textBox](b, collectText)
		evalAs[bool](b, `(() => { const s = new CSSStyleSheet();
			s.replaceSync('*, *::before, *::after, *::placeholder { color: transparent !important; -webkit-text-fill-color: transparent !important; text-shadow: none !important; caret-color: transparent !important; text-decoration-color: transparent !important; }');
			window.__noText = s; document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
			return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))); })()`)
		ctx, cancel := context.WithTimeout(b.ctx, step)
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		evalAs[bool](b, `(document.adoptedStyleSheets = document.adoptedStyleSheets.filter(s => s !== window.__noText), true)`)
		if err != nil {
			b.t.Fatalf("screenshot for contrast: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			b.t.Fatal(err)
		}
		scale := float64(img.Bounds().Dx()) / evalAs[float64](b, `innerWidth`)
		for _, box := range boxes {
			fg, ok := parseColor(box.Color)
			if !ok {
				b.t.Errorf("cannot read the colour %q of %q", box.Color, box.Text)
				continue
			}
			fg[3] *= box.Opacity
			ratio, bg := worstContrast(img, scale, box, fg)
			checked++
			large := box.Size >= 24 || (box.Size >= 18.66 && box.Weight >= 700)
			need := 4.5
			if large {
				need = 3
			}
			key := box.Path + "|" + box.Text
			if ratio < need && !seen[key] {
				seen[key] = true
				failures = append(failures, fmt.Sprintf("%.2f:1 (need %.1f) for %q at %s, text %s over rgb(%d %d %d)",
					ratio, need, box.Text, box.Path, box.Color, bg[0], bg[1], bg[2]))
			}
		}
		if y+vh >= height-1 {
			break
		}
	}
	return checked, failures
}

// worstContrast compares the text colour, blended by its alpha, with the pixels behind the
// text: among them, the 5% most like the text colour (the lightest behind light text, the
// darkest behind dark text) decide.
func worstContrast(img image.Image, scale float64, box textBox, fg [4]float64) (float64, [3]uint8) {
	r := image.Rect(int(box.L*scale), int(box.T*scale), int(math.Ceil(box.R*scale)), int(math.Ceil(box.B*scale))).Intersect(img.Bounds())
	type px struct {
		c   [3]uint8
		lum float64
	}
	var pixels []px
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)}
			pixels = append(pixels, px{c, luminance(float64(c[0]), float64(c[1]), float64(c[2]))})
		}
	}
	if len(pixels) == 0 {
		return 21, [3]uint8{}
	}
	sort.Slice(pixels, func(i, j int) bool { return pixels[i].lum < pixels[j].lum })
	median := pixels[len(pixels)/2]
	textLum := luminance(blend(fg, median.c))
	worst := pixels[len(pixels)*95/100]
	if textLum < median.lum {
		worst = pixels[len(pixels)*5/100]
	}
	t := luminance(blend(fg, worst.c))
	hi, lo := max(t, worst.lum), min(t, worst.lum)
	return (hi + 0.05) / (lo + 0.05), worst.c
}

// blend puts a translucent colour over an opaque one, in sRGB as browsers composite.
func blend(fg [4]float64, bg [3]uint8) (float64, float64, float64) {
	a := fg[3]
	return fg[0]*a + float64(bg[0])*(1-a), fg[1]*a + float64(bg[1])*(1-a), fg[2]*a + float64(bg[2])*(1-a)
}

// luminance is WCAG's relative luminance of an sRGB colour with 0-255 channels.
func luminance(r, g, b float64) float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

var colorRE = regexp.MustCompile(`^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$`)

// parseColor reads a computed colour, rgb() or rgba(), as 0-255 channels and an alpha.
func parseColor(s string) ([4]float64, bool) {
	m := colorRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return [4]float64{}, false
	}
	var c [4]float64
	for i := 0; i < 3; i++ {
		c[i], _ = strconv.ParseFloat(m[i+1], 64)
	}
	c[3] = 1
	if m[4] != "" {
		if strings.HasSuffix(m[4], "%") {
			v, _ := strconv.ParseFloat(strings.TrimSuffix(m[4], "%"), 64)
			c[3] = v / 100
		} else {
			c[3], _ = strconv.ParseFloat(m[4], 64)
		}
	}
	return c, true
}

// interactiveRoles are the roles a person operates, each of which needs a name.
var interactiveRoles = []string{"button", "link", "switch", "checkbox", "radio", "textbox", "searchbox", "combobox",
	"slider", "spinbutton", "tab", "menuitem", "option", "listbox"}

// unnamedControls asks Chromium's accessibility tree, the one screen readers read, for
// controls with an empty accessible name.
func (b *browser) unnamedControls() []string {
	b.t.Helper()
	var out []string
	b.do("read the accessibility tree", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		tree, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return err
		}
		for _, n := range tree.Nodes {
			if n.Ignored || n.Role == nil {
				continue
			}
			var role, name string
			_ = json.Unmarshal(n.Role.Value, &role)
			if n.Name != nil {
				_ = json.Unmarshal(n.Name.Value, &name)
			}
			if !slices.Contains(interactiveRoles, role) || strings.TrimSpace(name) != "" {
				continue
			}
			desc := role
			if n.BackendDOMNodeID != 0 {
				if d, err := chromedp.Call(ctx, dom.DescribeNode, dom.DescribeNodeParams{BackendNodeID: n.BackendDOMNodeID}); err == nil && d.Node != nil {
					desc = fmt.Sprintf("%s <%s %s>", role, strings.ToLower(d.Node.NodeName), strings.Join(d.Node.Attributes, " "))
				}
			}
			out = append(out, desc)
		}
		return nil
	}))
	return out
}

// emulateMedia sets a CSS media feature, such as prefers-reduced-motion, for the page.
func (b *browser) emulateMedia(name, value string) {
	b.t.Helper()
	b.do("emulate "+name+": "+value, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: name, Value: value}}})
		return err
	}))
}
