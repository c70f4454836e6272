//go:build !noui

package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kurz/internal/testkit"
)

// TestBrowserCaptionSuggestions types a caption on the upload page by keyboard alone:
// #ab lists the hashtags in use that start so, @al the accounts; arrows move through the
// list, Enter and Tab take a suggestion, Escape closes the list, and the focus never
// leaves the caption. A click takes one too.
func TestBrowserCaptionSuggestions(t *testing.T) {
	app := testkit.NewAppNoWorkers(t, sqlite, nil)
	alice := app.Client()
	alice.SignUp("alice")
	if r := alice.Do("PATCH", "/api/v1/me", map[string]any{"display_name": "Alice Liddell"}); r.Status != http.StatusOK {
		t.Fatalf("display name: %d %s", r.Status, r.Body)
	}
	app.Client().SignUp("albert")
	app.Client().SignUp("bob")
	// Hashtags exist once public videos use them: #abba twice, so it comes first.
	for _, caption := range []string{"first #abba", "second #abba #abstract", "third #zebra"} {
		postClip(t, app, alice, feedClip, caption, "public", false)
	}
	app.Client().SignUp("maker")

	b := newBrowser(t, app.Server.URL)
	b.resize(desktop)
	b.logIn("maker")
	b.open("/upload")
	b.wait("the drop zone", `document.querySelector('#upload-file') !== null`)
	b.do("choose a clip", chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{filepath.Join(testkit.MediaDir(t), feedClip)}))
	b.wait("the caption", `document.querySelector('#caption') !== null`)
	if got := evalAs[[]string](b, `(() => { const c = document.querySelector('#caption');
		return [c.getAttribute('aria-autocomplete'), document.getElementById(c.getAttribute('aria-controls'))?.getAttribute('role')]; })()`); !slices.Equal(got, []string{"list", "listbox"}) {
		t.Errorf("the caption's [aria-autocomplete, role of what it controls] = %q, want [list listbox]", got)
	}

	// #ab: the two hashtags that start so, the first one highlighted.
	b.do("type a hashtag", chromedp.SendKeys(chromedp.ID("caption"), "Dancing #ab"))
	b.wait("hashtag suggestions", `!document.querySelector('#caption-suggestions').hidden`)
	tags := b.options()
	if sorted := slices.Sorted(slices.Values(tags)); !slices.Equal(sorted, []string{"#abba", "#abstract"}) {
		t.Fatalf("suggestions for #ab: %q, want #abba and #abstract", tags)
	}
	b.assertActive(0)
	b.do("down", chromedp.KeyEvent(kb.ArrowDown))
	b.assertActive(1)
	b.do("down again, wrapping", chromedp.KeyEvent(kb.ArrowDown))
	b.assertActive(0)
	b.do("up, wrapping", chromedp.KeyEvent(kb.ArrowUp))
	b.assertActive(1)
	b.shot("caption-suggest-hashtags-desktop")
	b.pressEnter()
	b.wait("the list to close", `document.querySelector('#caption-suggestions').hidden`)
	b.assertCaption("Dancing " + tags[1] + " ")

	// @al: the accounts; Escape closes the list and keeps the text, and more letters of the
	// same name do not bring it back.
	b.do("type a mention", chromedp.SendKeys(chromedp.ID("caption"), "with @al"))
	b.wait("account suggestions", `document.querySelectorAll('#caption-suggestions [role=option]').length === 2`)
	if got := slices.Sorted(slices.Values(b.options())); !slices.Equal(got, []string{"@albert", "@alice"}) {
		t.Fatalf("suggestions for @al: %q, want @albert and @alice", got)
	}
	if !evalAs[bool](b, `document.querySelector('#caption-suggestions [data-value="@alice"]').textContent.includes('Alice Liddell')`) {
		t.Error("the suggestion for @alice does not show her name")
	}
	b.do("close", chromedp.KeyEvent(kb.Escape))
	b.wait("the list to close", `document.querySelector('#caption-suggestions').hidden`)
	b.assertCaption("Dancing " + tags[1] + " with @al")
	b.do("more of the name", chromedp.SendKeys(chromedp.ID("caption"), "i"))
	b.do("let a lookup happen if it would", chromedp.Sleep(400*time.Millisecond))
	if open := evalAs[bool](b, `!document.querySelector('#caption-suggestions').hidden`); open {
		t.Error("the list came back for the name it was closed on")
	}
	// A new mention opens it again; Tab takes the highlighted one.
	b.do("type another mention", chromedp.SendKeys(chromedp.ID("caption"), " and @ali"))
	b.wait("account suggestions", `document.querySelectorAll('#caption-suggestions [role=option]').length === 1`)
	b.do("take it by Tab", chromedp.KeyEvent(kb.Tab))
	b.wait("the list to close", `document.querySelector('#caption-suggestions').hidden`)
	b.assertCaption("Dancing " + tags[1] + " with @ali and @alice ")

	// A click takes a suggestion as well.
	b.do("type a third hashtag", chromedp.SendKeys(chromedp.ID("caption"), "#ze"))
	b.wait("one suggestion", `document.querySelectorAll('#caption-suggestions [role=option]').length === 1`)
	b.click(`#caption-suggestions [role=option]`)
	b.wait("the list to close", `document.querySelector('#caption-suggestions').hidden`)
	b.assertCaption("Dancing " + tags[1] + " with @ali and @alice #zebra ")

	// Nothing matches: no list.
	b.do("type an unknown hashtag", chromedp.SendKeys(chromedp.ID("caption"), "#qqq"))
	b.wait("the lookup", `document.querySelector('.upload-form [role=status]')?.textContent === 'No suggestions.'`)
	if open := evalAs[bool](b, `!document.querySelector('#caption-suggestions').hidden`); open {
		t.Error("an empty list is open")
	}
}

// options is what each suggestion shown would insert.
func (b *browser) options() []string {
	return evalAs[[]string](b, `[...document.querySelectorAll('#caption-suggestions [role=option]')].map(o => o.dataset.value)`)
}

// assertActive checks that option i is the highlighted one, as the caption says to
// assistive technology, and that the focus is still in the caption.
func (b *browser) assertActive(i int) {
	b.t.Helper()
	got := evalAs[[]any](b, `(() => { const c = document.querySelector('#caption');
		const opts = [...document.querySelectorAll('#caption-suggestions [role=option]')];
		const sel = opts.findIndex(o => o.getAttribute('aria-selected') === 'true');
		return [sel, opts.findIndex(o => o.id === c.getAttribute('aria-activedescendant')), document.activeElement === c]; })()`)
	if len(got) != 3 || got[0] != float64(i) || got[1] != float64(i) || got[2] != true {
		b.t.Fatalf("[selected option, aria-activedescendant option, focus in the caption] = %v, want [%d %d true]", got, i, i)
	}
}

func (b *browser) assertCaption(want string) {
	b.t.Helper()
	if got := evalAs[string](b, `document.querySelector('#caption').value`); got != want {
		b.t.Fatalf("caption %q, want %q", got, want)
	}
	if focused := evalAs[bool](b, `document.activeElement === document.querySelector('#caption')`); !focused {
		b.t.Errorf("the focus left the caption")
	}
}

// pressEnter presses Enter as a keyboard does: one key-down that carries its text, so that
// a page that cancels the key-down also cancels the new line (chromedp's KeyEvent sends
// the text as a separate event that a cancelled key-down does not stop).
func (b *browser) pressEnter() {
	b.t.Helper()
	down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
	up := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
	b.do("press Enter", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, p := range []input.DispatchKeyEventParams{down, up} {
			if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	}))
}
