package httpapi_test

import (
	"net/url"
	"strings"
	"testing"

	"kurz/internal/testkit"
)

// TestSharedLinksUnfurl checks what a chat tool sees when someone pastes a video link: the
// page's server-rendered Open Graph, Twitter card and oEmbed tags, the oEmbed answer and
// the embeddable player — for public videos only, with hostile captions escaped.
func TestSharedLinksUnfurl(t *testing.T) {
	a := testkit.NewAppNoWorkers(t, testkit.Engine{Name: "sqlite", Open: testkit.OpenSQLite}, nil)
	u := users(a, "sharer")
	hostile := `Sunset "><script>alert(1)</script> & <b>friends</b>`
	pub := publish(t, a, u["sharer"], map[string]string{"caption": hostile})
	priv := publish(t, a, u["sharer"], map[string]string{"caption": "just for me", "visibility": "private"})
	anon := a.Client()

	page := anon.Do("GET", "/v/"+pub, nil)
	body := string(page.Body)
	if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("share page: %d %v", page.Status, page.Header)
	}
	for _, want := range []string{`property="og:title" content="@sharer on kurz"`, `property="og:video" content="http://localhost:8080/media/videos/` + pub,
		`name="twitter:card" content="player"`, `type="application/json+oembed"`, `property="og:description" content="Sunset &#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;friends&lt;/b&gt;"`} {
		if !strings.Contains(body, want) {
			t.Errorf("share page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<b>friends") {
		t.Fatal("the caption reached the page unescaped")
	}
	hidden := anon.Do("GET", "/v/"+priv, nil)
	missing := anon.Do("GET", "/v/01aaaaaaaaaaaaaaaaaaaaaaaa", nil)
	if strings.Contains(string(hidden.Body), "og:") || string(hidden.Body) != string(missing.Body) || hidden.Status != missing.Status {
		t.Fatalf("a private video's page differs from a missing one's: %d vs %d", hidden.Status, missing.Status)
	}

	share := "http://localhost:8080/v/" + pub
	oe := anon.Do("GET", "/oembed?format=json&maxwidth=300&url="+url.QueryEscape(share), nil)
	o := oe.JSON()
	if oe.Status != 200 || o["type"] != "video" || o["version"] != "1.0" || o["author_name"] != "sharer" || o["width"] != 300.0 ||
		!strings.Contains(o["html"].(string), `<iframe src="http://localhost:8080/embed/`+pub+`"`) {
		t.Fatalf("oembed: %d %s", oe.Status, oe.Body)
	}
	for name, q := range map[string]string{
		"private video": url.QueryEscape("http://localhost:8080/v/" + priv),
		"other host":    url.QueryEscape("https://evil.example/v/" + pub),
		"not a video":   url.QueryEscape("http://localhost:8080/@sharer"),
	} {
		if r := anon.Do("GET", "/oembed?url="+q, nil); r.Status != 404 {
			t.Errorf("oembed for %s: %d", name, r.Status)
		}
	}
	if r := anon.Do("GET", "/oembed?format=xml&url="+url.QueryEscape(share), nil); r.Status != 501 {
		t.Errorf("oembed xml: %d", r.Status)
	}

	embed := anon.Do("GET", "/embed/"+pub, nil)
	if embed.Status != 200 || embed.Header.Get("X-Frame-Options") != "" || !strings.Contains(embed.Header.Get("Content-Security-Policy"), "frame-ancestors *") ||
		!strings.Contains(string(embed.Body), `<video src="http://localhost:8080/media/videos/`+pub) || strings.Contains(string(embed.Body), "<script") {
		t.Fatalf("embed page: %d %v %s", embed.Status, embed.Header, embed.Body)
	}
	if r := anon.Do("GET", "/embed/"+priv, nil); r.Status != 404 {
		t.Fatalf("embed of a private video: %d", r.Status)
	}
	if r := anon.Do("GET", "/api/v1/me", nil); r.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatal("other pages lost X-Frame-Options")
	}
}
