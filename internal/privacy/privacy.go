// Package privacy makes kurz's privacy promises checkable: the personal-data vault (per-user
// keys, every non-owner read logged), the access transparency log users can verify, account
// erasure by crypto-shredding, and the "download my data" export.
package privacy

import (
	"fmt"
	"slices"

	"kurz/internal/errs"
	"kurz/internal/privacy/translog"
)

// Field names one kind of personal data in the vault. The names appear in access-log
// entries, so they are part of what users and auditors read.
type Field string

// The vault's fields.
const (
	FieldEmail         Field = "email"
	FieldPhone         Field = "phone"
	FieldBirthDate     Field = "birth_date"
	FieldSessionIPs    Field = "session_ips"         // truncated IP of each recent log-in
	FieldSessionAgents Field = "session_user_agents" // raw User-Agent of each recent log-in
)

// AllFields lists every vault field.
var AllFields = []Field{FieldEmail, FieldPhone, FieldBirthDate, FieldSessionIPs, FieldSessionAgents}

// Roles a reader other than the owner can have. Staff roles come from the account; system
// is kurz itself (the export job), operator is someone running a kurz command on the server.
const (
	RoleOwner    = "owner"
	RoleSystem   = "system"
	RoleOperator = "operator"
)

// Purpose is a declared reason to read someone's personal data.
type Purpose struct {
	Name, Description string
	StaffMayDeclare   bool // a moderator or administrator may give this reason through the API
}

// Purposes lists every reason the access log accepts.
var Purposes = []Purpose{
	{"abuse_report", "investigating a report about the account", true},
	{"legal_request", "answering a court order or a lawful request from an authority", true},
	{"account_recovery", "helping the owner get back into their account", true},
	{"security_investigation", "investigating a compromise or an attack involving the account", true},
	{"support_request", "answering the owner's own support request", true},
	{"data_export", "building the owner's \"download my data\" archive", false},
}

// vocabulary is what the access log accepts, so no free text (and with it no personal data)
// can enter an entry.
func vocabulary() translog.Vocabulary {
	v := translog.Vocabulary{Roles: []string{"moderator", "admin", RoleSystem, RoleOperator}}
	for _, p := range Purposes {
		v.Purposes = append(v.Purposes, p.Name)
	}
	for _, f := range AllFields {
		v.Fields = append(v.Fields, string(f))
	}
	return v
}

// Access describes a read of someone's vault data: who reads, in what role, why, and which
// fields. Reading another account's data needs all four, and the read is logged.
type Access struct {
	Actor   string  // the reader's account id, or a service name such as "export"
	Role    string  // RoleOwner, "moderator", "admin", RoleSystem or RoleOperator
	Purpose string  // one of Purposes; not needed when the owner reads
	Fields  []Field // nil means every field
}

// ParseFields turns field names from a request into Fields; empty means all.
func ParseFields(names []string) ([]Field, error) {
	if len(names) == 0 {
		return slices.Clone(AllFields), nil
	}
	out := make([]Field, 0, len(names))
	for _, n := range names {
		if !slices.Contains(AllFields, Field(n)) {
			return nil, errs.Invalid("fields", "unknown_field", fmt.Sprintf("%q is not a personal-data field; use %v", n, AllFields))
		}
		if !slices.Contains(out, Field(n)) {
			out = append(out, Field(n))
		}
	}
	return out, nil
}

func knownPurpose(name string, staff bool) bool {
	for _, p := range Purposes {
		if p.Name == name {
			return !staff || p.StaffMayDeclare
		}
	}
	return false
}

func purposeNames(staff bool) []string {
	var out []string
	for _, p := range Purposes {
		if !staff || p.StaffMayDeclare {
			out = append(out, p.Name)
		}
	}
	return out
}
