package privacy

// ExportSchema is schema.json in every export archive: the JSON Schema of its JSON files,
// keyed by file name under $defs. A test validates real archives against it.
const ExportSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://kurz.invalid/schemas/export-v1.json",
  "title": "kurz data export, version 1",
  "$defs": {
    "time": {"type": "string", "format": "date-time"},
    "base64": {"type": "string", "contentEncoding": "base64"},
    "account.json": {
      "type": "object",
      "additionalProperties": false,
      "required": ["id", "username", "display_name", "bio", "role", "private", "personalised", "region", "language", "state", "created_at", "avatar_files"],
      "properties": {
        "id": {"type": "string"},
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "bio": {"type": "string"},
        "role": {"type": "string", "enum": ["user", "moderator", "admin"]},
        "private": {"type": "boolean"},
        "personalised": {"type": "boolean"},
        "region": {"type": "string"},
        "language": {"type": "string", "pattern": "^([a-z]{2,3})?$"},
        "state": {"type": "string", "enum": ["active", "suspended", "deleting"]},
        "created_at": {"$ref": "#/$defs/time"},
        "avatar_files": {"type": "array", "items": {"type": "string"}}
      }
    },
    "personal_data.json": {
      "type": "object",
      "additionalProperties": false,
      "required": ["email", "phone", "birth_date", "log_in_origins", "read_logged_as_entry"],
      "properties": {
        "email": {"type": "string"},
        "phone": {"type": "string"},
        "birth_date": {"type": "string"},
        "log_in_origins": {"type": "array", "items": {
          "type": "object",
          "additionalProperties": false,
          "required": ["session_id", "ip", "user_agent", "at"],
          "properties": {
            "session_id": {"type": "string"},
            "ip": {"type": "string"},
            "user_agent": {"type": "string"},
            "at": {"$ref": "#/$defs/time"}
          }
        }},
        "read_logged_as_entry": {"type": "integer", "minimum": 0}
      }
    },
    "sessions.json": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "kind", "device", "created_at", "last_seen_at", "expires_at"],
        "properties": {
          "id": {"type": "string"},
          "kind": {"type": "string", "enum": ["browser", "token"]},
          "device": {"type": "string"},
          "created_at": {"$ref": "#/$defs/time"},
          "last_seen_at": {"$ref": "#/$defs/time"},
          "expires_at": {"$ref": "#/$defs/time"}
        }
      }
    },
    "interest": {
      "type": "object",
      "additionalProperties": false,
      "required": ["name", "strength", "score"],
      "properties": {
        "name": {"type": "string"},
        "strength": {"type": "string", "enum": ["strong", "some", "slight"]},
        "score": {"type": "number", "minimum": 0}
      }
    },
    "interests/interest_profile.json": {
      "type": "object",
      "additionalProperties": false,
      "required": ["personalised", "summary", "learned", "choices", "memory"],
      "properties": {
        "personalised": {"type": "boolean"},
        "summary": {"type": "array", "items": {"type": "string"}},
        "learned": {
          "type": "object",
          "additionalProperties": false,
          "required": ["hashtags", "accounts", "recent_engaged_videos", "recent_turned_away_videos", "taste_vector"],
          "properties": {
            "hashtags": {"type": "array", "items": {"$ref": "#/$defs/interest"}},
            "accounts": {"type": "array", "items": {"$ref": "#/$defs/interest"}},
            "recent_engaged_videos": {"type": "integer", "minimum": 0},
            "recent_turned_away_videos": {"type": "integer", "minimum": 0},
            "taste_vector": {"type": "boolean"}
          }
        },
        "choices": {
          "type": "object",
          "additionalProperties": false,
          "required": ["not_interested_videos", "not_interested_accounts", "not_interested_hashtags", "following"],
          "properties": {
            "not_interested_videos": {"type": "array", "items": {"type": "string"}},
            "not_interested_accounts": {"type": "array", "items": {"type": "string"}},
            "not_interested_hashtags": {"type": "array", "items": {"type": "string"}},
            "following": {"type": "integer", "minimum": 0}
          }
        },
        "memory": {
          "type": "object",
          "additionalProperties": false,
          "required": ["videos_remembered_as_seen", "videos_opened", "region", "language"],
          "properties": {
            "videos_remembered_as_seen": {"type": "integer", "minimum": 0},
            "videos_opened": {"type": "integer", "minimum": 0},
            "region": {"type": "string"},
            "language": {"type": "string"}
          }
        }
      }
    },
    "access_log.json": {
      "type": "object",
      "additionalProperties": false,
      "required": ["checkpoint", "entries"],
      "properties": {
        "checkpoint": {
          "type": "object",
          "additionalProperties": false,
          "required": ["note", "origin", "tree_size", "root", "verifier_key"],
          "properties": {
            "note": {"type": "string"},
            "origin": {"type": "string"},
            "tree_size": {"type": "integer", "minimum": 0},
            "root": {"$ref": "#/$defs/base64"},
            "verifier_key": {"type": "string"}
          }
        },
        "entries": {"type": "array", "items": {
          "type": "object",
          "additionalProperties": false,
          "required": ["index", "at", "actor", "role", "purpose", "fields", "leaf", "inclusion_proof"],
          "properties": {
            "index": {"type": "integer", "minimum": 0},
            "at": {"$ref": "#/$defs/time"},
            "actor": {"type": "string"},
            "role": {"type": "string"},
            "purpose": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}},
            "leaf": {"$ref": "#/$defs/base64"},
            "inclusion_proof": {"type": "array", "items": {"$ref": "#/$defs/base64"}}
          }
        }}
      }
    }
  }
}
`
