package keys

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeyFile is the name of the master key file inside the data directory.
const MasterKeyFile = "master.key"

// KeyProvider wraps and unwraps data keys under a master key it never reveals. The file and
// environment keys implement it today; a KMS can implement it later without touching callers.
type KeyProvider interface {
	// KeyID names the master key. It is stored in every wrapped blob so that rotation can
	// tell which key a blob needs, and it must not reveal the key.
	KeyID() string
	// WrapKey encrypts key, binding it to associatedData.
	WrapKey(key, associatedData []byte) ([]byte, error)
	// UnwrapKey reverses WrapKey; it fails if the blob or associatedData was changed.
	UnwrapKey(wrapped, associatedData []byte) ([]byte, error)
}

// MasterKey is a 32-byte master key held in process memory, loaded from the data directory or
// from the environment.
type MasterKey struct {
	wrapKey []byte
	id      string
}

var _ KeyProvider = (*MasterKey)(nil)

// NewMasterKey builds a master key from its 32 raw bytes.
func NewMasterKey(raw []byte) (*MasterKey, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(raw))
	}
	wrapKey, err := deriveKey(raw, "master: wrap data keys")
	if err != nil {
		return nil, err
	}
	idKey, err := deriveKey(raw, "master: key id")
	if err != nil {
		return nil, err
	}
	// 64 bits tell keys apart; the id is a one-way function of the key, so storing and
	// printing it is safe.
	return &MasterKey{wrapKey: wrapKey, id: hex.EncodeToString(idKey[:8])}, nil
}

// ParseMasterKey decodes a master key written as 64 hex digits or as base64 (standard or URL
// alphabet, padded or not), e.g. the value of KURZ_MASTER_KEY.
func ParseMasterKey(s string) (*MasterKey, error) {
	raw, err := decodeKeyText(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	return NewMasterKey(raw)
}

func decodeKeyText(s string) ([]byte, error) {
	if len(s) == 2*KeySize {
		if raw, err := hex.DecodeString(s); err == nil {
			return raw, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil && len(raw) == KeySize {
			return raw, nil
		}
	}
	return nil, fmt.Errorf("master key must be %d bytes as %d hex digits or base64 (got %d characters)", KeySize, 2*KeySize, len(s))
}

// LoadMasterKeyFile reads a master key file holding 32 raw bytes, 64 hex digits or base64.
func LoadMasterKeyFile(path string) (*MasterKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	raw := data
	if len(data) != KeySize {
		raw, err = decodeKeyText(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("master key file %s: %w", path, err)
		}
	}
	return NewMasterKey(raw)
}

// KeyID returns a short public fingerprint of the key. The same key has the same id whether it
// came from a file or the environment.
func (m *MasterKey) KeyID() string { return m.id }

// WrapKey encrypts key under the master key.
func (m *MasterKey) WrapKey(key, associatedData []byte) ([]byte, error) {
	return sealWith(m.wrapKey, nil, key, associatedData)
}

// UnwrapKey decrypts a blob from WrapKey.
func (m *MasterKey) UnwrapKey(wrapped, associatedData []byte) ([]byte, error) {
	return openWith(m.wrapKey, wrapped, associatedData)
}

// MasterKeyOptions says where to find the master key at start-up and what the caller knows
// about the database it protects.
type MasterKeyOptions struct {
	// Path of the key file, normally filepath.Join(dataDir, MasterKeyFile).
	Path string
	// EnvValue is the KURZ_MASTER_KEY value, hex or base64; when set it wins over the file
	// and no file is created.
	EnvValue string
	// NewInstall is true when there is no database yet. Only then may a key be created.
	NewInstall bool
	// WantKeyID is the KeyID the caller stored when the database was created; empty skips the
	// check (for a new install).
	WantKeyID string
}

// OpenMasterKey finds the master key for start-up. On a new install without a key it creates
// the key file (0600) and reports created=true, so the caller can store KeyID and tell the
// operator to back the file up. With an existing database it never creates a key: a missing
// key or one whose id differs from WantKeyID is an error, because a new key would make every
// user's data unreadable.
func OpenMasterKey(o MasterKeyOptions) (key *MasterKey, created bool, err error) {
	if strings.TrimSpace(o.EnvValue) != "" {
		key, err = ParseMasterKey(o.EnvValue)
		if err != nil {
			return nil, false, fmt.Errorf("KURZ_MASTER_KEY: %w", err)
		}
		return key, false, checkKeyID(key, o.WantKeyID, "KURZ_MASTER_KEY")
	}
	if o.Path == "" {
		return nil, false, errors.New("master key: no file path and no KURZ_MASTER_KEY given")
	}
	key, err = LoadMasterKeyFile(o.Path)
	switch {
	case err == nil:
		return key, false, checkKeyID(key, o.WantKeyID, o.Path)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	case !o.NewInstall:
		return nil, false, fmt.Errorf("%w: refusing to start; restore %s from your backup or set KURZ_MASTER_KEY "+
			"(a new key would make every user's personal data unreadable)", ErrMasterKeyMissing, o.Path)
	}
	key, err = createMasterKeyFile(o.Path)
	if err != nil {
		return nil, false, err
	}
	return key, true, checkKeyID(key, o.WantKeyID, o.Path)
}

func checkKeyID(key *MasterKey, want, source string) error {
	if want == "" || key.KeyID() == want {
		return nil
	}
	return fmt.Errorf("%w: %s has key id %s but the database was created with key id %s; refusing to start; "+
		"restore the original key from your backup or set KURZ_MASTER_KEY to it", ErrMasterKeyMismatch, source, key.KeyID(), want)
}

// createMasterKeyFile writes a new random key as hex (easy to copy into KURZ_MASTER_KEY) and
// syncs file and directory so a crash cannot leave a database with a lost key.
func createMasterKeyFile(path string) (*MasterKey, error) {
	raw, err := NewDataKey()
	if err != nil {
		return nil, err
	}
	defer raw.Zero()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create master key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(raw[:]) + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("write master key file: %w", werr)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return NewMasterKey(raw[:])
}
