package policy

import (
	"testing"

	"kurz/internal/errs"
)

func TestPrivacyDecision(t *testing.T) {
	user := Viewer{AccountID: "u1", Role: RoleUser}
	other := Account{ID: "u2", Role: RoleUser, State: StateActive}
	self := Account{ID: "u1", Role: RoleUser, State: StateActive}
	mod := Viewer{AccountID: "m1", Role: RoleModerator}
	adm := Viewer{AccountID: "a1", Role: RoleAdmin}
	cases := []struct {
		name string
		v    Viewer
		a    Action
		t    Account
		kind errs.Kind // -1: allowed
	}{
		{"anonymous reads", Viewer{}, ReadPersonalData, other, errs.KindUnauthenticated},
		{"user reads another", user, ReadPersonalData, other, errs.KindForbidden},
		{"user reads own", user, ReadPersonalData, self, -1},
		{"moderator reads", mod, ReadPersonalData, other, -1},
		{"admin reads", adm, ReadPersonalData, other, -1},
		{"owner manages", user, ManageOwnPrivacy, self, -1},
		{"moderator manages another's", mod, ManageOwnPrivacy, other, errs.KindForbidden},
		{"user erases another", user, EraseAccountNow, other, errs.KindForbidden},
		{"moderator erases", mod, EraseAccountNow, other, errs.KindForbidden},
		{"admin erases", adm, EraseAccountNow, other, -1},
		{"admin erases self", adm, EraseAccountNow, Account{ID: "a1", Role: RoleAdmin}, errs.KindForbidden},
		{"unknown action", adm, ViewProfile, other, errs.KindForbidden},
	}
	for _, c := range cases {
		err := PrivacyDecision(c.v, c.a, c.t)
		if c.kind == -1 {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			}
			continue
		}
		if !errs.Is(err, c.kind) {
			t.Errorf("%s: got %v, want kind %d", c.name, err, c.kind)
		}
	}
}
