package httpapi

import (
	"net/http"
	"sort"
	"strings"
)

// The OpenAPI 3.1 document is written here by hand, apart from the router, so that the
// test comparing the two catches a route added without documentation, or the reverse.

type operation struct {
	method, path, summary, tag string
	auth                       bool   // needs a session or token
	request                    string // schema name of the JSON body, "" for none, "binary" for raw bytes
	response                   string // schema name of the success body, "" for 204
	status                     string // success status
	paginated                  bool
	errors                     []string // extra error statuses beyond 400/401/500
}

// allOperations gathers the operations each resource file documents next to its handlers.
func allOperations() []operation {
	var out []operation
	for _, ops := range [][]operation{instanceOperations, accountOperations, adminOperations, videoOperations, privacyOperations, socialOperations, feedOperations, searchOperations, analyticsOperations} {
		out = append(out, ops...)
	}
	return out
}

var instanceOperations = []operation{
	{method: "get", path: "/api/v1/openapi.json", summary: "This document", tag: "instance", response: "Object", status: "200"},
	{method: "get", path: "/api/v1/instance", summary: "Instance name, region, registration mode and limits", tag: "instance", response: "Instance", status: "200"},
}

var accountOperations = []operation{
	{method: "post", path: "/api/v1/accounts", summary: "Sign up; logs the new account in (cookie, or token when token=true)", tag: "accounts", request: "SignUp", response: "Login", status: "201", errors: []string{"403", "409", "429"}},
	{method: "get", path: "/api/v1/accounts/{username}", summary: "An account's public profile", tag: "accounts", response: "Account", status: "200", errors: []string{"404"}},
	{method: "post", path: "/api/v1/sessions", summary: "Log in; a browser gets an HttpOnly cookie, an API client (token=true) a bearer token", tag: "sessions", request: "LogIn", response: "Login", status: "201", errors: []string{"403", "429"}},
	{method: "get", path: "/api/v1/sessions", summary: "Your sessions: device, created, last seen", tag: "sessions", auth: true, response: "Session", paginated: true, status: "200"},
	{method: "delete", path: "/api/v1/sessions/current", summary: "Log out", tag: "sessions", auth: true, status: "204"},
	{method: "delete", path: "/api/v1/sessions/{id}", summary: "Revoke one of your sessions", tag: "sessions", auth: true, status: "204", errors: []string{"404"}},
	{method: "get", path: "/api/v1/me", summary: "Your account, with the CSRF token for browser sessions", tag: "me", auth: true, response: "Me", status: "200"},
	{method: "patch", path: "/api/v1/me", summary: "Edit your profile and settings", tag: "me", auth: true, request: "ProfileEdit", response: "Me", status: "200"},
	{method: "put", path: "/api/v1/me/password", summary: "Change your password; ends your other sessions", tag: "me", auth: true, request: "PasswordChange", status: "204"},
	{method: "put", path: "/api/v1/me/avatar", summary: "Upload an avatar (JPEG, PNG, GIF or WebP as the raw body); re-encoded, EXIF stripped", tag: "me", auth: true, request: "binary", response: "Me", status: "200", errors: []string{"413", "415"}},
	{method: "delete", path: "/api/v1/me/avatar", summary: "Remove your avatar", tag: "me", auth: true, response: "Me", status: "200"},
}

var adminOperations = []operation{
	{method: "get", path: "/api/v1/admin/accounts", summary: "All accounts (administrators)", tag: "admin", auth: true, response: "AdminAccount", paginated: true, status: "200", errors: []string{"403"}},
	{method: "post", path: "/api/v1/admin/accounts/{id}/suspension", summary: "Suspend an account; its sessions end at once", tag: "admin", auth: true, response: "AdminAccount", status: "200", errors: []string{"403", "404"}},
	{method: "delete", path: "/api/v1/admin/accounts/{id}/suspension", summary: "Reinstate a suspended account", tag: "admin", auth: true, response: "AdminAccount", status: "200", errors: []string{"403", "404"}},
	{method: "put", path: "/api/v1/admin/accounts/{id}/role", summary: "Set an account's role", tag: "admin", auth: true, request: "RoleChange", response: "AdminAccount", status: "200", errors: []string{"403", "404"}},
	{method: "put", path: "/api/v1/admin/registration", summary: "Open, close or make registration invite-only", tag: "admin", auth: true, request: "RegistrationMode", response: "RegistrationMode", status: "200", errors: []string{"403"}},
	{method: "post", path: "/api/v1/admin/invites", summary: "Create a single-use invite code", tag: "admin", auth: true, request: "InviteRequest", response: "Invite", status: "201", errors: []string{"403"}},
}

func str(desc string) map[string]any  { return map[string]any{"type": "string", "description": desc} }
func boolean(d string) map[string]any { return map[string]any{"type": "boolean", "description": d} }
func obj(required []string, props map[string]any) map[string]any {
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

var timeSchema = map[string]any{"type": "string", "format": "date-time"}

// schemas merges the base schemas with those each resource file defines.
func schemas() map[string]any {
	out := baseSchemas()
	for _, more := range []map[string]any{videoSchemas(), privacySchemas(), socialSchemas(), feedSchemas(), searchSchemas(), analyticsSchemas()} {
		for k, v := range more {
			out[k] = v
		}
	}
	return out
}

func baseSchemas() map[string]any {
	account := map[string]any{
		"id": str("opaque, time-sortable ID"), "username": str("3–24 of a-z 0-9 _ ."),
		"display_name": str(""), "bio": str(""),
		"avatar":  map[string]any{"type": []string{"object", "null"}, "description": "URLs by square edge in pixels", "additionalProperties": map[string]any{"type": "string"}},
		"private": boolean("followers must be approved"), "role": str("moderator or admin; absent for users"),
		"created_at": timeSchema,
	}
	me := map[string]any{}
	for k, v := range account {
		me[k] = v
	}
	me["personalised"] = boolean("personalised For You feed")
	me["region"] = str("home region; personal data stays there")
	me["language"] = str("the language chosen for the Trending tab and For You's trending (ISO 639, such as en or fil); \"\" follows the browser's Accept-Language")
	me["state"] = str("active, suspended or deleting")
	me["csrf_token"] = str("send as X-CSRF-Token on state-changing requests made with the session cookie")
	admin := map[string]any{}
	for k, v := range account {
		admin[k] = v
	}
	admin["state"] = str("active, suspended or deleting")
	session := map[string]any{
		"id": str(""), "kind": map[string]any{"type": "string", "enum": []string{"browser", "token"}},
		"device": str("coarse label such as \"Firefox on Android\""), "created_at": timeSchema,
		"last_seen_at": timeSchema, "expires_at": timeSchema, "current": boolean("the session making this request"),
	}
	return map[string]any{
		"Object": map[string]any{"type": "object"},
		"Error": obj([]string{"error"}, map[string]any{"error": obj([]string{"code", "message"}, map[string]any{
			"code": str("stable machine-readable code"), "message": str("what went wrong and what to do"),
			"field": str("the request field at fault, if any")})}),
		"Account":      obj([]string{"id", "username"}, account),
		"Me":           obj([]string{"id", "username"}, me),
		"AdminAccount": obj([]string{"id", "username", "state"}, admin),
		"Session":      obj([]string{"id", "kind"}, session),
		"Login": obj([]string{"account", "session"}, map[string]any{"account": ref("Me"), "session": ref("Session"),
			"token": str("bearer token, only when token=true was asked; shown once")}),
		"SignUp": obj([]string{"username", "password"}, map[string]any{"username": str(""), "password": str("at least 12 characters"),
			"display_name": str(""), "invite_code": str("needed when registration is invite-only"), "token": boolean("return a bearer token instead of setting a cookie"),
			"email": str("optional; kept encrypted, lets you log in with it unless another account registered it first (the answer never says whether one did)"), "birth_date": str("optional, YYYY-MM-DD; accounts of people under 18 start private")}),
		"LogIn": obj([]string{"username", "password"}, map[string]any{"username": str("username, or the e-mail address given at sign-up"), "password": str(""),
			"token": boolean("return a bearer token instead of setting a cookie")}),
		"ProfileEdit": obj(nil, map[string]any{"display_name": str(""), "bio": str(""), "private": boolean(""),
			"personalised": boolean(""), "language": str("a two- or three-letter ISO 639 code, or \"\" to follow the browser's Accept-Language")}),
		"PasswordChange":   obj([]string{"current_password", "new_password"}, map[string]any{"current_password": str(""), "new_password": str("")}),
		"RoleChange":       obj([]string{"role"}, map[string]any{"role": map[string]any{"type": "string", "enum": []string{"user", "moderator", "admin"}}}),
		"RegistrationMode": obj([]string{"mode"}, map[string]any{"mode": map[string]any{"type": "string", "enum": []string{"open", "invite", "closed"}}}),
		"InviteRequest":    obj(nil, map[string]any{"expires_in_hours": map[string]any{"type": "integer", "minimum": 1, "maximum": 2160}}),
		"Invite":           obj([]string{"id", "code"}, map[string]any{"id": str(""), "code": str("shown once"), "expires_at": timeSchema}),
		"Instance":         map[string]any{"type": "object"},
	}
}

// Document builds the OpenAPI document.
func Document(version string) map[string]any {
	paths := map[string]any{}
	for _, op := range allOperations() {
		item, _ := paths[op.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		o := map[string]any{"summary": op.summary, "tags": []string{op.tag}, "operationId": op.method + strings.ReplaceAll(op.path, "/", "_")}
		var params []any
		for _, seg := range strings.Split(op.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		if op.paginated {
			params = append(params,
				map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1}},
				map[string]any{"name": "cursor", "in": "query", "schema": map[string]any{"type": "string"}, "description": "next_cursor of the previous page"})
		}
		if params != nil {
			o["parameters"] = params
		}
		switch op.request {
		case "":
		case "binary":
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		default:
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(op.request)}}}
		}
		responses := map[string]any{}
		if op.response == "" {
			responses[op.status] = map[string]any{"description": "done"}
		} else if op.response == "binary" {
			responses[op.status] = map[string]any{"description": "the file", "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		} else {
			var schema any = ref(op.response)
			if op.paginated {
				schema = map[string]any{"type": "object", "required": []string{"items"}, "properties": map[string]any{
					"items": map[string]any{"type": "array", "items": ref(op.response)}, "next_cursor": str("absent on the last page")}}
			}
			responses[op.status] = map[string]any{"description": "ok", "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
		}
		errCodes := append([]string{"400", "500"}, op.errors...)
		if op.auth {
			errCodes = append(errCodes, "401")
		}
		for _, c := range errCodes {
			responses[c] = map[string]any{"description": http.StatusText(atoi(c)), "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		}
		o["responses"] = responses
		if op.auth {
			o["security"] = []any{map[string]any{"cookie": []string{}}, map[string]any{"bearer": []string{}}}
		}
		item[op.method] = o
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "kurz API", "version": version,
			"description": "Errors are always {\"error\":{\"code\",\"message\"}}. Lists are paginated with limit and cursor. Browser sessions send X-CSRF-Token on state-changing requests.",
			"license":     map[string]any{"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas(),
			"securitySchemes": map[string]any{
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// DocumentedRoutes lists method and path of every documented operation, sorted.
func DocumentedRoutes() []Route {
	ops := allOperations()
	out := make([]Route, len(ops))
	for i, op := range ops {
		out[i] = Route{Method: strings.ToUpper(op.method), Pattern: op.path}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern+out[i].Method < out[j].Pattern+out[j].Method })
	return out
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, Document(s.d.Version))
	return nil
}
