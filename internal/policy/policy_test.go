package policy

import (
	"fmt"
	"testing"

	"kurz/internal/errs"
)

// TestAccountMatrix runs every account action for every kind of viewer against every kind
// of target, and compares with the expected outcome written out in full.
func TestAccountMatrix(t *testing.T) {
	viewers := map[string]Viewer{
		"anonymous": {},
		"stranger":  {AccountID: "s", Role: RoleUser},
		"owner":     {AccountID: "t", Role: RoleUser},
		"moderator": {AccountID: "m", Role: RoleModerator},
		"admin":     {AccountID: "a", Role: RoleAdmin},
	}
	targets := map[string]Account{
		"active":    {ID: "t", Role: RoleUser, State: StateActive},
		"private":   {ID: "t", Role: RoleUser, State: StateActive, Private: true},
		"suspended": {ID: "t", Role: RoleUser, State: StateSuspended},
	}
	// outcome: ok, 404 (hidden), 403 (forbidden), 401 (log in)
	want := map[Action]map[string]map[string]string{
		ViewProfile: {
			"anonymous": {"active": "ok", "private": "ok", "suspended": "404"},
			"stranger":  {"active": "ok", "private": "ok", "suspended": "404"},
			"owner":     {"active": "ok", "private": "ok", "suspended": "ok"},
			"moderator": {"active": "ok", "private": "ok", "suspended": "ok"},
			"admin":     {"active": "ok", "private": "ok", "suspended": "ok"},
		},
		EditProfile: {
			"anonymous": {"active": "401", "private": "401", "suspended": "401"},
			"stranger":  {"active": "403", "private": "403", "suspended": "403"},
			"owner":     {"active": "ok", "private": "ok", "suspended": "ok"},
			"moderator": {"active": "403", "private": "403", "suspended": "403"},
			"admin":     {"active": "403", "private": "403", "suspended": "403"},
		},
		SuspendAccount: {
			"anonymous": {"active": "401", "private": "401", "suspended": "401"},
			"stranger":  {"active": "403", "private": "403", "suspended": "403"},
			"owner":     {"active": "403", "private": "403", "suspended": "403"},
			"moderator": {"active": "403", "private": "403", "suspended": "403"},
			"admin":     {"active": "ok", "private": "ok", "suspended": "ok"},
		},
	}
	want[ManageOwnSessions] = want[EditProfile]
	want[ChangeRole] = want[SuspendAccount]
	for action, byViewer := range want {
		for vn, byTarget := range byViewer {
			for tn, outcome := range byTarget {
				got := outcomeOf(AccountDecision(viewers[vn], action, targets[tn]))
				if got != outcome {
					t.Errorf("%s by %s on %s account: got %s, want %s", action, vn, tn, got, outcome)
				}
			}
		}
	}
	// An admin acting on their own account is refused.
	if got := outcomeOf(AccountDecision(viewers["admin"], SuspendAccount, Account{ID: "a", State: StateActive})); got != "403" {
		t.Errorf("admin suspending themselves: %s", got)
	}
}

func TestInstanceMatrix(t *testing.T) {
	cases := []struct {
		v    Viewer
		a    Action
		want string
	}{
		{Viewer{}, ManageInstance, "401"},
		{Viewer{AccountID: "u", Role: RoleUser}, ManageInstance, "403"},
		{Viewer{AccountID: "m", Role: RoleModerator}, ManageInstance, "403"},
		{Viewer{AccountID: "a", Role: RoleAdmin}, ManageInstance, "ok"},
		{Viewer{AccountID: "u", Role: RoleUser}, ListAccounts, "403"},
		{Viewer{AccountID: "a", Role: RoleAdmin}, ListAccounts, "ok"},
		{Viewer{}, ViewInstanceConfig, "ok"},
		{Viewer{}, Action("launch_missiles"), "403"},
	}
	for _, c := range cases {
		if got := outcomeOf(InstanceDecision(c.v, c.a)); got != c.want {
			t.Errorf("%s by %+v: got %s, want %s", c.a, c.v, got, c.want)
		}
	}
}

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errs.Is(err, errs.KindNotFound):
		return "404"
	case errs.Is(err, errs.KindForbidden):
		return "403"
	case errs.Is(err, errs.KindUnauthenticated):
		return "401"
	}
	return fmt.Sprint(err)
}

func TestVideoMatrix(t *testing.T) {
	viewers := map[string]struct {
		v   Viewer
		rel Relation
	}{
		"anonymous": {Viewer{}, Relation{}},
		"stranger":  {Viewer{AccountID: "s", Role: RoleUser}, Relation{}},
		"follower":  {Viewer{AccountID: "f", Role: RoleUser}, Relation{Follower: true}},
		"blocked":   {Viewer{AccountID: "b", Role: RoleUser}, Relation{Follower: true, Blocked: true}},
		"owner":     {Viewer{AccountID: "o", Role: RoleUser}, Relation{}},
		"moderator": {Viewer{AccountID: "m", Role: RoleModerator}, Relation{}},
	}
	videos := map[string]Video{
		"public":     {OwnerID: "o", Visibility: "public", Ready: true, OwnerState: StateActive},
		"followers":  {OwnerID: "o", Visibility: "followers", Ready: true, OwnerState: StateActive},
		"private":    {OwnerID: "o", Visibility: "private", Ready: true, OwnerState: StateActive},
		"processing": {OwnerID: "o", Visibility: "public", OwnerState: StateActive},
		"removed":    {OwnerID: "o", Visibility: "public", Ready: true, Removed: true, OwnerState: StateActive},
		"suspended":  {OwnerID: "o", Visibility: "public", Ready: true, OwnerState: StateSuspended},
	}
	want := map[string]map[string]string{ // ViewVideo
		"anonymous": {"public": "ok", "followers": "404", "private": "404", "processing": "404", "removed": "404", "suspended": "404"},
		"stranger":  {"public": "ok", "followers": "404", "private": "404", "processing": "404", "removed": "404", "suspended": "404"},
		"follower":  {"public": "ok", "followers": "ok", "private": "404", "processing": "404", "removed": "404", "suspended": "404"},
		"blocked":   {"public": "404", "followers": "404", "private": "404", "processing": "404", "removed": "404", "suspended": "404"},
		"owner":     {"public": "ok", "followers": "ok", "private": "ok", "processing": "ok", "removed": "404", "suspended": "404"},
		"moderator": {"public": "ok", "followers": "ok", "private": "ok", "processing": "ok", "removed": "ok", "suspended": "ok"},
	}
	for vn, byVideo := range want {
		for vid, outcome := range byVideo {
			x := viewers[vn]
			if got := outcomeOf(VideoDecision(x.v, ViewVideo, videos[vid], x.rel)); got != outcome {
				t.Errorf("%s viewing %s video: got %s, want %s", vn, vid, got, outcome)
			}
		}
	}
	editWant := map[string]map[string]string{
		"anonymous": {"public": "401", "private": "401"},
		"stranger":  {"public": "403", "private": "404"},
		"owner":     {"public": "ok", "private": "ok"},
		"moderator": {"public": "403", "private": "403"},
	}
	for vn, byVideo := range editWant {
		for vid, outcome := range byVideo {
			x := viewers[vn]
			if got := outcomeOf(VideoDecision(x.v, EditVideo, videos[vid], x.rel)); got != outcome {
				t.Errorf("%s editing %s video: got %s, want %s", vn, vid, got, outcome)
			}
		}
	}
	if got := outcomeOf(VideoDecision(viewers["moderator"].v, DeleteVideo, videos["public"], Relation{})); got != "ok" {
		t.Errorf("moderator deleting: %s", got)
	}
}
