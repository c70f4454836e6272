// Package config holds every setting of kurz in one struct with its default and its help
// text. Values come from flags, then KURZ_* environment variables, then an optional TOML
// file, in that order of precedence; `kurz serve --help` prints them all.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration. The struct tags are the documentation: name is the
// flag and file key, the environment variable is KURZ_ plus the name in upper snake case.
type Config struct {
	ConfigFile string `name:"config" default:"" help:"optional TOML file with any of these settings (keys as the flag names)"`

	// Server
	Listen          string        `name:"listen" default:":8080" help:"address the HTTP server listens on"`
	BaseURL         string        `name:"base-url" default:"" help:"public URL of this instance, e.g. https://kurz.example (default http://localhost plus the listen port)"`
	DataDir         string        `name:"data-dir" default:"./data" help:"directory for the SQLite database, media files, keys and caches"`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" default:"20s" help:"how long in-flight requests may run after SIGINT/SIGTERM"`
	TrustProxy      bool          `name:"trust-proxy" default:"false" help:"take the client IP from X-Forwarded-For (only behind a proxy you run)"`
	LogLevel        string        `name:"log-level" default:"info" help:"debug, info, warn or error"`
	LogFormat       string        `name:"log-format" default:"text" help:"text or json"`

	// Instance
	InstanceName string `name:"instance-name" default:"kurz" help:"name shown to users"`
	Region       string `name:"region" default:"eu" help:"home region of accounts created here (personal data never leaves it)"`

	// Database
	DatabaseURL   string `name:"database-url" default:"" help:"empty for the embedded SQLite database under data-dir; postgres://user@host/db for PostgreSQL"`
	SQLiteReaders int    `name:"sqlite-readers" default:"4" help:"size of the SQLite reader connection pool (there is always one writer)"`
	PGMaxConns    int    `name:"pg-max-conns" default:"16" help:"maximum PostgreSQL connections"`
	VideoCache    int    `name:"video-cache" default:"100000" help:"videos (with their files and owners) kept in memory for feed pages, exact across processes; 0 turns the cache off"`

	// Accounts and sessions
	MinPasswordLen   int           `name:"min-password-length" default:"12" help:"shortest password accepted"`
	MaxPasswordLen   int           `name:"max-password-length" default:"256" help:"longest password accepted (bounds hashing work)"`
	MaxDisplayName   int           `name:"max-display-name" default:"50" help:"longest display name, in characters"`
	MaxBio           int           `name:"max-bio" default:"500" help:"longest bio, in characters"`
	SessionTTL       time.Duration `name:"session-ttl" default:"720h" help:"a session unused for this long expires"`
	Argon2Memory     Size          `name:"argon2-memory" default:"64MiB" help:"argon2id memory per password hash"`
	Argon2Time       int           `name:"argon2-time" default:"3" help:"argon2id passes per password hash"`
	Argon2Threads    int           `name:"argon2-threads" default:"2" help:"argon2id lanes per password hash"`
	LoginPerIP       int           `name:"login-per-ip" default:"20" help:"log-in attempts allowed per client IP per throttle window"`
	LoginPerAccount  int           `name:"login-per-account" default:"10" help:"log-in attempts allowed per account per throttle window"`
	SignupPerIP      int           `name:"signup-per-ip" default:"5" help:"sign-ups allowed per client IP per throttle window"`
	ThrottleWindow   time.Duration `name:"throttle-window" default:"15m" help:"window over which log-in and sign-up attempts are counted"`
	RegistrationMode string        `name:"registration" default:"open" help:"initial registration mode: open, invite or closed (admins change it at run time)"`

	// Privacy
	MasterKeyFile         string        `name:"master-key-file" default:"" help:"file holding the vault master key (default <data-dir>/master.key, created on first start: back it up, without it personal data is lost)"`
	MasterKey             string        `name:"master-key" default:"" help:"the vault master key as 64 hex digits or base64, instead of the file; set it through the environment, not a flag"`
	AccessLogOrigin       string        `name:"access-log-origin" default:"" help:"name of the access transparency log in its signed checkpoints, fixed at first start (default: the base URL's host plus /access-log)"`
	SessionIPRetention    time.Duration `name:"session-ip-retention" default:"720h" help:"how long the truncated IP and the User-Agent of each log-in are kept (at most 720h)"`
	NotificationRetention time.Duration `name:"notification-retention" default:"2160h" help:"how long notifications are kept (0: until what they are about goes)"`
	EventRetention        time.Duration `name:"event-retention" default:"4320h" help:"how long watch history (impressions, plays, likes, shares, comments) stays in the event log (0: keep it)"`
	DeletionGrace         time.Duration `name:"deletion-grace" default:"336h" help:"how long a user who asked to delete their account can cancel by logging in"`
	ExportLinkTTL         time.Duration `name:"export-link-ttl" default:"24h" help:"how long a finished \"download my data\" archive can be fetched (once)"`
	PrivacySweep          time.Duration `name:"privacy-sweep-interval" default:"10m" help:"how often accounts past their grace period are purged and expired log-in IPs forgotten"`

	// Limits
	MaxJSONBody     Size `name:"max-json-body" default:"64KiB" help:"largest JSON request body"`
	MaxAvatarBytes  Size `name:"max-avatar-bytes" default:"10MiB" help:"largest avatar upload"`
	MaxAvatarPixels int  `name:"max-avatar-pixels" default:"40000000" help:"largest avatar image, in pixels (guards against decompression bombs)"`
	// Video
	MaxUploadBytes     Size          `name:"max-upload-bytes" default:"512MiB" help:"largest video upload"`
	MaxVideoDuration   time.Duration `name:"max-video-duration" default:"3m" help:"longest video accepted"`
	MaxVideoPixels     int           `name:"max-video-pixels" default:"8294400" help:"largest picture accepted, in pixels (default 3840x2160)"`
	MaxEventBatch      int           `name:"max-event-batch" default:"100" help:"most events in one POST /api/v1/events"`
	EventsPerMinute    int           `name:"events-per-minute" default:"600" help:"events a session may send per minute"`
	EventMaxAge        time.Duration `name:"event-max-age" default:"72h" help:"oldest client timestamp accepted on an event (clients batch while offline)"`
	TrendingRefresh    time.Duration `name:"trending-refresh" default:"30s" help:"how long a region's Trending ranking serves before it is computed again (0: for every request)"`
	MaxComment         int           `name:"max-comment" default:"500" help:"longest comment, in characters"`
	MaxCaption         int           `name:"max-caption" default:"2200" help:"longest caption, in characters"`
	UploadTTL          time.Duration `name:"upload-ttl" default:"24h" help:"how long an unfinished resumable upload is kept"`
	FastPathMaxBitrate int           `name:"fast-path-max-bitrate" default:"12000000" help:"highest source bitrate (bits/s) served as is by the upload fast path"`
	FFmpeg             string        `name:"ffmpeg" default:"auto" help:"auto (system ffmpeg if on PATH, else embedded WebAssembly), native or wasm"`
	FFmpegCacheDir     string        `name:"ffmpeg-cache-dir" default:"" help:"where the compiled embedded ffmpeg is cached (default <data-dir>/cache/wazero)"`
	MaxRendition       int           `name:"max-rendition" default:"1080" help:"largest rendition made, by its short edge (480, 720 or 1080); small servers may stop at 720"`
	TranscodeWorkers   int           `name:"transcode-workers" default:"1" help:"videos processed at once by this process"`
	SignedURLTTL       time.Duration `name:"signed-url-ttl" default:"15m" help:"lifetime of the signed media URLs of followers-only and private videos"`
	PageSize           int           `name:"page-size" default:"20" help:"default page size of lists"`
	MaxPageSize        int           `name:"max-page-size" default:"100" help:"largest page size a client may ask for"`

	// Recommender
	RecsysSnapshotEvents   int           `name:"recsys-snapshot-events" default:"200000" help:"save the recommender's state after this many new log events (0: not by count); a restart loads the newest save and replays only the log after it"`
	RecsysSnapshotInterval time.Duration `name:"recsys-snapshot-interval" default:"10m" help:"save the recommender's state at least this often while events arrive (0: not by time); it is also saved at clean shutdown"`
}

// Size is a byte count that reads "512MiB", "10MB", "64KiB" or a plain number.
type Size int64

var sizeRE = regexp.MustCompile(`^\s*(\d+)\s*([KMGT]i?B|B)?\s*$`)

// ParseSize reads a byte count with an optional unit.
func ParseSize(s string) (Size, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (try 512MiB, 10MB or 1048576)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, err
	}
	mult := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	return Size(n * mult), nil
}

func (s Size) String() string {
	for _, u := range []struct {
		n    int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if s > 0 && int64(s)%u.n == 0 {
			return fmt.Sprintf("%d%s", int64(s)/u.n, u.name)
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// field is one setting, found by reflection on Config.
type field struct {
	name, env, def, help string
	v                    reflect.Value
}

func (c *Config) fields() []field {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	out := make([]field, 0, rt.NumField())
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		name := f.Tag.Get("name")
		if name == "" {
			continue
		}
		out = append(out, field{
			name: name,
			env:  "KURZ_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")),
			def:  f.Tag.Get("default"),
			help: f.Tag.Get("help"),
			v:    rv.Field(i),
		})
	}
	return out
}

func (f field) set(s string) error {
	switch f.v.Interface().(type) {
	case string:
		f.v.SetString(s)
	case int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		f.v.SetInt(int64(n))
	case bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.v.SetBool(b)
	case time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a duration (try 30s, 15m or 720h)", s)
		}
		f.v.SetInt(int64(d))
	case Size:
		n, err := ParseSize(s)
		if err != nil {
			return err
		}
		f.v.SetInt(int64(n))
	default:
		return fmt.Errorf("unsupported setting type %s", f.v.Type())
	}
	return nil
}

func (f field) typeName() string {
	switch f.v.Interface().(type) {
	case int:
		return "int"
	case bool:
		return "bool"
	case time.Duration:
		return "duration"
	case Size:
		return "size"
	}
	return "string"
}

// Default returns the configuration with every default applied.
func Default() *Config {
	c := &Config{}
	for _, f := range c.fields() {
		if err := f.set(f.def); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", f.name, err)) // a programming error
		}
	}
	return c
}

// FlagSet registers every setting on fs. Parsed flag values are kept as strings and applied
// by Load last, because the file named by --config must be read before flags override it.
type FlagSet struct {
	fs  *flag.FlagSet
	raw map[string]*string
}

// Register adds the settings to fs. Extra command flags may be added to fs by the caller.
func Register(fs *flag.FlagSet) *FlagSet {
	c := Default()
	out := &FlagSet{fs: fs, raw: map[string]*string{}}
	for _, f := range c.fields() {
		out.raw[f.name] = fs.String(f.name, f.def, f.help)
	}
	return out
}

// Usage prints every setting with its type, default and environment variable.
func Usage(w io.Writer, command, summary string, extra *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: kurz %s [flags]\n\n%s\n\nPrecedence: flags, then environment variables, then the --config file, then defaults.\n\nSettings:\n", command, summary)
	c := Default()
	for _, f := range c.fields() {
		def := f.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%s %s\n      %s\n      default %s, env %s\n", f.name, f.typeName(), f.help, def, f.env)
	}
	if extra != nil {
		fmt.Fprintf(w, "\nCommand flags:\n")
		extra.SetOutput(w)
		extra.PrintDefaults()
	}
}

// Load builds the configuration: defaults, then the file, then the environment, then the
// flags that were set on the command line. getenv is os.Getenv outside tests.
func Load(flags *FlagSet, getenv func(string) string) (*Config, error) {
	c := Default()
	fields := c.fields()
	byName := map[string]field{}
	for _, f := range fields {
		byName[f.name] = f
	}
	setOnCLI := map[string]bool{}
	if flags != nil {
		flags.fs.Visit(func(fl *flag.Flag) { setOnCLI[fl.Name] = true })
	}

	// Which file? A flag beats the environment.
	path := getenv("KURZ_CONFIG")
	if flags != nil && setOnCLI["config"] {
		path = *flags.raw["config"]
	}
	if path != "" {
		if err := c.loadFile(path, byName); err != nil {
			return nil, err
		}
		c.ConfigFile = path
	}
	for _, f := range fields {
		if v, ok := lookup(getenv, f.env); ok {
			if err := f.set(v); err != nil {
				return nil, fmt.Errorf("environment %s: %w", f.env, err)
			}
		}
	}
	if flags != nil {
		for _, f := range fields {
			if setOnCLI[f.name] {
				if err := f.set(*flags.raw[f.name]); err != nil {
					return nil, fmt.Errorf("flag --%s: %w", f.name, err)
				}
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

func (c *Config) loadFile(path string, byName map[string]field) error {
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := byName[k]
		if !ok || k == "config" {
			return fmt.Errorf("config file %s: unknown setting %q (see kurz serve --help)", path, k)
		}
		if err := f.set(fmt.Sprint(raw[k])); err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, k, err)
		}
	}
	return nil
}

var regionRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// Validate checks the settings make sense together, with messages that name the setting.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port (try :8080)", c.Listen)
	}
	if c.DataDir == "" {
		bad("data-dir", "must not be empty")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("database-url", "must be empty (SQLite) or start with postgres://")
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		bad("base-url", "must start with http:// or https://")
	}
	if !regionRE.MatchString(c.Region) {
		bad("region", "%q must be a short lower-case name such as eu or us-east", c.Region)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "must be debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log-format", "must be text or json")
	}
	switch c.MaxRendition {
	case 480, 720, 1080:
	default:
		bad("max-rendition", "must be 480, 720 or 1080")
	}
	switch c.FFmpeg {
	case "auto", "native", "wasm":
	default:
		bad("ffmpeg", "must be auto, native or wasm")
	}
	if c.VideoCache < 0 {
		bad("video-cache", "must be 0 (off) or more")
	}
	if c.MaxVideoDuration < time.Second || c.UploadTTL < time.Minute || c.SignedURLTTL < 10*time.Second {
		bad("max-video-duration/upload-ttl/signed-url-ttl", "out of range")
	}
	switch c.RegistrationMode {
	case "open", "invite", "closed":
	default:
		bad("registration", "must be open, invite or closed")
	}
	positive := map[string]int{
		"sqlite-readers": c.SQLiteReaders, "pg-max-conns": c.PGMaxConns, "argon2-time": c.Argon2Time,
		"argon2-threads": c.Argon2Threads, "login-per-ip": c.LoginPerIP, "login-per-account": c.LoginPerAccount,
		"signup-per-ip": c.SignupPerIP, "max-display-name": c.MaxDisplayName, "max-bio": c.MaxBio,
		"page-size": c.PageSize, "max-page-size": c.MaxPageSize, "max-avatar-pixels": c.MaxAvatarPixels,
		"max-video-pixels": c.MaxVideoPixels, "max-caption": c.MaxCaption, "max-comment": c.MaxComment, "max-event-batch": c.MaxEventBatch, "events-per-minute": c.EventsPerMinute, "fast-path-max-bitrate": c.FastPathMaxBitrate,
		"transcode-workers": c.TranscodeWorkers,
	}
	names := make([]string, 0, len(positive))
	for n := range positive {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if positive[n] < 1 {
			bad(n, "must be at least 1")
		}
	}
	if c.MinPasswordLen < 8 {
		bad("min-password-length", "must be at least 8")
	}
	if c.MaxPasswordLen < c.MinPasswordLen {
		bad("max-password-length", "must not be below min-password-length")
	}
	if c.PageSize > c.MaxPageSize {
		bad("page-size", "must not exceed max-page-size")
	}
	if c.Argon2Memory < 8<<10 {
		bad("argon2-memory", "must be at least 8KiB")
	}
	for name, s := range map[string]Size{"max-json-body": c.MaxJSONBody, "max-avatar-bytes": c.MaxAvatarBytes} {
		if s < 1024 {
			bad(name, "must be at least 1KiB")
		}
	}
	if c.SessionTTL < time.Minute || c.ThrottleWindow < time.Second || c.ShutdownTimeout < 0 {
		bad("session-ttl/throttle-window/shutdown-timeout", "out of range")
	}
	if c.SessionIPRetention < time.Hour || c.SessionIPRetention > 720*time.Hour {
		bad("session-ip-retention", "must be between 1h and 720h (30 days)")
	}
	if c.NotificationRetention != 0 && c.NotificationRetention < 24*time.Hour {
		bad("notification-retention", "must be 0 (keep) or at least 24h")
	}
	// Longer than the oldest client timestamp accepted (and the future allowance), so that
	// a deleted event's idempotency key cannot come back valid.
	if c.EventRetention != 0 && (c.EventRetention < 7*24*time.Hour || c.EventRetention < c.EventMaxAge+time.Hour) {
		bad("event-retention", "must be 0 (keep) or at least 168h (7 days), and an hour longer than event-max-age")
	}
	if c.DeletionGrace < 0 || c.DeletionGrace > 90*24*time.Hour {
		bad("deletion-grace", "must be between 0 and 2160h (90 days)")
	}
	if c.ExportLinkTTL < time.Minute || c.ExportLinkTTL > 7*24*time.Hour {
		bad("export-link-ttl", "must be between 1m and 168h")
	}
	if c.RecsysSnapshotEvents < 0 || c.RecsysSnapshotInterval < 0 {
		bad("recsys-snapshot-events/recsys-snapshot-interval", "must not be negative (0 turns that trigger off)")
	}
	if c.TrendingRefresh < 0 || c.TrendingRefresh > time.Hour {
		bad("trending-refresh", "must be between 0 and 1h")
	}
	if c.PrivacySweep < time.Second {
		bad("privacy-sweep-interval", "must be at least 1s")
	}
	if strings.ContainsAny(c.AccessLogOrigin, " +\t\n") {
		bad("access-log-origin", "must not contain spaces or '+'")
	}
	return errors.Join(errs...)
}

// PublicURL is the base URL clients should use for links, without a trailing slash.
func (c *Config) PublicURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	_, port, err := net.SplitHostPort(c.Listen)
	if err != nil || port == "" {
		port = "8080"
	}
	return "http://localhost:" + port
}

// Getenv is the environment lookup used outside tests.
func Getenv(key string) string { return os.Getenv(key) }
