package auth

import "strings"

// deviceLabel turns a User-Agent into a coarse label such as "Firefox on Android" for the
// session list. Only the label is stored: the raw User-Agent is personal data and belongs
// in the vault, not in the sessions table.
func deviceLabel(ua string) string {
	u := strings.ToLower(ua)
	browser := "Unknown browser"
	switch {
	case ua == "":
		return "Unknown device"
	case strings.Contains(u, "curl/"):
		browser = "curl"
	case strings.Contains(u, "edg/"):
		browser = "Edge"
	case strings.Contains(u, "firefox/"):
		browser = "Firefox"
	case strings.Contains(u, "chromium/"):
		browser = "Chromium"
	case strings.Contains(u, "headlesschrome/"):
		browser = "Headless Chrome"
	case strings.Contains(u, "chrome/"):
		browser = "Chrome"
	case strings.Contains(u, "safari/"):
		browser = "Safari"
	case strings.Contains(u, "go-http-client"):
		browser = "Go client"
	case strings.Contains(u, "kurz"):
		browser = "kurz app"
	}
	os := ""
	switch {
	case strings.Contains(u, "android"):
		os = "Android"
	case strings.Contains(u, "iphone"), strings.Contains(u, "ipad"):
		os = "iOS"
	case strings.Contains(u, "windows"):
		os = "Windows"
	case strings.Contains(u, "mac os"), strings.Contains(u, "macintosh"):
		os = "macOS"
	case strings.Contains(u, "linux"):
		os = "Linux"
	}
	if os == "" {
		return browser
	}
	return browser + " on " + os
}
