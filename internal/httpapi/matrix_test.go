package httpapi_test

// The authorization matrix: every route of the OpenAPI document, and the media, avatar and
// share-page URLs beside it, is asked by every kind of viewer about every kind of target,
// on both engines. Each cell asserts the status (and error code), that a hidden target
// answers exactly like a missing one, and, for lists and counts, that nothing hidden shows.
//
// One world is built per engine and every cell runs against it: read-only cells first, then
// the cells that change something, each of which works on a spare target or undoes itself.
// A route in the document without an entry here fails the test.
//
// Known leaks are listed in mxKnownLeaks with the cells they affect: the test passes while
// they reproduce, and fails once one is fixed until its entry is removed.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"kurz/internal/config"
	"kurz/internal/httpapi"
	"kurz/internal/policy"
	"kurz/internal/testkit"
	"kurz/internal/video"
)

// mxViewer is a kind of viewer, named by how it stands to the target account.
type mxViewer string

const (
	mxAnonymous mxViewer = "anonymous"
	mxStranger  mxViewer = "stranger"
	mxFollower  mxViewer = "follower"
	mxPending   mxViewer = "pending" // asked to follow; only private accounts have them
	mxFriend    mxViewer = "friend"  // mutual follow
	mxBlocked   mxViewer = "blocked" // the owner blocked them
	mxBlocker   mxViewer = "blocker" // they blocked the owner
	mxOwner     mxViewer = "owner"
	mxModerator mxViewer = "moderator"
	mxAdmin     mxViewer = "admin"
)

var mxViewers = []mxViewer{mxAnonymous, mxStranger, mxFollower, mxPending, mxFriend, mxBlocked, mxBlocker, mxOwner, mxModerator, mxAdmin}

// Account kinds (video owners) and video kinds.
var (
	mxAccountKinds = []string{"public", "private", "suspended"}
	mxVideoKinds   = []string{"public", "followers", "private", "removed"}
)

// mxSurfaces are the URLs outside /api/v1 that the matrix covers as well.
var mxSurfaces = []string{
	"GET /media/videos/{id}/{file}",
	"GET /media/videos/{id}/{file}?signed",
	"GET /media/avatars/{path...}",
	"GET /v/{id}",
	"GET /@{username}",
}

type mxAccount struct {
	name, id  string
	role      policy.Role
	c         *testkit.Client // its browser session
	session   string          // that session's id
	suspended bool
}

type mxCreator struct {
	kind   string // public, private or suspended
	acc    *mxAccount
	videos map[string]*mxVideo
	order  []*mxVideo
	// An upload in progress and the video it fills.
	upload, uploadVideo, uploadCaption string
	avatar                             string // URL of the 400 px avatar
	// A finished export of the owner's data and its single-use download link.
	export, exportURL string
}

type mxVideo struct {
	id, kind, caption string
	owner             *mxCreator
	comment           string              // a top-level comment by the owner: the target of comment routes
	spares            map[mxViewer]string // videos of the same kind, one per viewer allowed to delete one
	spareComments     map[mxViewer]string // comments by the owner, one per viewer allowed to delete one
	signed            map[mxViewer]string // original.mp4 URLs signed for viewers before removals and suspensions
}

type mxComment struct {
	id, video, author, parent, body string
	held, deleted                   bool
}

type mxWorld struct {
	t      *testing.T
	a      *testkit.TestApp
	anon   *testkit.Client
	acc    map[string]*mxAccount   // every account, by username
	shared map[mxViewer]*mxAccount // viewer kinds that are one account for every owner
	hater  *mxAccount              // follows the public and private owners, blocked the stranger
	ghost  *mxAccount              // asked to follow the private owner, then was suspended
	owners []*mxCreator
	videos map[string]*mxVideo // the main video of each owner and kind, by id
	all    []*mxVideo          // those and their spares

	follows  map[[2]string]bool // accepted: follower → followee
	requests map[[2]string]bool // pending: requester → account
	blocks   map[[2]string]bool // blocker → blocked
	comments []*mxComment
	likes    map[string][]string // video id → usernames that liked it

	missing struct{ video, comment, upload, session, account, username string }

	clip     []byte
	treeSize int
	seq      int

	missingAnswers map[string]*testkit.Response
	visibleCache   map[string]bool
	findings       []mxFinding
	cells          map[string]int
}

// mxFinding is one failed expectation of one cell.
type mxFinding struct {
	route, viewer, account, video, tag, msg string
}

func (f mxFinding) String() string {
	return fmt.Sprintf("%s | viewer %s | account %s | video %s | %s: %s", f.route, f.viewer, orDash(f.account), orDash(f.video), f.tag, f.msg)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mxCell is one route asked by one viewer about one target.
type mxCell struct {
	w      *mxWorld
	route  string
	viewer mxViewer
	o      *mxCreator // the target account, or the owner of the target video, comment or upload
	v      *mxVideo
	arg    string // a route-specific target, such as the requester of a follow request
	label  string // how findings name arg, when arg is a fresh stand-in
	me     *mxAccount
	c      *testkit.Client
}

func (c *mxCell) fail(tag, format string, args ...any) {
	f := mxFinding{route: c.route, viewer: string(c.viewer), tag: tag, msg: fmt.Sprintf(format, args...)}
	if c.o != nil {
		f.account = c.o.kind
	}
	if c.v != nil {
		f.video = c.v.kind
	}
	if c.arg != "" {
		f.video = c.arg
	}
	if c.label != "" {
		f.video = c.label
	}
	c.w.findings = append(c.w.findings, f)
}

// live: the viewer has a working session. A suspended owner's session is dead, and on
// public routes the server treats it as anonymous.
func (c *mxCell) live() bool { return mxLive(c.me) }

func (c *mxCell) staff() bool { return mxStaff(c.me) }

func (c *mxCell) isAdmin() bool { return c.live() && c.me.role == policy.RoleAdmin }

// self: the viewer is the target account.
func (c *mxCell) self() bool { return c.live() && c.o != nil && c.me == c.o.acc }

func (c *mxCell) name() string { return mxName(c.me) }

// seesAccount: the profile of c.o answers.
func (c *mxCell) seesAccount() bool { return c.w.seesAccount(c.me, c.o.acc) }

// seesVideo: the viewer may see v. asUser drops the moderation privilege of staff, for
// interactions (likes, shares, comments) that a moderator makes as a member like any other.
func (c *mxCell) seesVideo(v *mxVideo, asUser bool) bool { return c.w.sees(c.me, v, asUser) }

func (c *mxCell) seesComment(cm *mxComment) bool { return c.w.seesComment(c.me, cm) }

// The model: who may see what, from the relationships the world was built with. me is nil
// for an anonymous viewer; a suspended account's session is dead, so it is anonymous too.
func mxLive(me *mxAccount) bool  { return me != nil && !me.suspended }
func mxStaff(me *mxAccount) bool { return mxLive(me) && me.role != policy.RoleUser }

func mxName(me *mxAccount) string {
	if !mxLive(me) {
		return ""
	}
	return me.name
}

// seesAccount: suspended accounts are for staff (and themselves, but they cannot log in);
// a blocked viewer cannot find the blocker.
func (w *mxWorld) seesAccount(me, acc *mxAccount) bool {
	switch {
	case mxStaff(me) || (mxLive(me) && me == acc):
		return true
	case acc.suspended:
		return false
	}
	return !w.blocks[[2]string{acc.name, mxName(me)}]
}

// sees: staff see every video, for moderation; nobody else sees removed videos or those of
// suspended accounts; then the owner, and others by visibility unless a block stands
// between them.
func (w *mxWorld) sees(me *mxAccount, v *mxVideo, asUser bool) bool {
	if mxStaff(me) && !asUser {
		return true
	}
	o := v.owner.acc
	switch {
	case v.kind == "removed" || o.suspended:
		return false
	case mxLive(me) && me == o:
		return true
	case !mxLive(me):
		return v.kind == "public"
	case w.blocks[[2]string{o.name, me.name}] || w.blocks[[2]string{me.name, o.name}]:
		return false
	case v.kind == "public":
		return true
	case v.kind == "followers":
		return w.follows[[2]string{me.name, o.name}]
	}
	return false
}

// seesComment: on a video the viewer sees, by an author the viewer may see and has not
// blocked; held comments only for their author and the creator.
func (w *mxWorld) seesComment(me *mxAccount, cm *mxComment) bool {
	v := w.videos[cm.video]
	if cm.deleted || !w.sees(me, v, false) {
		return false
	}
	author, name := w.acc[cm.author], mxName(me)
	switch {
	case author.suspended && !mxStaff(me):
		return false
	case w.blocks[[2]string{name, cm.author}]:
		return false
	case w.blocks[[2]string{cm.author, name}] && !mxStaff(me):
		return false
	case cm.held && name != cm.author && name != v.owner.acc.name:
		return false
	}
	return true
}

// visibleComments counts the comments on a video that the viewer can reach: visible
// top-level comments and the visible replies under them.
func (w *mxWorld) visibleComments(me *mxAccount, videoID string) int {
	n := 0
	for _, top := range w.comments {
		if top.video != videoID || top.parent != "" || !w.seesComment(me, top) {
			continue
		}
		n += 1 + len(w.visibleReplies(me, top.id))
	}
	return n
}

func (w *mxWorld) visibleReplies(me *mxAccount, parent string) []string {
	var out []string
	for _, r := range w.comments {
		if r.parent == parent && w.seesComment(me, r) {
			out = append(out, r.id)
		}
	}
	return out
}

// activeComments and activeReplies count as if blocks and held comments hid nothing: only
// suspended accounts' comments (for non-staff) and deleted ones are left out.
func (w *mxWorld) activeComments(me *mxAccount, videoID string) int {
	n := 0
	for _, top := range w.comments {
		if top.video == videoID && top.parent == "" && w.activeComment(me, top) {
			n += 1 + len(w.activeReplies(me, top.id))
		}
	}
	return n
}

func (w *mxWorld) activeReplies(me *mxAccount, parent string) []string {
	var out []string
	for _, r := range w.comments {
		if r.parent == parent && w.activeComment(me, r) {
			out = append(out, r.id)
		}
	}
	return out
}

func (w *mxWorld) activeComment(me *mxAccount, cm *mxComment) bool {
	return !cm.deleted && (mxStaff(me) || !w.acc[cm.author].suspended)
}

func (w *mxWorld) activeLikes(videoID string) int {
	n := 0
	for _, who := range w.likes[videoID] {
		if !w.acc[who].suspended {
			n++
		}
	}
	return n
}

// expectedFollows lists o's followers (or followings) that the viewer's list shows:
// suspended accounts never, accounts that blocked the viewer not to non-staff.
func (w *mxWorld) expectedFollows(me *mxAccount, o *mxAccount, followers bool) []string {
	var out []string
	for k := range w.follows {
		other, target := k[0], k[1]
		if !followers {
			other, target = k[1], k[0]
		}
		if target != o.name || w.acc[other].suspended {
			continue
		}
		if w.blocks[[2]string{other, mxName(me)}] && !mxStaff(me) {
			continue
		}
		out = append(out, other)
	}
	return out
}

// mxWant is the expected answer of a cell.
type mxWant struct {
	status        int
	code          string // the error code, when it matters
	hidden        bool   // 404, byte for byte what a missing target gets
	sameAsMissing bool   // a denial that a missing target must get too
}

var (
	mxUnauth = mxWant{status: 401}
	mxHidden = mxWant{status: 404, hidden: true}
)

func mxOK(status int) mxWant { return mxWant{status: status} }

func mxDeny(status int, code string) mxWant { return mxWant{status: status, code: code} }

func (m mxWant) allowed() bool { return m.status < 300 }

// mxRoute is the authorization entry of one route.
type mxRoute struct {
	route string
	// targets: "" (the viewer's own things or the instance), "account", "video" (also the
	// comment and media routes, over each video's owner comment), "upload", "requester".
	targets string
	mutates bool
	want    func(c *mxCell) mxWant
	// do sends the request, about the real target or a missing one.
	do func(c *mxCell, missing bool) *testkit.Response
	// fresh may swap the target for a spare when the allowed answer changes the world.
	fresh func(c *mxCell, want mxWant) *mxCell
	// after checks content, or undoes what an allowed request did.
	after func(c *mxCell, want mxWant, r *testkit.Response)
	// applies, when set, leaves out the cells it refuses.
	applies func(c *mxCell) bool
}

// Target identifiers of a cell, or of a missing target of the same kind.
func (c *mxCell) username(missing bool) string {
	if missing {
		return c.w.missing.username
	}
	return c.o.acc.name
}

func (c *mxCell) accountID(missing bool) string {
	if missing {
		return c.w.missing.account
	}
	return c.o.acc.id
}

func (c *mxCell) videoID(missing bool) string {
	if missing {
		return c.w.missing.video
	}
	return c.v.id
}

func (c *mxCell) commentID(missing bool) string {
	if missing {
		return c.w.missing.comment
	}
	return c.v.comment
}

func (c *mxCell) uploadID(missing bool) string {
	if missing {
		return c.w.missing.upload
	}
	return c.o.upload
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, e := range testkit.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			w := mxBuild(t, e)
			routes := mxRoutes()
			byRoute := map[string]mxRoute{}
			for _, r := range routes {
				if _, dup := byRoute[r.route]; dup {
					t.Fatalf("the matrix lists %s twice", r.route)
				}
				byRoute[r.route] = r
			}
			// Every documented route, and every surface outside the API, has an entry.
			documented := map[string]bool{}
			for _, r := range httpapi.DocumentedRoutes() {
				documented[r.Method+" "+r.Pattern] = true
			}
			served := w.anon.Do("GET", "/api/v1/openapi.json", nil)
			var doc struct {
				Paths map[string]map[string]any `json:"paths"`
			}
			if err := json.Unmarshal(served.Body, &doc); err != nil {
				t.Fatalf("openapi.json: %v", err)
			}
			for p, ops := range doc.Paths {
				for m := range ops {
					documented[strings.ToUpper(m)+" "+p] = true
				}
			}
			for _, s := range mxSurfaces {
				documented[s] = true
			}
			var missing []string
			for r := range documented {
				if _, ok := byRoute[r]; !ok {
					missing = append(missing, r)
				}
			}
			sort.Strings(missing)
			for _, r := range missing {
				t.Errorf("route %s has no authorization expectations in the matrix", r)
			}
			var run []mxRoute
			for _, r := range routes {
				if !documented[r.route] {
					// Written ahead of a route that is not (or no longer) served.
					t.Logf("the matrix has an entry for %s, which the OpenAPI document does not list", r.route)
					continue
				}
				run = append(run, r)
			}
			// Read-only cells see the world as built; then the cells that change it.
			for _, phase := range []bool{false, true} {
				for _, r := range run {
					if r.mutates == phase {
						w.run(r)
					}
				}
			}
			w.finalChecks()
			for _, r := range run {
				if w.cells[r.route] == 0 {
					t.Errorf("%s ran no cells", r.route)
				}
			}
			w.report()
		})
	}
}

// report fails on every finding that no known leak explains, and on every known leak that
// no longer reproduces.
func (w *mxWorld) report() {
	t := w.t
	hits := map[string]int{}
	var unexplained []string
	for _, f := range w.findings {
		known := ""
		for _, l := range mxKnownLeaks {
			if l.match(f) {
				known = l.id
				break
			}
		}
		if known == "" {
			unexplained = append(unexplained, f.String())
			continue
		}
		hits[known]++
		if testing.Verbose() {
			t.Logf("known leak %s: %s", known, f)
		}
	}
	for _, f := range unexplained {
		t.Errorf("%s", f)
	}
	for _, l := range mxKnownLeaks {
		if hits[l.id] == 0 {
			t.Errorf("known leak %q no longer reproduces: remove it from mxKnownLeaks (%s)", l.id, l.reason)
			continue
		}
		t.Logf("known leak %s (%d findings): %s", l.id, hits[l.id], l.reason)
	}
	total := 0
	for _, n := range w.cells {
		total += n
	}
	t.Logf("%d routes and surfaces, %d cells, %d findings (%d explained by known leaks)", len(w.cells), total, len(w.findings), len(w.findings)-len(unexplained))
}

func (w *mxWorld) run(s mxRoute) {
	for _, c := range w.cellsFor(s) {
		if s.applies != nil && !s.applies(c) {
			continue
		}
		want := s.want(c)
		if s.fresh != nil {
			if f := s.fresh(c, want); f != nil {
				c = f
			}
		}
		r := s.do(c, false)
		w.cells[s.route]++
		w.judge(s, c, want, r)
		if s.after != nil {
			s.after(c, want, r)
		}
	}
}

func (w *mxWorld) cellsFor(s mxRoute) []*mxCell {
	var out []*mxCell
	switch s.targets {
	case "":
		for i, o := range w.owners {
			for _, k := range mxViewers {
				if k == mxOwner || i == 0 {
					out = append(out, w.cell(s.route, k, o, nil))
				}
			}
		}
	case "account", "upload":
		for _, o := range w.owners {
			for _, k := range mxViewers {
				out = append(out, w.cell(s.route, k, o, nil))
			}
		}
	case "video":
		for _, o := range w.owners {
			for _, v := range o.order {
				for _, k := range mxViewers {
					out = append(out, w.cell(s.route, k, o, v))
				}
			}
		}
	case "requester":
		// Follow requests are decided by the account asked; the target is the requester.
		priv := w.owners[1]
		for _, req := range []string{"mx_pending", "mx_ghost", "mx_stranger"} {
			for _, k := range mxViewers {
				c := w.cell(s.route, k, priv, nil)
				c.arg = req
				out = append(out, c)
			}
		}
	default:
		w.t.Fatalf("%s: unknown targets %q", s.route, s.targets)
	}
	return out
}

func (w *mxWorld) cell(route string, k mxViewer, o *mxCreator, v *mxVideo) *mxCell {
	c := &mxCell{w: w, route: route, viewer: k, o: o, v: v}
	switch k {
	case mxAnonymous:
		c.c = w.anon
	case mxOwner:
		c.me, c.c = o.acc, o.acc.c
	default:
		c.me = w.shared[k]
		c.c = c.me.c
	}
	return c
}

// judge compares an answer with the expectation. A hidden target must answer byte for byte
// like a missing one, and so must a denial marked sameAsMissing.
func (w *mxWorld) judge(s mxRoute, c *mxCell, want mxWant, r *testkit.Response) {
	if r.Status != want.status {
		c.fail("status", "got %d %s, want %d %s", r.Status, mxShort(r.Body), want.status, want.code)
		return
	}
	if want.code != "" && r.ErrorCode() != want.code {
		c.fail("status", "got error %q, want %q: %s", r.ErrorCode(), want.code, mxShort(r.Body))
		return
	}
	if want.hidden || want.sameAsMissing {
		m := w.missingAnswer(s, c)
		if m.Status != r.Status || !bytes.Equal(m.Body, r.Body) {
			c.fail("existence", "the target answers %d %s, a missing one %d %s", r.Status, mxShort(r.Body), m.Status, mxShort(m.Body))
		}
	}
}

func (w *mxWorld) missingAnswer(s mxRoute, c *mxCell) *testkit.Response {
	key := fmt.Sprintf("%s|%p", s.route, c.c)
	if r, ok := w.missingAnswers[key]; ok {
		return r
	}
	r := s.do(c, true)
	w.missingAnswers[key] = r
	return r
}

func mxShort(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// ---------------------------------------------------------------------------------------
// The world.

func mxBuild(t *testing.T, e testkit.Engine) *mxWorld {
	t.Helper()
	a := testkit.NewAppNoWorkers(t, e, func(c *config.Config) {
		c.SignupPerIP, c.LoginPerIP, c.LoginPerAccount = 1<<20, 1<<20, 1<<20
	})
	w := &mxWorld{t: t, a: a, anon: a.Client(), acc: map[string]*mxAccount{}, shared: map[mxViewer]*mxAccount{},
		videos: map[string]*mxVideo{}, follows: map[[2]string]bool{}, requests: map[[2]string]bool{}, blocks: map[[2]string]bool{},
		likes: map[string][]string{}, missingAnswers: map[string]*testkit.Response{}, visibleCache: map[string]bool{}, cells: map[string]int{},
		clip: clip(t, "portrait-h264-aac.mp4")}
	w.missing.video, w.missing.comment, w.missing.upload = a.IDs.New(), a.IDs.New(), a.IDs.New()
	w.missing.session, w.missing.account, w.missing.username = a.IDs.New(), a.IDs.New(), "mx_nobody"

	w.shared[mxModerator] = w.staffAccount("mx_moderator", policy.RoleModerator)
	w.shared[mxAdmin] = w.staffAccount("mx_admin", policy.RoleAdmin)
	for _, k := range []mxViewer{mxStranger, mxFollower, mxPending, mxFriend, mxBlocked, mxBlocker} {
		w.shared[k] = w.user("mx_" + string(k))
	}
	w.hater, w.ghost = w.user("mx_hater"), w.user("mx_ghost")
	for _, kind := range mxAccountKinds {
		o := w.newOwner(kind, "mx_"+kind)
		w.owners = append(w.owners, o)
		r := w.must(o.acc.c, "PUT", "/api/v1/me/avatar", mxPNG(t), 200)
		o.avatar = r.JSON()["avatar"].(map[string]any)["400"].(string)
		for _, k := range []mxViewer{mxFollower, mxPending, mxFriend} {
			w.relate(o, w.shared[k], k)
		}
	}
	pub, priv, susp := w.owners[0], w.owners[1], w.owners[2]
	stranger, friend := w.shared[mxStranger], w.shared[mxFriend]
	// Accounts that will be hidden from some viewers follow the owners.
	w.follow(w.hater, pub.acc, false)
	w.follow(w.hater, priv.acc, true)
	w.follow(susp.acc, pub.acc, false)
	w.follow(susp.acc, priv.acc, true)
	w.follow(pub.acc, susp.acc, false)
	w.request(w.ghost, priv.acc)
	w.block(w.hater, stranger)
	w.must(pub.acc.c, "PUT", "/api/v1/me/comment-filters", map[string]any{"keywords": []string{"mxheld"}}, 200)

	// Videos: the public owner's are all public at first, so that mentions reach the
	// stranger; they change visibility below.
	for _, o := range w.owners {
		for _, kind := range mxVideoKinds {
			final := kind
			if kind == "removed" {
				final = "public"
			}
			vis := final
			if o == pub {
				vis = "public"
			}
			v := &mxVideo{kind: kind, owner: o, caption: fmt.Sprintf("mxcap %s %s #mxtag #mx%s", o.acc.name, kind, kind),
				spares: map[mxViewer]string{}, spareComments: map[mxViewer]string{}, signed: map[mxViewer]string{}}
			v.id = w.uploadVideo(o.acc, v.caption, vis)
			w.all = append(w.all, v)
			for _, k := range mxDeleters(o) {
				v.spares[k] = w.uploadVideo(o.acc, v.caption+" spare", final)
				w.all = append(w.all, &mxVideo{id: v.spares[k], kind: kind, owner: o, caption: v.caption + " spare"})
			}
			o.videos[kind], o.order = v, append(o.order, v)
			w.videos[v.id] = v
		}
		o.uploadCaption = "mxupl " + o.acc.name
		up := w.must(o.acc.c, "POST", "/api/v1/uploads", nil, 201, "Tus-Resumable", "1.0.0", "Upload-Length", "1000",
			"Upload-Metadata", "caption "+mxB64(o.uploadCaption))
		o.upload, o.uploadVideo = up.JSON()["upload_id"].(string), up.JSON()["video_id"].(string)
	}
	a.Bus.Drain(context.Background(), video.JobProcess)
	for _, v := range w.videos {
		if r := v.owner.acc.c.Do("GET", "/api/v1/videos/"+v.id, nil); r.Status != 200 || r.JSON()["state"] != "ready" {
			t.Fatalf("video %s not ready: %d %s", v.caption, r.Status, mxShort(r.Body))
		}
	}

	// Comments: one by the owner on every video (the target of comment routes), spares to
	// delete, mentions of the stranger, and a thread on the public owner's public video with
	// replies by accounts that will be hidden.
	for _, o := range w.owners {
		for _, v := range o.order {
			v.comment = w.comment(o.acc, v, "", "mx owner comment on "+v.caption)
			for _, k := range mxDeleters(o) {
				v.spareComments[k] = w.comment(o.acc, v, "", "mx spare comment for "+string(k))
			}
		}
	}
	for _, v := range pub.order {
		w.comment(friend, v, "", "mxmention @mx_stranger on "+v.kind)
	}
	pp := pub.videos["public"]
	c1 := w.comment(stranger, pp, "", "mx c1 by the stranger")
	w.comment(friend, pp, c1, "mx r1 by the friend")
	w.comment(susp.acc, pp, c1, "mx r1 by the suspended owner")
	w.comment(w.shared[mxBlocked], pp, c1, "mx r1 by the blocked account")
	w.comment(w.shared[mxBlocker], pp, c1, "mx r1 by the blocker")
	w.comment(w.hater, pp, c1, "mx r1 by the hater")
	c2 := w.comment(susp.acc, pp, "", "mx c2 by the suspended owner")
	w.comment(friend, pp, c2, "mx r2 by the friend")
	c3 := w.comment(w.shared[mxBlocked], pp, "", "mx c3 by the blocked account")
	w.comment(friend, pp, c3, "mx r3 by the friend")
	w.comment(w.shared[mxBlocker], pp, "", "mx c4 by the blocker")
	w.comment(stranger, pp, "", "mxheld c5 by the stranger")
	c7 := w.comment(stranger, pp, "", "mx c7 deleted by its author")
	w.must(stranger.c, "DELETE", "/api/v1/comments/"+c7, nil, 204)
	w.commentByID(c7).deleted = true
	for _, who := range []*mxAccount{w.shared[mxFollower], susp.acc} {
		w.must(who.c, "POST", "/api/v1/videos/"+pp.id+"/like", nil, 200)
		w.likes[pp.id] = append(w.likes[pp.id], who.name)
	}
	for _, kind := range []string{"followers", "private"} {
		for _, id := range append([]string{pub.videos[kind].id}, mxValues(pub.videos[kind].spares)...) {
			w.must(pub.acc.c, "PATCH", "/api/v1/videos/"+id, map[string]any{"visibility": kind}, 200)
		}
	}
	for _, o := range w.owners {
		w.relate(o, w.shared[mxBlocked], mxBlocked)
		w.relate(o, w.shared[mxBlocker], mxBlocker)
	}

	// Signed media URLs handed out before the removals and the suspension.
	for _, v := range w.videos {
		for _, k := range []mxViewer{mxOwner, mxFollower, mxFriend, mxModerator} {
			c := w.cell("setup", k, v.owner, v)
			if !c.seesVideo(v, false) {
				continue
			}
			r := c.c.Do("GET", "/api/v1/videos/"+v.id, nil)
			if r.Status != 200 {
				t.Fatalf("%s cannot see %s: %d", k, v.caption, r.Status)
			}
			if u := mxRendition(r.JSON(), "original"); strings.Contains(u, "sig=") {
				v.signed[k] = u
			}
		}
	}

	for _, o := range w.owners {
		v := o.videos["removed"]
		for _, id := range append([]string{v.id}, mxValues(v.spares)...) {
			w.takeDown(id)
		}
	}
	// A finished export of each owner's data, when the export routes exist.
	for _, o := range w.owners {
		if r := o.acc.c.Do("POST", "/api/v1/me/exports", nil); r.Status == 202 {
			o.export, _ = r.JSON()["id"].(string)
			o.exportURL, _ = r.JSON()["download_url"].(string)
		}
	}
	a.Bus.Drain(context.Background(), "privacy.export")
	// An entry in the access log and a signed checkpoint, for the transparency routes.
	w.must(w.shared[mxModerator].c, "POST", "/api/v1/admin/accounts/"+pub.acc.id+"/personal-data", map[string]any{"purpose": "abuse_report"}, 200)
	cp := w.must(w.anon, "GET", "/api/v1/transparency/checkpoint", nil, 200)
	w.treeSize = int(cp.JSON()["tree_size"].(float64))
	w.suspend(susp.acc)
	w.suspend(w.ghost)
	return w
}

// mxB64 is the base64 of a tus Upload-Metadata value.
func mxB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// mxDeleters are the viewers allowed to delete o's videos and comments: o, while it can
// log in, and staff.
func mxDeleters(o *mxCreator) []mxViewer {
	if o.kind == "suspended" {
		return []mxViewer{mxModerator, mxAdmin}
	}
	return []mxViewer{mxOwner, mxModerator, mxAdmin}
}

func mxValues(m map[mxViewer]string) []string {
	var out []string
	for _, k := range mxViewers {
		if v, ok := m[k]; ok {
			out = append(out, v)
		}
	}
	return out
}

func (w *mxWorld) must(c *testkit.Client, method, path string, body any, want int, headers ...string) *testkit.Response {
	w.t.Helper()
	r := c.Do(method, path, body, headers...)
	if r.Status != want {
		w.t.Fatalf("setup %s %s: %d %s, want %d", method, path, r.Status, mxShort(r.Body), want)
	}
	return r
}

func (w *mxWorld) name(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%d", prefix, w.seq)
}

func (w *mxWorld) user(name string) *mxAccount {
	w.t.Helper()
	c := w.a.Client()
	r := c.Do("POST", "/api/v1/accounts", map[string]any{"username": name, "password": testkit.Password})
	if r.Status != 201 {
		w.t.Fatalf("sign up %s: %d %s", name, r.Status, mxShort(r.Body))
	}
	j := r.JSON()
	acc := &mxAccount{name: name, id: j["account"].(map[string]any)["id"].(string), role: policy.RoleUser, c: c,
		session: j["session"].(map[string]any)["id"].(string)}
	w.acc[name] = acc
	return acc
}

func (w *mxWorld) staffAccount(name string, role policy.Role) *mxAccount {
	w.t.Helper()
	a, err := w.a.Auth.CreateAccount(context.Background(), name, testkit.Password, role)
	if err != nil {
		w.t.Fatal(err)
	}
	c := w.a.Client()
	r := w.must(c, "POST", "/api/v1/sessions", map[string]any{"username": name, "password": testkit.Password}, 201)
	acc := &mxAccount{name: name, id: a.ID, role: role, c: c, session: r.JSON()["session"].(map[string]any)["id"].(string)}
	w.acc[name] = acc
	return acc
}

func (w *mxWorld) newOwner(kind, name string) *mxCreator {
	o := &mxCreator{kind: kind, acc: w.user(name), videos: map[string]*mxVideo{}}
	if kind == "private" {
		w.must(o.acc.c, "PATCH", "/api/v1/me", map[string]any{"private": true}, 200)
	}
	return o
}

// pair builds a fresh owner of c's account kind and a fresh viewer standing to it as c's
// viewer does, for cells whose allowed answer would change the shared world.
func (w *mxWorld) pair(c *mxCell) *mxCell {
	f := *c
	f.o = w.newOwner(c.o.kind, w.name("mxo"))
	switch c.viewer {
	case mxOwner:
		f.me, f.c = f.o.acc, f.o.acc.c
	case mxAnonymous, mxModerator, mxAdmin:
	default:
		f.me = w.user(w.name("mxv"))
		f.c = f.me.c
		w.relate(f.o, f.me, c.viewer)
	}
	if f.o.kind == "suspended" {
		w.suspend(f.o.acc)
	}
	return &f
}

func (w *mxWorld) follow(v, o *mxAccount, private bool) {
	w.must(v.c, "POST", "/api/v1/accounts/"+o.name+"/follow", nil, 200)
	if private {
		w.must(o.c, "POST", "/api/v1/me/follow-requests/"+v.name, nil, 204)
	}
	w.follows[[2]string{v.name, o.name}] = true
}

func (w *mxWorld) request(v, o *mxAccount) {
	if r := w.must(v.c, "POST", "/api/v1/accounts/"+o.name+"/follow", nil, 200); r.JSON()["state"] != "pending" {
		w.t.Fatalf("follow request of %s to %s: %s", v.name, o.name, r.Body)
	}
	w.requests[[2]string{v.name, o.name}] = true
}

func (w *mxWorld) block(b, x *mxAccount) {
	w.must(b.c, "POST", "/api/v1/accounts/"+x.name+"/block", nil, 204)
	w.blocks[[2]string{b.name, x.name}] = true
	for _, k := range [][2]string{{b.name, x.name}, {x.name, b.name}} {
		delete(w.follows, k)
		delete(w.requests, k)
	}
}

// relate makes v stand to o as kind says.
func (w *mxWorld) relate(o *mxCreator, v *mxAccount, kind mxViewer) {
	private := o.kind == "private"
	switch kind {
	case mxFollower:
		w.follow(v, o.acc, private)
	case mxPending:
		if private { // a public account has no pending followers: this viewer is a stranger there
			w.request(v, o.acc)
		}
	case mxFriend:
		w.follow(v, o.acc, private)
		w.follow(o.acc, v, false)
	case mxBlocked:
		w.block(o.acc, v)
	case mxBlocker:
		w.block(v, o.acc)
	}
}

func (w *mxWorld) suspend(acc *mxAccount) {
	w.must(w.shared[mxAdmin].c, "POST", "/api/v1/admin/accounts/"+acc.id+"/suspension", nil, 200)
	acc.suspended = true
}

func (w *mxWorld) uploadVideo(acc *mxAccount, caption, visibility string) string {
	w.t.Helper()
	r := uploadForm(w.t, acc.c, w.clip, map[string]string{"caption": caption, "visibility": visibility})
	if r.Status != 201 {
		w.t.Fatalf("upload: %d %s", r.Status, mxShort(r.Body))
	}
	return r.JSON()["id"].(string)
}

func (w *mxWorld) comment(author *mxAccount, v *mxVideo, parent, body string) string {
	w.t.Helper()
	in := map[string]any{"body": body}
	if parent != "" {
		in["parent_id"] = parent
	}
	r := w.must(author.c, "POST", "/api/v1/videos/"+v.id+"/comments", in, 201)
	cm := &mxComment{id: r.JSON()["id"].(string), video: v.id, author: author.name, parent: parent, body: body,
		held: strings.Contains(body, "mxheld") && author != v.owner.acc}
	if held, _ := r.JSON()["held"].(bool); held != cm.held {
		w.t.Fatalf("comment %q held %v, want %v", body, held, cm.held)
	}
	w.comments = append(w.comments, cm)
	return cm.id
}

func (w *mxWorld) commentByID(id string) *mxComment {
	for _, c := range w.comments {
		if c.id == id {
			return c
		}
	}
	w.t.Fatalf("no comment %s", id)
	return nil
}

// takeDown marks a video removed by moderation. No API sets the removed flag yet, so this
// writes the column through the pools the database exposes (for its metrics); replace it
// with the moderation endpoint once there is one.
func (w *mxWorld) takeDown(videoID string) {
	w.t.Helper()
	pools := w.a.DB.Pools()
	p := pools["writer"]
	if p == nil {
		p = pools["main"]
	}
	if p == nil {
		w.t.Fatalf("no writable pool in %v", pools)
	}
	res, err := p.ExecContext(context.Background(), w.a.DB.Q(`UPDATE videos SET removed = ? WHERE id = ?`), true, videoID)
	if err != nil {
		w.t.Fatalf("take down %s: %v", videoID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		w.t.Fatalf("take down %s: %d rows", videoID, n)
	}
}

func mxPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for x := 0; x < 64; x++ {
		for y := 0; y < 64; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mxRendition(v map[string]any, name string) string {
	rs, _ := v["renditions"].([]any)
	for _, r := range rs {
		if m, _ := r.(map[string]any); m["name"] == name {
			s, _ := m["url"].(string)
			return s
		}
	}
	return ""
}

func mxItems(r *testkit.Response) []map[string]any {
	var out []map[string]any
	items, _ := r.JSON()["items"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func mxStrings(items []map[string]any, key string) []string {
	var out []string
	for _, it := range items {
		s, _ := it[key].(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func mxSet(xs []string) string {
	sort.Strings(xs)
	return "[" + strings.Join(xs, " ") + "]"
}

// canSee asks the API, as c's viewer, whether path answers 200; answers are cached per
// client, for the consistency checks of lists.
func (c *mxCell) canSee(path string) bool {
	key := fmt.Sprintf("%p|%s", c.c, path)
	if v, ok := c.w.visibleCache[key]; ok {
		return v
	}
	ok := c.c.Do("GET", path, nil).Status == 200
	c.w.visibleCache[key] = ok
	return ok
}

// finalChecks: no denied cell changed anything it must not have.
func (w *mxWorld) finalChecks() {
	c := w.cell("final", mxAdmin, w.owners[0], nil)
	for _, v := range w.videos {
		r := c.c.Do("GET", "/api/v1/videos/"+v.id, nil)
		if r.Status != 200 {
			c.fail("final", "video %s is gone after the matrix: %d", v.caption, r.Status)
			continue
		}
		if got := r.JSON()["caption"]; got != v.caption {
			c.fail("final", "video %s has caption %q after the matrix", v.caption, got)
		}
		if r.JSON()["allow_download"] != false {
			c.fail("final", "video %s allows downloads after the matrix", v.caption)
		}
		found := false
		for _, it := range mxItems(c.c.Do("GET", "/api/v1/videos/"+v.id+"/comments?limit=100", nil)) {
			found = found || it["id"] == v.comment
		}
		if !found {
			c.fail("final", "the owner's comment on %s is gone after the matrix", v.caption)
		}
	}
	for _, o := range w.owners {
		if o.kind == "suspended" {
			continue
		}
		if r := o.acc.c.Do("GET", "/api/v1/me", nil); r.Status != 200 {
			c.fail("final", "the %s owner's session ended during the matrix: %d", o.kind, r.Status)
		}
	}
}

// ---------------------------------------------------------------------------------------
// Expectations shared by several routes.

func mxSelf(status int) func(c *mxCell) mxWant {
	return func(c *mxCell) mxWant {
		if !c.live() {
			return mxUnauth
		}
		return mxOK(status)
	}
}

func mxAnyone(status int) func(c *mxCell) mxWant {
	return func(c *mxCell) mxWant { return mxOK(status) }
}

func mxAdminOnly(status int, targeted bool) func(c *mxCell) mxWant {
	return func(c *mxCell) mxWant {
		switch {
		case !c.live():
			return mxUnauth
		case c.isAdmin():
			return mxOK(status)
		}
		w := mxDeny(403, "admin_only")
		w.sameAsMissing = targeted
		return w
	}
}

// viewing: reading the video or its comments.
func (c *mxCell) viewing(status int) mxWant {
	if c.seesVideo(c.v, false) {
		return mxOK(status)
	}
	return mxHidden
}

// interacting: likes, shares, comments, comment likes.
func (c *mxCell) interacting(status int) mxWant {
	if !c.live() {
		return mxUnauth
	}
	if c.seesVideo(c.v, true) {
		return mxOK(status)
	}
	return mxHidden
}

// editing: what only the creator may do with a video they can see.
func (c *mxCell) editing(status int) mxWant {
	switch {
	case !c.live():
		return mxUnauth
	case !c.seesVideo(c.v, false):
		return mxHidden
	case c.self():
		return mxOK(status)
	}
	return mxDeny(403, "not_owner")
}

// relating: follow, block, mute and their undoing, towards c.o.
func (c *mxCell) relating(status int) mxWant {
	switch {
	case !c.live():
		return mxUnauth
	case !c.seesAccount():
		return mxHidden
	case c.self():
		return mxDeny(400, "cannot_target_yourself")
	case c.o.acc.suspended:
		return mxHidden
	}
	return mxOK(status)
}

// following: whether c's viewer follows (or asked to follow) c.o in the world as built.
func (c *mxCell) following() bool {
	k := [2]string{c.name(), c.o.acc.name}
	return c.w.follows[k] || c.w.requests[k]
}

// ---------------------------------------------------------------------------------------
// The routes.

func mxRoutes() []mxRoute {
	get := func(path func(c *mxCell, missing bool) string) func(c *mxCell, missing bool) *testkit.Response {
		return func(c *mxCell, missing bool) *testkit.Response { return c.c.Do("GET", path(c, missing), nil) }
	}
	send := func(method string, path func(c *mxCell, missing bool) string, body func(c *mxCell) any) func(c *mxCell, missing bool) *testkit.Response {
		return func(c *mxCell, missing bool) *testkit.Response {
			var b any
			if body != nil {
				b = body(c)
			}
			return c.c.Do(method, path(c, missing), b)
		}
	}
	fixed := func(p string) func(c *mxCell, missing bool) string { return func(*mxCell, bool) string { return p } }
	account := func(suffix string) func(c *mxCell, missing bool) string {
		return func(c *mxCell, missing bool) string { return "/api/v1/accounts/" + c.username(missing) + suffix }
	}
	adminAccount := func(suffix string) func(c *mxCell, missing bool) string {
		return func(c *mxCell, missing bool) string { return "/api/v1/admin/accounts/" + c.accountID(missing) + suffix }
	}
	videoPath := func(suffix string) func(c *mxCell, missing bool) string {
		return func(c *mxCell, missing bool) string { return "/api/v1/videos/" + c.videoID(missing) + suffix }
	}
	commentPath := func(suffix string) func(c *mxCell, missing bool) string {
		return func(c *mxCell, missing bool) string { return "/api/v1/comments/" + c.commentID(missing) + suffix }
	}
	uploadPath := func(c *mxCell, missing bool) string { return "/api/v1/uploads/" + c.uploadID(missing) }
	tus := func(method string, extra ...string) func(c *mxCell, missing bool) *testkit.Response {
		return func(c *mxCell, missing bool) *testkit.Response {
			h := append([]string{"Tus-Resumable", "1.0.0"}, extra...)
			var body any
			if method == "PATCH" {
				body = []byte("0123456789")
			}
			return c.c.Do(method, uploadPath(c, missing), body, h...)
		}
	}
	// A spare upload of the owner, for the cells that write to or end one.
	spareUpload := func(c *mxCell, want mxWant) *mxCell {
		if !want.allowed() {
			return nil
		}
		f := *c
		o := *c.o
		r := c.c.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", "1000")
		if r.Status != 201 {
			c.fail("setup", "spare upload: %d %s", r.Status, mxShort(r.Body))
			return nil
		}
		o.upload = r.JSON()["upload_id"].(string)
		f.o = &o
		return &f
	}
	// A spare video (or comment) of the same kind, for the viewers allowed to delete one.
	spareVideo := func(c *mxCell, want mxWant) *mxCell {
		if !want.allowed() {
			return nil
		}
		f := *c
		v := *c.v
		v.id = c.v.spares[c.viewer]
		f.v = &v
		return &f
	}
	spareComment := func(c *mxCell, want mxWant) *mxCell {
		if !want.allowed() {
			return nil
		}
		f := *c
		v := *c.v
		v.comment = c.v.spareComments[c.viewer]
		f.v = &v
		return &f
	}
	freshPairIfRelated := func(c *mxCell, want mxWant) *mxCell {
		if c.following() {
			return c.w.pair(c)
		}
		return nil
	}

	return []mxRoute{
		// The instance.
		{route: "GET /api/v1/openapi.json", want: mxAnyone(200), do: get(fixed("/api/v1/openapi.json"))},
		{route: "GET /api/v1/instance", want: mxAnyone(200), do: get(fixed("/api/v1/instance"))},
		{route: "GET /api/v1/transparency/checkpoint", want: mxAnyone(200), do: get(fixed("/api/v1/transparency/checkpoint"))},
		{route: "GET /api/v1/transparency/consistency", want: mxAnyone(200),
			do: get(func(c *mxCell, _ bool) string {
				return "/api/v1/transparency/consistency?from=1&to=" + strconv.Itoa(c.w.treeSize)
			})},
		{route: "OPTIONS /api/v1/uploads", want: mxAnyone(204), do: send("OPTIONS", fixed("/api/v1/uploads"), nil)},
		{route: "GET /api/v1/ranking", want: mxAnyone(200), do: get(fixed("/api/v1/ranking"))},

		// Signing up and logging in: anyone may; a suspended account may not log in.
		{route: "POST /api/v1/accounts", mutates: true, want: mxAnyone(201),
			do: send("POST", fixed("/api/v1/accounts"), func(c *mxCell) any {
				return map[string]any{"username": c.w.name("mxsu"), "password": testkit.Password, "token": true}
			})},
		{route: "POST /api/v1/sessions", mutates: true,
			want: func(c *mxCell) mxWant {
				if c.me != nil && c.me.suspended {
					return mxDeny(403, "account_suspended")
				}
				return mxOK(201)
			},
			do: send("POST", fixed("/api/v1/sessions"), func(c *mxCell) any {
				name := "mx_stranger"
				if c.me != nil {
					name = c.me.name
				}
				return map[string]any{"username": name, "password": testkit.Password, "token": true}
			})},

		// The viewer's own account.
		{route: "GET /api/v1/me", want: mxSelf(200), do: get(fixed("/api/v1/me")),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 200 && r.JSON()["id"] != c.me.id {
					c.fail("content", "GET /me answers account %v", r.JSON()["id"])
				}
			}},
		{route: "PATCH /api/v1/me", mutates: true, want: mxSelf(200), do: send("PATCH", fixed("/api/v1/me"), func(*mxCell) any { return map[string]any{} })},
		{route: "PUT /api/v1/me/password", mutates: true, want: mxSelf(204),
			do: send("PUT", fixed("/api/v1/me/password"), func(*mxCell) any {
				return map[string]any{"current_password": testkit.Password, "new_password": testkit.Password}
			})},
		{route: "PUT /api/v1/me/avatar", mutates: true, want: mxSelf(200),
			do: func(c *mxCell, _ bool) *testkit.Response { return c.c.Do("PUT", "/api/v1/me/avatar", mxPNG(c.w.t)) }},
		{route: "DELETE /api/v1/me/avatar", mutates: true, want: mxSelf(200), do: send("DELETE", fixed("/api/v1/me/avatar"), nil)},
		{route: "GET /api/v1/me/personal-data", want: mxSelf(200), do: get(fixed("/api/v1/me/personal-data"))},
		{route: "PATCH /api/v1/me/personal-data", mutates: true, want: mxSelf(200),
			do: send("PATCH", fixed("/api/v1/me/personal-data"), func(*mxCell) any { return map[string]any{} })},
		{route: "GET /api/v1/me/access-log", want: mxSelf(200), do: get(fixed("/api/v1/me/access-log"))},
		{route: "DELETE /api/v1/me", mutates: true, want: mxSelf(202),
			// Deleting one's account ends it: every live viewer deletes a fresh account of its role.
			fresh: func(c *mxCell, want mxWant) *mxCell {
				if !want.allowed() {
					return nil
				}
				f := *c
				if c.staff() {
					f.me = c.w.staffAccount(c.w.name("mxd"), c.me.role)
				} else {
					f.me = c.w.user(c.w.name("mxd"))
				}
				f.c = f.me.c
				return &f
			},
			do: send("DELETE", fixed("/api/v1/me"), func(*mxCell) any { return map[string]any{"password": testkit.Password} })},
		{route: "GET /api/v1/me/comment-filters", want: mxSelf(200), do: get(fixed("/api/v1/me/comment-filters"))},
		{route: "PUT /api/v1/me/comment-filters", mutates: true, want: mxSelf(200),
			do: send("PUT", fixed("/api/v1/me/comment-filters"), func(c *mxCell) any {
				kw := []string{}
				if c.me != nil && c.me.name == "mx_public" {
					kw = []string{"mxheld"}
				}
				return map[string]any{"keywords": kw}
			})},

		// Sessions.
		{route: "GET /api/v1/sessions", want: mxSelf(200), do: get(fixed("/api/v1/sessions")),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status != 200 {
					return
				}
				ids := mxStrings(mxItems(r), "id")
				for _, acc := range c.w.acc {
					if acc != c.me && strings.Contains(mxSet(ids), acc.session) {
						c.fail("list", "lists the session of %s", acc.name)
					}
				}
				if !strings.Contains(mxSet(ids), c.me.session) {
					c.fail("list", "does not list the viewer's own session")
				}
			}},
		{route: "DELETE /api/v1/sessions/current", mutates: true, want: mxSelf(204),
			fresh: func(c *mxCell, want mxWant) *mxCell {
				if !want.allowed() {
					return nil
				}
				f := *c
				f.c = c.w.tokenClient(c.me)
				return &f
			},
			do: send("DELETE", fixed("/api/v1/sessions/current"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 {
					if again := c.c.Do("GET", "/api/v1/me", nil); again.Status != 401 {
						c.fail("content", "the session still works after logging out: %d", again.Status)
					}
				}
			}},
		{route: "DELETE /api/v1/sessions/{id}", targets: "account", mutates: true,
			want: func(c *mxCell) mxWant {
				switch {
				case !c.live():
					return mxUnauth
				case c.self():
					return mxOK(204)
				}
				return mxHidden
			},
			fresh: func(c *mxCell, want mxWant) *mxCell {
				if !want.allowed() {
					return nil
				}
				// The owner revokes another of its sessions, not the one the matrix uses.
				f := *c
				o := *c.o
				acc := *c.o.acc
				r := c.w.must(c.w.a.Client(), "POST", "/api/v1/sessions", map[string]any{"username": acc.name, "password": testkit.Password, "token": true}, 201)
				acc.session = r.JSON()["session"].(map[string]any)["id"].(string)
				o.acc = &acc
				f.o = &o
				return &f
			},
			do: func(c *mxCell, missing bool) *testkit.Response {
				id := c.o.acc.session
				if missing {
					id = c.w.missing.session
				}
				return c.c.Do("DELETE", "/api/v1/sessions/"+id, nil)
			}},

		// Administration.
		{route: "GET /api/v1/admin/accounts", want: mxAdminOnly(200, false), do: get(fixed("/api/v1/admin/accounts"))},
		{route: "PUT /api/v1/admin/registration", mutates: true, want: mxAdminOnly(200, false),
			do: send("PUT", fixed("/api/v1/admin/registration"), func(*mxCell) any { return map[string]any{"mode": "open"} })},
		{route: "POST /api/v1/admin/invites", mutates: true, want: mxAdminOnly(201, false),
			do: send("POST", fixed("/api/v1/admin/invites"), func(*mxCell) any { return map[string]any{"expires_in_hours": 1} })},
		{route: "POST /api/v1/admin/accounts/{id}/suspension", targets: "account", mutates: true, want: mxAdminOnly(200, true),
			fresh: freshTarget, do: send("POST", adminAccount("/suspension"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 200 && r.JSON()["state"] != "suspended" {
					c.fail("content", "state after suspending: %v", r.JSON()["state"])
				}
			}},
		{route: "DELETE /api/v1/admin/accounts/{id}/suspension", targets: "account", mutates: true, want: mxAdminOnly(200, true),
			fresh: freshTarget, do: send("DELETE", adminAccount("/suspension"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 200 && r.JSON()["state"] != "active" {
					c.fail("content", "state after reinstating: %v", r.JSON()["state"])
				}
			}},
		{route: "PUT /api/v1/admin/accounts/{id}/role", targets: "account", mutates: true, want: mxAdminOnly(200, true),
			do: send("PUT", adminAccount("/role"), func(*mxCell) any { return map[string]any{"role": "user"} })},
		{route: "DELETE /api/v1/admin/accounts/{id}", targets: "account", mutates: true, want: mxAdminOnly(204, true),
			fresh: freshTarget, do: send("DELETE", adminAccount(""), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 {
					if again := c.c.Do("GET", "/api/v1/accounts/"+c.o.acc.name, nil); again.Status != 404 {
						c.fail("content", "the erased account still answers %d", again.Status)
					}
				}
			}},
		{route: "POST /api/v1/admin/accounts/{id}/personal-data", targets: "account", mutates: true,
			want: func(c *mxCell) mxWant {
				switch {
				case !c.live():
					return mxUnauth
				case c.staff() || c.self():
					return mxOK(200)
				}
				w := mxDeny(403, "staff_only")
				w.sameAsMissing = true
				return w
			},
			do: send("POST", adminAccount("/personal-data"), func(*mxCell) any { return map[string]any{"purpose": "abuse_report"} })},

		// Profiles and the social graph.
		{route: "GET /api/v1/accounts/{username}", targets: "account",
			want: func(c *mxCell) mxWant {
				if c.seesAccount() {
					return mxOK(200)
				}
				return mxHidden
			},
			do: get(account("")), after: checkProfile},
		{route: "GET /api/v1/accounts/{username}/videos", targets: "account",
			want: func(c *mxCell) mxWant {
				if c.seesAccount() {
					return mxOK(200)
				}
				return mxHidden
			},
			do: get(func(c *mxCell, missing bool) string { return account("/videos")(c, missing) + "?limit=100" }), after: checkAccountVideos},
		{route: "GET /api/v1/accounts/{username}/followers", targets: "account", want: followListWant,
			do: get(func(c *mxCell, missing bool) string { return account("/followers")(c, missing) + "?limit=100" }), after: checkFollowList(true)},
		{route: "GET /api/v1/accounts/{username}/following", targets: "account", want: followListWant,
			do: get(func(c *mxCell, missing bool) string { return account("/following")(c, missing) + "?limit=100" }), after: checkFollowList(false)},
		{route: "POST /api/v1/accounts/{username}/follow", targets: "account", mutates: true,
			want: func(c *mxCell) mxWant {
				w := c.relating(200)
				if w.allowed() && c.live() && c.viewer == mxBlocker {
					return mxDeny(403, "blocking")
				}
				return w
			},
			do: send("POST", account("/follow"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status != 200 {
					return
				}
				state := "accepted"
				if c.o.kind == "private" && !c.w.follows[[2]string{c.name(), c.o.acc.name}] {
					state = "pending"
				}
				if r.JSON()["state"] != state {
					c.fail("content", "follow state %v, want %s", r.JSON()["state"], state)
				}
				if !c.following() {
					c.c.Do("DELETE", "/api/v1/accounts/"+c.o.acc.name+"/follow", nil)
				}
			}},
		{route: "DELETE /api/v1/accounts/{username}/follow", targets: "account", mutates: true,
			want: func(c *mxCell) mxWant {
				switch {
				case !c.live():
					return mxUnauth
				case !c.seesAccount():
					return mxHidden
				}
				return mxOK(204)
			},
			fresh: freshPairIfRelated, do: send("DELETE", account("/follow"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 && c.live() && !c.self() && c.seesAccount() {
					if rel, _ := c.c.Do("GET", "/api/v1/accounts/"+c.o.acc.name, nil).JSON()["relationship"].(map[string]any); rel["following"] != false || rel["requested"] != false {
						c.fail("content", "still following after unfollowing: %v", rel)
					}
				}
			}},
		{route: "POST /api/v1/accounts/{username}/block", targets: "account", mutates: true,
			want: func(c *mxCell) mxWant {
				if c.live() && c.viewer == mxBlocked && !c.o.acc.suspended {
					// Deliberate: blocking an account that blocked you keeps you safe if it unblocks.
					return mxOK(204)
				}
				return c.relating(204)
			},
			fresh: freshPairIfRelated, do: send("POST", account("/block"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 && c.viewer != mxBlocker && !c.w.blocks[[2]string{c.name(), c.o.acc.name}] {
					c.c.Do("DELETE", "/api/v1/accounts/"+c.o.acc.name+"/block", nil)
				}
			}},
		{route: "DELETE /api/v1/accounts/{username}/block", targets: "account", mutates: true,
			want: func(c *mxCell) mxWant {
				if c.live() && c.viewer == mxBlocked && !c.o.acc.suspended {
					return mxOK(204)
				}
				return c.relating(204)
			},
			fresh: func(c *mxCell, want mxWant) *mxCell {
				if c.viewer == mxBlocker {
					return c.w.pair(c)
				}
				return nil
			},
			do: send("DELETE", account("/block"), nil)},
		{route: "POST /api/v1/accounts/{username}/mute", targets: "account", mutates: true, want: func(c *mxCell) mxWant { return c.relating(204) },
			do: send("POST", account("/mute"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 {
					c.c.Do("DELETE", "/api/v1/accounts/"+c.o.acc.name+"/mute", nil)
				}
			}},
		{route: "DELETE /api/v1/accounts/{username}/mute", targets: "account", mutates: true, want: func(c *mxCell) mxWant { return c.relating(204) },
			do: send("DELETE", account("/mute"), nil)},
		{route: "GET /api/v1/me/follow-requests", want: mxSelf(200), do: get(fixed("/api/v1/me/follow-requests?limit=100")),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status != 200 {
					return
				}
				var wantNames []string
				for k := range c.w.requests {
					if k[1] == c.me.name && !c.w.acc[k[0]].suspended {
						wantNames = append(wantNames, k[0])
					}
				}
				if got := mxStrings(mxItems(r), "username"); mxSet(got) != mxSet(wantNames) {
					c.fail("list", "follow requests %v, want %v", got, mxSet(wantNames))
				}
			}},
		{route: "POST /api/v1/me/follow-requests/{username}", targets: "requester", mutates: true, want: decideWant,
			fresh: freshRequest, do: decide("POST"),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if want.allowed() && r.Status == 204 {
					if rel, _ := c.w.acc[c.arg].c.Do("GET", "/api/v1/accounts/"+c.o.acc.name, nil).JSON()["relationship"].(map[string]any); rel["following"] != true {
						c.fail("content", "the approved requester does not follow: %v", rel)
					}
				}
			}},
		{route: "DELETE /api/v1/me/follow-requests/{username}", targets: "requester", mutates: true, want: decideWant,
			fresh: freshRequest, do: decide("DELETE")},

		// Videos.
		{route: "GET /api/v1/videos/{id}", targets: "video", want: func(c *mxCell) mxWant { return c.viewing(200) },
			do: get(videoPath("")), after: checkVideo},
		{route: "PATCH /api/v1/videos/{id}", targets: "video", mutates: true,
			want: func(c *mxCell) mxWant { return c.editing(200) },
			do:   send("PATCH", videoPath(""), func(*mxCell) any { return map[string]any{"allow_download": true} }),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				// Undo, and see that a refused edit changed nothing.
				admin := c.w.shared[mxAdmin].c
				got := admin.Do("GET", "/api/v1/videos/"+c.v.id, nil).JSON()["allow_download"]
				if r.Status == 200 {
					c.c.Do("PATCH", "/api/v1/videos/"+c.v.id, map[string]any{"allow_download": false})
				} else if got != false {
					c.fail("side-effect", "the refused edit (%d) was applied", r.Status)
					if c.live() && c.self() {
						c.c.Do("PATCH", "/api/v1/videos/"+c.v.id, map[string]any{"allow_download": false})
					}
				}
			}},
		{route: "DELETE /api/v1/videos/{id}", targets: "video", mutates: true,
			want: func(c *mxCell) mxWant {
				switch {
				case !c.live():
					return mxUnauth
				case c.self() || c.staff():
					return mxOK(204)
				case !c.seesVideo(c.v, false):
					return mxHidden
				}
				return mxDeny(403, "not_owner")
			},
			fresh: spareVideo, do: send("DELETE", videoPath(""), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 {
					if again := c.w.shared[mxAdmin].c.Do("GET", "/api/v1/videos/"+c.v.id, nil); again.Status != 404 {
						c.fail("content", "the deleted video still answers %d", again.Status)
					}
				}
			}},
		{route: "GET /api/v1/videos/{id}/events", targets: "video", want: func(c *mxCell) mxWant { return c.editing(200) },
			do: func(c *mxCell, missing bool) *testkit.Response {
				return c.w.stream(c.c, videoPath("/events")(c, missing))
			}},
		{route: "POST /api/v1/videos/{id}/like", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.interacting(200) },
			do: send("POST", videoPath("/like"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 200 {
					c.c.Do("DELETE", "/api/v1/videos/"+c.v.id+"/like", nil)
				}
			}},
		{route: "DELETE /api/v1/videos/{id}/like", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.interacting(200) },
			do: send("DELETE", videoPath("/like"), nil)},
		{route: "POST /api/v1/videos/{id}/share", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.interacting(200) },
			do: send("POST", videoPath("/share"), nil)},
		{route: "PUT /api/v1/videos/{id}/comment-policy", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.editing(204) },
			do: send("PUT", videoPath("/comment-policy"), func(*mxCell) any { return map[string]any{"who_can_comment": "everyone"} })},
		{route: "GET /api/v1/videos/{id}/comments", targets: "video", want: func(c *mxCell) mxWant { return c.viewing(200) },
			do: get(func(c *mxCell, missing bool) string { return videoPath("/comments")(c, missing) + "?limit=100" }), after: checkComments},
		{route: "POST /api/v1/videos/{id}/comments", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.interacting(201) },
			do: send("POST", videoPath("/comments"), func(*mxCell) any { return map[string]any{"body": "mx probe comment"} }),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 201 {
					if d := c.c.Do("DELETE", "/api/v1/comments/"+r.JSON()["id"].(string), nil); d.Status != 204 {
						c.fail("side-effect", "the probe comment cannot be deleted by its author: %d", d.Status)
					}
				}
			}},
		{route: "PUT /api/v1/videos/{id}/pin", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.editing(204) },
			do: send("PUT", videoPath("/pin"), func(c *mxCell) any { return map[string]any{"comment_id": c.v.comment} }),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 {
					c.c.Do("DELETE", "/api/v1/videos/"+c.v.id+"/pin", nil)
				}
			}},
		{route: "DELETE /api/v1/videos/{id}/pin", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.editing(204) },
			do: send("DELETE", videoPath("/pin"), nil)},
		{route: "POST /api/v1/videos", mutates: true, want: mxSelf(201),
			do: func(c *mxCell, _ bool) *testkit.Response {
				return uploadForm(c.w.t, c.c, c.w.clip, map[string]string{"caption": "mx matrix upload", "visibility": "private"})
			}},

		// Comments: the target is the owner's comment on each video.
		{route: "GET /api/v1/comments/{id}/replies", targets: "video", want: func(c *mxCell) mxWant { return c.viewing(200) },
			do: get(commentPath("/replies")), after: checkThread},
		{route: "DELETE /api/v1/comments/{id}", targets: "video", mutates: true,
			want: func(c *mxCell) mxWant {
				switch {
				case !c.live():
					return mxUnauth
				case !c.seesVideo(c.v, false):
					return mxHidden
				case c.self() || c.staff():
					return mxOK(204)
				}
				return mxDeny(403, "not_your_comment")
			},
			fresh: spareComment, do: send("DELETE", commentPath(""), nil)},
		{route: "POST /api/v1/comments/{id}/like", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.interacting(204) },
			do: send("POST", commentPath("/like"), nil),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status == 204 {
					c.c.Do("DELETE", "/api/v1/comments/"+c.v.comment+"/like", nil)
				}
			}},
		{route: "DELETE /api/v1/comments/{id}/like", targets: "video", mutates: true, want: func(c *mxCell) mxWant { return c.interacting(204) },
			do: send("DELETE", commentPath("/like"), nil)},

		// Uploads: someone else's upload does not exist.
		{route: "POST /api/v1/uploads", mutates: true, want: mxSelf(201),
			do: func(c *mxCell, _ bool) *testkit.Response {
				return c.c.Do("POST", "/api/v1/uploads", nil, "Tus-Resumable", "1.0.0", "Upload-Length", "1000")
			}},
		{route: "HEAD /api/v1/uploads/{id}", targets: "upload", want: uploadWant(200), do: tus("HEAD")},
		{route: "PATCH /api/v1/uploads/{id}", targets: "upload", mutates: true, want: uploadWant(204), fresh: spareUpload,
			do: tus("PATCH", "Content-Type", "application/offset+octet-stream", "Upload-Offset", "0")},
		{route: "DELETE /api/v1/uploads/{id}", targets: "upload", mutates: true, want: uploadWant(204), fresh: spareUpload, do: tus("DELETE")},

		// Privacy pages and exports: one's own only, whoever holds the link.
		{route: "GET /api/v1/me/privacy", want: mxSelf(200), do: get(fixed("/api/v1/me/privacy"))},
		{route: "GET /api/v1/me/interests", want: mxSelf(200), do: get(fixed("/api/v1/me/interests"))},
		// Each viewer marks the video not interested (which only works on a video they see),
		// then takes the mark back: a mark that could not be made is not found, as for a
		// missing video.
		{route: "DELETE /api/v1/me/not-interested/{target}/{name}", targets: "video", mutates: true,
			want: func(c *mxCell) mxWant {
				switch {
				case !c.live():
					return mxUnauth
				case c.seesVideo(c.v, false):
					return mxOK(204)
				}
				w := mxDeny(404, "not_marked")
				w.sameAsMissing = true
				return w
			},
			do: func(c *mxCell, missing bool) *testkit.Response {
				if !missing {
					c.c.Do("POST", "/api/v1/events", map[string]any{"events": []map[string]any{{
						"kind": "not_interested", "key": c.w.name("mxnotint00"), "at": c.w.a.Clock.Now().Format(time.RFC3339Nano),
						"video_id": c.videoID(false), "target": "video"}}})
				}
				return c.c.Do("DELETE", "/api/v1/me/not-interested/video/"+c.videoID(missing), nil)
			}},
		{route: "POST /api/v1/me/exports", mutates: true, want: mxSelf(202), do: send("POST", fixed("/api/v1/me/exports"), nil)},
		{route: "GET /api/v1/me/exports/{id}", targets: "account", want: uploadWant(200),
			applies: func(c *mxCell) bool { return c.o.export != "" },
			do: get(func(c *mxCell, missing bool) string {
				if missing {
					return "/api/v1/me/exports/" + c.w.missing.upload
				}
				return "/api/v1/me/exports/" + c.o.export
			})},
		{route: "GET /api/v1/me/exports/{id}/download", targets: "account", mutates: true, want: uploadWant(200),
			applies: func(c *mxCell) bool { return c.o.export != "" },
			// Everyone tries the owner's own link, token and all.
			do: get(func(c *mxCell, missing bool) string {
				if missing {
					return strings.Replace(c.o.exportURL, c.o.export, c.w.missing.upload, 1)
				}
				return c.o.exportURL
			}),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status != 200 {
					return
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/zip" || len(r.Body) == 0 {
					c.fail("content", "the archive is %q, %d bytes", ct, len(r.Body))
				}
				if again := c.c.Do("GET", c.o.exportURL, nil); again.Status != 410 {
					c.fail("content", "a second download answers %d", again.Status)
				}
			}},

		// Notifications: the viewer's own, with nothing in them the viewer may not see.
		{route: "GET /api/v1/notifications", want: mxSelf(200), do: get(fixed("/api/v1/notifications?limit=100")), after: checkNotifications},
		{route: "GET /api/v1/notifications/unread", want: mxSelf(200), do: get(fixed("/api/v1/notifications/unread")),
			after: func(c *mxCell, want mxWant, r *testkit.Response) {
				if r.Status != 200 {
					return
				}
				sum := 0
				for _, g := range mxItems(c.c.Do("GET", "/api/v1/notifications?limit=100", nil)) {
					if g["unread"] == true {
						n, _ := g["count"].(float64)
						sum += int(n)
					}
				}
				if got := int(r.JSON()["unread"].(float64)); got != sum {
					c.fail("count", "unread count %d, but the notifications show %d unread", got, sum)
				}
			}},
		{route: "POST /api/v1/notifications/read", mutates: true, want: mxSelf(204), do: send("POST", fixed("/api/v1/notifications/read"), nil)},

		// Search and hashtag pages: search treats staff as members, so the model does too.
		{route: "GET /api/v1/search", want: mxAnyone(200), do: searchAll},
		{route: "GET /api/v1/hashtags/{tag}", want: mxAnyone(200),
			do: func(c *mxCell, _ bool) *testkit.Response {
				var r *testkit.Response
				for _, tag := range mxTags {
					r = c.c.Do("GET", "/api/v1/hashtags/"+tag, nil)
					if r.Status != 200 {
						break
					}
					got, _ := r.JSON()["video_count"].(float64)
					seen := len(c.w.tagged(c.me, tag))
					c.count("video_count of #"+tag, int(got), seen, seen)
				}
				return r
			}},
		{route: "GET /api/v1/hashtags/{tag}/videos", want: mxAnyone(200),
			do: func(c *mxCell, _ bool) *testkit.Response {
				var r *testkit.Response
				for _, tag := range mxTags {
					for _, sort := range []string{"top", "newest"} {
						r = c.c.Do("GET", "/api/v1/hashtags/"+tag+"/videos?limit=100&sort="+sort, nil)
						if r.Status != 200 {
							return r
						}
						if got, exp := mxStrings(mxItems(r), "id"), c.w.tagged(c.me, tag); mxSet(got) != mxSet(exp) {
							c.fail("list", "#%s (%s) lists %s, want %s", tag, sort, c.w.captions(got), c.w.captions(exp))
						}
						checkVideoList(c, "#"+tag, r)
					}
				}
				return r
			}},

		// Feeds and watch events.
		{route: "GET /api/v1/feed/{name}", want: mxAnyone(200),
			// The answer judged is For You's; trending and following are checked on the way.
			do: func(c *mxCell, _ bool) *testkit.Response {
				for _, name := range []string{"trending", "following"} {
					r := c.c.Do("GET", "/api/v1/feed/"+name+"?limit=100", nil)
					switch {
					case r.Status == 200:
						checkVideoList(c, "feed "+name, r)
					case name == "following" && !c.live() && r.Status == 401:
					default:
						c.fail("status", "feed %s answers %d %s", name, r.Status, mxShort(r.Body))
					}
				}
				r := c.c.Do("GET", "/api/v1/feed/for_you?limit=100", nil)
				if r.Status == 200 {
					checkVideoList(c, "feed for_you", r)
				}
				return r
			}},
		{route: "POST /api/v1/feed/refresh", mutates: true, want: mxSelf(204), do: send("POST", fixed("/api/v1/feed/refresh"), nil)},
		{route: "POST /api/v1/events", targets: "video", mutates: true,
			want: func(c *mxCell) mxWant {
				if c.seesVideo(c.v, false) {
					return mxOK(200)
				}
				w := mxDeny(400, "unknown_video")
				w.sameAsMissing = true
				return w
			},
			do: func(c *mxCell, missing bool) *testkit.Response {
				return c.c.Do("POST", "/api/v1/events", map[string]any{"events": []map[string]any{{
					"kind": "impression", "key": c.w.name("mxevent000"), "at": c.w.a.Clock.Now().Format(time.RFC3339Nano),
					"video_id": c.videoID(missing), "feed": "direct"}}})
			}},

		// Creator analytics: the creator's alone; to anyone else a video's do not exist.
		{route: "GET /api/v1/me/analytics", want: mxSelf(200), do: get(fixed("/api/v1/me/analytics?days=7"))},
		{route: "GET /api/v1/videos/{id}/analytics", targets: "video",
			want: func(c *mxCell) mxWant {
				switch {
				case !c.live():
					return mxUnauth
				case c.self():
					return mxOK(200)
				}
				return mxHidden
			},
			do: get(videoPath("/analytics"))},

		// Media, avatars and share pages.
		{route: "GET /media/videos/{id}/{file}", targets: "video",
			// An unsigned URL is for public media, which any cache may hold, whoever asks.
			want: func(c *mxCell) mxWant {
				if c.v.kind == "public" && !c.o.acc.suspended {
					return mxOK(206)
				}
				return mxHidden
			},
			do: func(c *mxCell, missing bool) *testkit.Response {
				return c.c.Do("GET", "/media/videos/"+c.videoID(missing)+"/original.mp4", nil, "Range", "bytes=0-15")
			}},
		{route: "GET /media/videos/{id}/{file}?signed", targets: "video",
			applies: func(c *mxCell) bool { return c.v.signed[c.viewer] != "" },
			want: func(c *mxCell) mxWant {
				switch {
				case c.seesVideo(c.v, false):
					return mxOK(206)
				}
				return mxDeny(403, "invalid_media_url")
			},
			do: func(c *mxCell, _ bool) *testkit.Response {
				u := c.v.signed[c.viewer]
				// Someone else's signed link is refused whoever holds it.
				for _, other := range []mxViewer{mxStranger, mxPending, mxAnonymous} {
					if other == c.viewer {
						continue
					}
					oc := c.w.cell(c.route, other, c.o, c.v)
					if r := oc.c.Do("GET", u, nil); r.Status != 403 || r.ErrorCode() != "invalid_media_url" {
						c.fail("media", "the link signed for %s answers %s: %d", c.viewer, other, r.Status)
					}
				}
				return c.c.Do("GET", u, nil, "Range", "bytes=0-15")
			}},
		{route: "GET /media/avatars/{path...}", targets: "account",
			want: func(c *mxCell) mxWant {
				if c.o.acc.suspended {
					return mxHidden
				}
				return mxOK(200)
			},
			do: func(c *mxCell, missing bool) *testkit.Response {
				p := c.o.avatar
				if missing {
					p = strings.Replace(p, c.o.acc.id, c.w.missing.account, 1)
				}
				return c.c.Do("GET", p, nil)
			}},
		{route: "GET /v/{id}", targets: "video", want: func(c *mxCell) mxWant {
			// The share page is the app shell; a video anyone may watch adds its Open Graph
			// tags, but a hidden one must look exactly like a missing one.
			w := mxOK(200)
			w.sameAsMissing = !(c.v.kind == "public" && !c.o.acc.suspended)
			return w
		}, do: get(func(c *mxCell, missing bool) string { return "/v/" + c.videoID(missing) })},
		{route: "GET /@{username}", targets: "account", want: func(c *mxCell) mxWant {
			w := mxOK(200)
			w.sameAsMissing = true
			return w
		}, do: get(func(c *mxCell, missing bool) string { return "/@" + c.username(missing) })},
	}
}

// ---------------------------------------------------------------------------------------
// Helpers of the route entries.

// freshTarget gives an administrator's cell a new account of the target's kind to act on.
func freshTarget(c *mxCell, want mxWant) *mxCell {
	if !want.allowed() {
		return nil
	}
	f := *c
	f.o = c.w.newOwner(c.o.kind, c.w.name("mxt"))
	if f.o.kind == "suspended" {
		c.w.suspend(f.o.acc)
	}
	return &f
}

func followListWant(c *mxCell) mxWant {
	switch {
	case !c.seesAccount():
		return mxHidden
	case c.o.kind == "private" && !(c.self() || c.staff() || c.w.follows[[2]string{c.name(), c.o.acc.name}]):
		return mxDeny(403, "private_account")
	}
	return mxOK(200)
}

func uploadWant(status int) func(c *mxCell) mxWant {
	return func(c *mxCell) mxWant {
		switch {
		case !c.live():
			return mxUnauth
		case c.self():
			return mxOK(status)
		}
		return mxHidden
	}
}

// Follow requests: only the account asked decides, and only on a live request.
func decideWant(c *mxCell) mxWant {
	switch {
	case !c.live():
		return mxUnauth
	case c.self() && c.arg == "mx_pending":
		return mxOK(204)
	}
	return mxHidden
}

// freshRequest gives the private owner's cells a new private account with a new request
// (from an account suspended afterwards, for the ghost), since deciding changes both.
func freshRequest(c *mxCell, want mxWant) *mxCell {
	if !c.self() || c.arg == "mx_stranger" {
		return nil
	}
	f := *c
	f.o = c.w.newOwner("private", c.w.name("mxo"))
	f.me, f.c = f.o.acc, f.o.acc.c
	req := c.w.user(c.w.name("mxr"))
	c.w.request(req, f.o.acc)
	if c.arg == "mx_ghost" {
		c.w.suspend(req)
	}
	f.arg, f.label = req.name, c.arg
	return &f
}

func decide(method string) func(c *mxCell, missing bool) *testkit.Response {
	return func(c *mxCell, missing bool) *testkit.Response {
		name := c.arg
		if missing {
			name = c.w.missing.username
		}
		return c.c.Do(method, "/api/v1/me/follow-requests/"+name, nil)
	}
}

// tokenClient logs acc in once more, with a bearer token of its own.
func (w *mxWorld) tokenClient(acc *mxAccount) *testkit.Client {
	c := w.a.Client()
	r := w.must(c, "POST", "/api/v1/sessions", map[string]any{"username": acc.name, "password": testkit.Password, "token": true}, 201)
	c.Token = r.JSON()["token"].(string)
	return c
}

// stream opens a server-sent event stream and keeps only its status: the stream itself
// runs until the client goes away.
func (w *mxWorld) stream(c *testkit.Client, path string) *testkit.Response {
	req, err := http.NewRequest("GET", w.a.Server.URL+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	out := &testkit.Response{Status: res.StatusCode, Header: res.Header}
	if res.StatusCode != 200 {
		out.Body, _ = io.ReadAll(res.Body)
	}
	return out
}

// checkProfile: the counters count only what this viewer may see. A count that is off is
// reported by cause: things of suspended accounts, or things hidden from this viewer alone.
func checkProfile(c *mxCell, want mxWant, r *testkit.Response) {
	if r.Status != 200 {
		return
	}
	counts, _ := r.JSON()["counts"].(map[string]any)
	for _, side := range []struct {
		key       string
		followers bool
	}{{"followers", true}, {"following", false}} {
		got, _ := counts[side.key].(float64)
		seen := len(c.w.expectedFollows(c.me, c.o.acc, side.followers))
		active := len(c.w.expectedFollows(c.w.shared[mxAdmin], c.o.acc, side.followers))
		c.count(side.key+" count", int(got), seen, active)
	}
	likes := 0
	for _, v := range c.o.videos {
		likes += c.w.activeLikes(v.id)
	}
	got, _ := counts["likes"].(float64)
	c.count("likes count", int(got), likes, likes)
}

// count compares a counter with what the viewer may see (seen), and with what accounts that
// are not suspended did (active), so that a finding says which of the two it counts.
func (c *mxCell) count(what string, got, seen, active int) {
	if got == seen {
		return
	}
	if got != active {
		c.fail("count", "%s is %d: it counts things of suspended accounts (%d without them)", what, got, active)
	}
	if active != seen {
		c.fail("count", "%s is %d, but %d are visible to this viewer: it counts things hidden from this viewer (blocks, held comments)", what, got, seen)
	}
}

func checkFollowList(followers bool) func(c *mxCell, want mxWant, r *testkit.Response) {
	return func(c *mxCell, want mxWant, r *testkit.Response) {
		if r.Status != 200 {
			return
		}
		got := mxStrings(mxItems(r), "username")
		if exp := c.w.expectedFollows(c.me, c.o.acc, followers); mxSet(got) != mxSet(exp) {
			c.fail("list", "lists %v, want %v", got, mxSet(exp))
		}
	}
}

// checkAccountVideos: exactly the videos this viewer may see (never removed ones in the
// list; unfinished uploads for their creator and staff).
func checkAccountVideos(c *mxCell, want mxWant, r *testkit.Response) {
	if r.Status != 200 {
		return
	}
	var exp []string
	for _, v := range c.o.order {
		if v.kind != "removed" && c.seesVideo(v, false) {
			exp = append(exp, v.id)
			exp = append(exp, mxValues(v.spares)...)
		}
	}
	if c.self() || c.staff() {
		exp = append(exp, c.o.uploadVideo)
	}
	got := mxStrings(mxItems(r), "id")
	if mxSet(got) != mxSet(exp) {
		c.fail("list", "lists %s, want %s", c.w.captions(got), c.w.captions(exp))
	}
	checkVideoList(c, "account videos", r)
}

// captions names videos for messages.
func (w *mxWorld) captions(ids []string) string {
	var out []string
	for _, id := range ids {
		name := id
		for _, v := range w.videos {
			if v.id == id {
				name = v.owner.acc.name + "/" + v.kind
			}
			for _, s := range v.spares {
				if s == id {
					name = v.owner.acc.name + "/" + v.kind + "(spare)"
				}
			}
		}
		for _, o := range w.owners {
			if o.uploadVideo == id {
				name = o.acc.name + "/uploading"
			}
		}
		out = append(out, name)
	}
	return mxSet(out)
}

// checkVideoList: every video a list shows is one this viewer may open, and no caption of
// a video hidden from the viewer appears anywhere in the answer.
func checkVideoList(c *mxCell, what string, r *testkit.Response) {
	for _, it := range mxItems(r) {
		id, _ := it["id"].(string)
		if !c.canSee("/api/v1/videos/" + id) {
			c.fail("list", "%s shows %s, which this viewer cannot open", what, c.w.captions([]string{id}))
		}
	}
	for _, v := range c.w.videos {
		if !c.seesVideo(v, false) && bytes.Contains(r.Body, []byte(v.caption)) {
			c.fail("list", "%s shows the caption of %s", what, c.w.captions([]string{v.id}))
		}
	}
	for _, o := range c.w.owners {
		if !(mxLive(c.me) && (c.me == o.acc || c.staff())) && bytes.Contains(r.Body, []byte(o.uploadCaption)) {
			c.fail("list", "%s shows the unfinished upload of %s", what, o.acc.name)
		}
	}
}

// checkVideo: every file the answer names plays for this viewer, and the counters count
// only what this viewer may see.
func checkVideo(c *mxCell, want mxWant, r *testkit.Response) {
	if r.Status != 200 {
		return
	}
	j := r.JSON()
	rs, _ := j["renditions"].([]any)
	if len(rs) == 0 {
		c.fail("media", "the video has no renditions")
	}
	for _, x := range rs {
		m, _ := x.(map[string]any)
		u, _ := m["url"].(string)
		if got := c.c.Do("GET", u, nil, "Range", "bytes=0-15"); got.Status != 206 {
			c.fail("media", "the %v rendition it names answers %d %s", m["name"], got.Status, mxShort(got.Body))
		}
	}
	counts, _ := j["counts"].(map[string]any)
	got, _ := counts["comments"].(float64)
	c.count("comments count", int(got), c.w.visibleComments(c.me, c.v.id), c.w.activeComments(c.me, c.v.id))
	got, _ = counts["likes"].(float64)
	c.count("likes count", int(got), c.w.activeLikes(c.v.id), c.w.activeLikes(c.v.id))
}

func (w *mxWorld) bodies(ids []string) string {
	var out []string
	for _, id := range ids {
		name := id
		for _, cm := range w.comments {
			if cm.id == id {
				name = strings.TrimPrefix(cm.body, "mx ")
			}
		}
		out = append(out, "«"+name+"»")
	}
	return mxSet(out)
}

// checkComments: exactly the top-level comments this viewer may see, each with a reply
// count of the replies this viewer may see.
func checkComments(c *mxCell, want mxWant, r *testkit.Response) {
	if r.Status != 200 {
		return
	}
	var exp []string
	for _, cm := range c.w.comments {
		if cm.video == c.v.id && cm.parent == "" && c.seesComment(cm) {
			exp = append(exp, cm.id)
		}
	}
	items := mxItems(r)
	if got := mxStrings(items, "id"); mxSet(got) != mxSet(exp) {
		c.fail("list", "lists %s, want %s", c.w.bodies(got), c.w.bodies(exp))
	}
	for _, it := range items {
		id, _ := it["id"].(string)
		n, _ := it["replies"].(float64)
		c.count("the reply count of "+c.w.bodies([]string{id}), int(n), len(c.w.visibleReplies(c.me, id)), len(c.w.activeReplies(c.me, id)))
	}
}

// checkThread: the owner's comment has no replies; on the thread video, every top-level
// comment's replies are exactly those the viewer may see, and a hidden comment's replies
// answer like a missing comment's.
func checkThread(c *mxCell, want mxWant, r *testkit.Response) {
	if r.Status == 200 && len(mxItems(r)) != 0 {
		c.fail("list", "the owner's comment lists %d replies", len(mxItems(r)))
	}
	if c.v != c.w.owners[0].videos["public"] {
		return
	}
	missing := c.c.Do("GET", "/api/v1/comments/"+c.w.missing.comment+"/replies?limit=100", nil)
	for _, top := range c.w.comments {
		if top.video != c.v.id || top.parent != "" {
			continue
		}
		got := c.c.Do("GET", "/api/v1/comments/"+top.id+"/replies?limit=100", nil)
		if !c.seesComment(top) {
			if got.Status != missing.Status || !bytes.Equal(got.Body, missing.Body) {
				c.fail("thread", "the replies to the hidden comment %s answer %d %s; a missing comment's %d", c.w.bodies([]string{top.id}), got.Status, mxShort(got.Body), missing.Status)
			}
			continue
		}
		if got.Status != 200 {
			c.fail("thread", "the replies to %s answer %d", c.w.bodies([]string{top.id}), got.Status)
			continue
		}
		if ids, exp := mxStrings(mxItems(got), "id"), c.w.visibleReplies(c.me, top.id); mxSet(ids) != mxSet(exp) {
			c.fail("thread", "the replies to %s list %s, want %s", c.w.bodies([]string{top.id}), c.w.bodies(ids), c.w.bodies(exp))
		}
	}
}

// checkNotifications: every account, video and comment a notification names is one the
// viewer may see; and the viewers with activity do get notifications.
func checkNotifications(c *mxCell, want mxWant, r *testkit.Response) {
	if r.Status != 200 {
		return
	}
	kinds := map[string]bool{}
	for _, g := range mxItems(r) {
		kind, _ := g["kind"].(string)
		kinds[kind] = true
		actors, _ := g["actors"].([]any)
		for _, a := range actors {
			name, _ := a.(map[string]any)["username"].(string)
			if !c.canSee("/api/v1/accounts/" + name) {
				c.fail("notification", "a %s notification names %s, whom this viewer cannot see", kind, name)
			}
		}
		if vid, _ := g["video_id"].(string); vid != "" && !c.canSee("/api/v1/videos/"+vid) {
			c.fail("notification", "a %s notification points at %s, which this viewer cannot see", kind, c.w.captions([]string{vid}))
		}
		if cid, _ := g["comment_id"].(string); cid != "" {
			seen := false
			for _, cm := range c.w.comments {
				if cm.id == cid {
					seen = c.seesComment(cm)
				}
			}
			if !seen {
				c.fail("notification", "a %s notification points at the comment %s, which this viewer cannot see", kind, c.w.bodies([]string{cid}))
			}
		}
	}
	var exp []string
	switch c.name() {
	case "mx_stranger":
		exp = []string{"mention", "reply"}
	case "mx_public":
		exp = []string{"comment", "like", "follow"}
	}
	for _, k := range exp {
		if !kinds[k] {
			c.fail("notification", "no %s notification", k)
		}
	}
}

// mxLeak is a known leak or wrong answer, with the findings it explains.
type mxLeak struct {
	id, reason string
	match      func(f mxFinding) bool
}

// mxKnownLeaks are the leaks and wrong answers the matrix finds today, each with the cells
// it explains (match, for instance, the finding's route, tag and a part of its message).
// Fixing one makes the test fail until its entry is removed here. There are none now.
var mxKnownLeaks = []mxLeak{}

// The hashtags of the world: every caption has #mxtag and #mx<kind>, and nobody used the last.
var mxTags = []string{"mxtag", "mxpublic", "mxfollowers", "mxprivate", "mxremoved", "mxnobodyused"}

// tagged lists the videos with a hashtag that me may see, as search sees them: staff as
// members, and removed videos for nobody.
func (w *mxWorld) tagged(me *mxAccount, tag string) []string {
	var out []string
	for _, v := range w.all {
		if (tag == "mxtag" || tag == "mx"+v.kind) && v.kind != "removed" && w.sees(me, v, true) {
			out = append(out, v.id)
		}
	}
	return out
}

// searchAll searches videos, accounts and hashtags, checks each against the model, and
// returns the answer of a search of all three.
func searchAll(c *mxCell, _ bool) *testkit.Response {
	r := c.c.Do("GET", "/api/v1/search?q=mxcap&type=videos&limit=100", nil)
	if r.Status != 200 {
		return r
	}
	var vids []map[string]any
	if items, ok := r.JSON()["videos"].([]any); ok {
		for _, it := range items {
			m, _ := it.(map[string]any)
			vids = append(vids, m)
		}
	}
	var exp []string
	for _, v := range c.w.all {
		if v.kind != "removed" && c.seesVideo(v, true) {
			exp = append(exp, v.id)
		}
	}
	if got := mxStrings(vids, "id"); mxSet(got) != mxSet(exp) {
		c.fail("list", "the video search finds %s, want %s", c.w.captions(got), c.w.captions(exp))
	}
	checkVideoList(c, "the video search", &testkit.Response{Status: 200, Body: mxItemsBody(vids)})

	r = c.c.Do("GET", "/api/v1/search?q=mx&type=accounts&limit=100", nil)
	if r.Status != 200 {
		return r
	}
	var found []string
	if items, ok := r.JSON()["accounts"].([]any); ok {
		for _, it := range items {
			name, _ := it.(map[string]any)["username"].(string)
			found = append(found, name)
			if !c.canSee("/api/v1/accounts/" + name) {
				c.fail("list", "the account search finds %s, whose profile this viewer cannot see", name)
			}
		}
	}
	for _, name := range []string{"mx_public", "mx_private", "mx_suspended", "mx_hater", "mx_ghost", "mx_stranger"} {
		acc := c.w.acc[name]
		// Accounts the viewer blocked may be left out too.
		if c.w.seesAccount(c.me, acc) && !c.w.blocks[[2]string{c.name(), name}] && !mxStaff(c.me) && !strings.Contains(mxSet(found), name) {
			c.fail("list", "the account search misses %s", name)
		}
	}

	r = c.c.Do("GET", "/api/v1/search?q=mx&type=hashtags&limit=100", nil)
	if r.Status != 200 {
		return r
	}
	if items, ok := r.JSON()["hashtags"].([]any); ok {
		for _, it := range items {
			m, _ := it.(map[string]any)
			name, _ := m["name"].(string)
			got, _ := m["video_count"].(float64)
			seen := len(c.w.tagged(c.me, name))
			c.count("the search's video_count of #"+name, int(got), seen, seen)
		}
	}

	r = c.c.Do("GET", "/api/v1/search?q=mx&limit=100", nil)
	if r.Status == 200 {
		checkVideoList(c, "the search", &testkit.Response{Status: 200, Body: r.Body})
	}
	return r
}

// mxItemsBody wraps items as a list answer, for checkVideoList.
func mxItemsBody(items []map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"items": items})
	return b
}
