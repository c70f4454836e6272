package privacy

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"kurz/internal/privacy/keys"
	"kurz/internal/privacy/translog"
)

// Instance settings that hold the vault's own secrets. None is usable without the master
// key, which never enters the database.
const (
	settingMasterKeyID = "vault_master_key_id"
	settingLookupRoot  = "vault_lookup_root"  // wrapped by the master key
	settingInstanceKey = "vault_instance_key" // wrapped by the master key
	settingSigner      = "access_log_signer"  // sealed under the instance key
)

var (
	adLookupRoot  = keys.AssociatedData("instance", settingLookupRoot)
	adInstanceKey = keys.AssociatedData("instance", settingInstanceKey)
	adSigner      = keys.AssociatedData("instance", settingSigner)
)

// ErrKeyIDMissing means the vault holds data but the database does not say which master
// key it was sealed under: the settings row was lost, and starting with any key could
// strand every user's data.
var ErrKeyIDMissing = errors.New("vault master key id missing from the database")

type instanceSettings interface {
	Get(ctx context.Context, key, def string) (string, error)
	Secret(ctx context.Context, key string, gen func() (string, error)) (string, error)
}

type vaultCounter interface {
	Count(ctx context.Context) (int, error)
}

// KeyOptions says where the master key is and what to call the access log.
type KeyOptions struct {
	File string // master key file, normally <data dir>/master.key
	Env  string // KURZ_MASTER_KEY; wins over the file
	// Origin names the access log in its checkpoints; it is fixed when the signing key is
	// first made, e.g. "kurz.example.org/access-log".
	Origin string
}

// Keys are the instance's secrets, loaded once at start: the master key, the lookup key for
// blind indexes and pseudonyms, and the access log's checkpoint signing key.
//
// The signing key lives in the database, sealed under an instance key that the master key
// wraps, rather than in the data directory: every replica then signs with the same key, and
// someone who can rewrite the database still cannot sign a forged checkpoint, because the
// master key is not in it.
type Keys struct {
	master   keys.KeyProvider
	lookup   *keys.Lookup
	signer   string
	verifier string
	created  bool
}

// LoadKeys opens the master key and the secrets wrapped under it. On a new install (no key
// id recorded and an empty vault) it creates what is missing; otherwise a missing or wrong
// master key is refused with a message that says what to restore.
func LoadKeys(ctx context.Context, settings instanceSettings, vault vaultCounter, o KeyOptions) (*Keys, error) {
	want, err := settings.Get(ctx, settingMasterKeyID, "")
	if err != nil {
		return nil, fmt.Errorf("read vault key id: %w", err)
	}
	newInstall := false
	if want == "" {
		n, err := vault.Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count vault rows: %w", err)
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: the vault holds personal data of %d accounts; refusing to start; restore the "+
				"instance_settings row %q from your backup", ErrKeyIDMissing, n, settingMasterKeyID)
		}
		newInstall = true
	}
	mk, created, err := keys.OpenMasterKey(keys.MasterKeyOptions{Path: o.File, EnvValue: o.Env, NewInstall: newInstall, WantKeyID: want})
	if err != nil {
		return nil, fmt.Errorf("vault master key: %w", err)
	}
	if want == "" {
		got, err := settings.Secret(ctx, settingMasterKeyID, func() (string, error) { return mk.KeyID(), nil })
		if err != nil {
			return nil, fmt.Errorf("record vault key id: %w", err)
		}
		if got != mk.KeyID() {
			return nil, fmt.Errorf("%w: another server created this database with key id %s, this one has %s; "+
				"give every server the same master key (KURZ_MASTER_KEY)", keys.ErrMasterKeyMismatch, got, mk.KeyID())
		}
	}
	k := &Keys{master: mk, created: created}
	root, err := wrappedSecret(ctx, settings, mk, settingLookupRoot, adLookupRoot)
	if err != nil {
		return nil, err
	}
	defer root.Zero()
	if k.lookup, err = keys.NewLookup(root); err != nil {
		return nil, err
	}
	instance, err := wrappedSecret(ctx, settings, mk, settingInstanceKey, adInstanceKey)
	if err != nil {
		return nil, err
	}
	defer instance.Zero()
	sealed, err := settings.Secret(ctx, settingSigner, func() (string, error) {
		skey, _, err := translog.GenerateSigningKey(o.Origin)
		if err != nil {
			return "", err
		}
		b, err := keys.Seal(instance, []byte(skey), adSigner)
		return base64.StdEncoding.EncodeToString(b), err
	})
	if err != nil {
		return nil, fmt.Errorf("access log signing key: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("access log signing key: %w", err)
	}
	signer, err := keys.Open(instance, b, adSigner)
	if err != nil {
		return nil, fmt.Errorf("access log signing key: %w", err)
	}
	k.signer = string(signer)
	if k.verifier, err = translog.VerifierKeyFor(k.signer); err != nil {
		return nil, err
	}
	return k, nil
}

// wrappedSecret returns the random key stored wrapped under name, creating it on first use.
func wrappedSecret(ctx context.Context, settings instanceSettings, mk keys.KeyProvider, name string, ad []byte) (keys.DataKey, error) {
	text, err := settings.Secret(ctx, name, func() (string, error) {
		dk, err := keys.NewDataKey()
		if err != nil {
			return "", err
		}
		defer dk.Zero()
		w, err := keys.Wrap(mk, dk, ad)
		return base64.StdEncoding.EncodeToString(w), err
	})
	if err != nil {
		return keys.DataKey{}, fmt.Errorf("%s: %w", name, err)
	}
	w, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return keys.DataKey{}, fmt.Errorf("%s: %w", name, err)
	}
	dk, err := keys.Unwrap(mk, w, ad)
	if err != nil {
		return keys.DataKey{}, fmt.Errorf("%s: %w", name, err)
	}
	return dk, nil
}

// Created reports whether this start made a new master key file, which the operator must
// back up.
func (k *Keys) Created() bool { return k.created }

// KeyID is the public fingerprint of the master key.
func (k *Keys) KeyID() string { return k.master.KeyID() }

// VerifierKey is the public key that checks the access log's checkpoints; publish it.
func (k *Keys) VerifierKey() string { return k.verifier }

// EmailIndex is the blind index of an e-mail address.
func (k *Keys) EmailIndex(email string) []byte { return k.lookup.EmailIndex(email) }

// Pseudonym is how the access log names an account.
func (k *Keys) Pseudonym(accountID string) string { return k.lookup.Pseudonym(accountID) }

// OpenAccessLog opens the access log on store, signing checkpoints with the instance's key
// and accepting only the roles, purposes and fields this package defines.
func (k *Keys) OpenAccessLog(ctx context.Context, store translog.Store, now func() time.Time) (*translog.Log, error) {
	return translog.Open(ctx, translog.Config{Store: store, SignerKey: k.signer, Vocabulary: vocabulary(), Now: now})
}

type rewrapStore interface {
	Rewrap(ctx context.Context, rewrap func(accountID string, wrapped []byte) ([]byte, error),
		settings map[string]func(value string) (string, error)) (int, error)
}

// RotateMasterKey re-wraps every account's data key, the lookup root and the instance key
// under next, and records next's key id, in one transaction. Sealed data is not touched:
// the data keys themselves do not change. It returns how many accounts were re-wrapped.
// After it succeeds, start kurz with next.
func RotateMasterKey(ctx context.Context, k *Keys, store rewrapStore, next keys.KeyProvider) (int, error) {
	if next.KeyID() == k.master.KeyID() {
		return 0, errors.New("the new master key is the current one")
	}
	rewrapText := func(ad []byte) func(string) (string, error) {
		return func(v string) (string, error) {
			w, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return "", err
			}
			out, err := keys.Rewrap(w, ad, k.master, next)
			return base64.StdEncoding.EncodeToString(out), err
		}
	}
	n, err := store.Rewrap(ctx, func(accountID string, wrapped []byte) ([]byte, error) {
		return keys.Rewrap(wrapped, keys.AssociatedData(accountID), k.master, next)
	}, map[string]func(string) (string, error){
		settingLookupRoot:  rewrapText(adLookupRoot),
		settingInstanceKey: rewrapText(adInstanceKey),
		settingMasterKeyID: func(string) (string, error) { return next.KeyID(), nil },
	})
	if err != nil {
		return 0, fmt.Errorf("rotate master key: %w", err)
	}
	k.master = next
	return n, nil
}
