## Every REST path the client calls, in one place.
##
## Each constant is named `<METHOD>_<NAME>` and holds the server's path pattern with `{name}`
## placeholders, exactly as in docs/api.md. NetworkManager's api_get / api_post / api_patch
## / api_put / api_delete take these constants; the verb of the call matches the constant's
## prefix (a test checks every call site).
extends RefCounted

const PREFIX := "/api/v1"

# Auth
const POST_AUTH_REGISTER := "/api/v1/auth/register"
const POST_AUTH_LOGIN := "/api/v1/auth/login"
const POST_AUTH_REFRESH := "/api/v1/auth/refresh"
const POST_AUTH_LOGOUT := "/api/v1/auth/logout"

# Users
const GET_ME := "/api/v1/users/@me"
const PATCH_ME := "/api/v1/users/@me"
const DELETE_ME := "/api/v1/users/@me"
const GET_MY_EXPORT := "/api/v1/users/@me/export"
const GET_MY_SERVERS := "/api/v1/users/@me/servers"
const DELETE_MY_SERVER := "/api/v1/users/@me/servers/{server_id}"

# Direct messages and group DMs (private channels), blocks
const GET_MY_CHANNELS := "/api/v1/users/@me/channels"
const POST_MY_CHANNELS := "/api/v1/users/@me/channels"
const PUT_CHANNEL_RECIPIENT := "/api/v1/channels/{channel_id}/recipients/{user_id}"
const DELETE_CHANNEL_RECIPIENT := "/api/v1/channels/{channel_id}/recipients/{user_id}"
const GET_MY_BLOCKS := "/api/v1/users/@me/blocks"
const PUT_MY_BLOCK := "/api/v1/users/@me/blocks/{user_id}"
const DELETE_MY_BLOCK := "/api/v1/users/@me/blocks/{user_id}"

# Servers
const POST_SERVERS := "/api/v1/servers"
const GET_SERVER := "/api/v1/servers/{server_id}"
const PATCH_SERVER := "/api/v1/servers/{server_id}"
const DELETE_SERVER := "/api/v1/servers/{server_id}"
const GET_SERVER_EXPORT := "/api/v1/servers/{server_id}/export"

# Members
const GET_MEMBERS := "/api/v1/servers/{server_id}/members"
const PATCH_MEMBER := "/api/v1/servers/{server_id}/members/{user_id}"
const POST_MEMBER := "/api/v1/servers/{server_id}/members"
const POST_MY_BOTS := "/api/v1/users/@me/bots"
const DELETE_MEMBER := "/api/v1/servers/{server_id}/members/{user_id}"

# Moderation
const GET_SERVER_BANS := "/api/v1/servers/{server_id}/bans"
const PUT_SERVER_BAN := "/api/v1/servers/{server_id}/bans/{user_id}"
const DELETE_SERVER_BAN := "/api/v1/servers/{server_id}/bans/{user_id}"
const GET_SERVER_AUDIT_LOG := "/api/v1/servers/{server_id}/audit-log"

# Invites
const POST_SERVER_INVITES := "/api/v1/servers/{server_id}/invites"
const GET_INVITE := "/api/v1/invites/{code}"
const POST_INVITE := "/api/v1/invites/{code}"

# Channels
const POST_SERVER_CHANNELS := "/api/v1/servers/{server_id}/channels"
const PATCH_CHANNEL := "/api/v1/channels/{channel_id}"
const DELETE_CHANNEL := "/api/v1/channels/{channel_id}"

# Messages
const GET_CHANNEL_MESSAGES := "/api/v1/channels/{channel_id}/messages"
const POST_CHANNEL_MESSAGES := "/api/v1/channels/{channel_id}/messages"
const PATCH_CHANNEL_MESSAGE := "/api/v1/channels/{channel_id}/messages/{message_id}"
const DELETE_CHANNEL_MESSAGE := "/api/v1/channels/{channel_id}/messages/{message_id}"
const POST_CHANNEL_TYPING := "/api/v1/channels/{channel_id}/typing"

# Reactions ({emoji} is one Unicode emoji, percent-encoded by `expand`)
const PUT_REACTION := "/api/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
const DELETE_REACTION := "/api/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
const GET_REACTION_USERS := "/api/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"

# Pins
const GET_CHANNEL_PINS := "/api/v1/channels/{channel_id}/pins"
const PUT_CHANNEL_PIN := "/api/v1/channels/{channel_id}/pins/{message_id}"
const DELETE_CHANNEL_PIN := "/api/v1/channels/{channel_id}/pins/{message_id}"

# Read states and notification settings
const POST_MESSAGE_ACK := "/api/v1/channels/{channel_id}/messages/{message_id}/ack"
const POST_SERVER_ACK := "/api/v1/servers/{server_id}/ack"
const GET_MY_READ_STATES := "/api/v1/users/@me/read-states"
const PATCH_MY_NOTIFICATION_SETTINGS := "/api/v1/users/@me/notification-settings"

# Search
const GET_SERVER_MESSAGES_SEARCH := "/api/v1/servers/{server_id}/messages/search"
const GET_CHANNEL_MESSAGES_SEARCH := "/api/v1/channels/{channel_id}/messages/search"

## The gateway's path on the same host as the REST API.
const GATEWAY_PATH := "/api/v1/gateway"

const MESSAGES_PAGE_LIMIT := 50
const MESSAGES_MAX_LIMIT := 100
const MEMBERS_PAGE_LIMIT := 1000
const BANS_PAGE_LIMIT := 1000
const AUDIT_PAGE_LIMIT := 50
const SEARCH_PAGE_LIMIT := 25
const SEARCH_OFFSET_MAX := 5000


## Fills the `{name}` placeholders of a pattern; values are URI-encoded. Returns "" when a
## placeholder has no value (a bug in the caller, never sent).
static func expand(pattern: String, params: Dictionary) -> String:
	var out := pattern
	for key: Variant in params:
		out = out.replace("{%s}" % key, str(params[key]).uri_encode())
	if out.contains("{") or out.contains("}"):
		return ""
	return out


## Builds `?a=1&b=2` from a dictionary (in insertion order); empty values are skipped, and
## an Array value repeats its key (`?author_id=1&author_id=2`).
static func query_string(query: Dictionary) -> String:
	var parts: PackedStringArray = []
	for key: Variant in query:
		var values: Array = query[key] if query[key] is Array else [query[key]]
		for item: Variant in values:
			var value := str(item)
			if value != "":
				parts.append("%s=%s" % [str(key).uri_encode(), value.uri_encode()])
	return "" if parts.is_empty() else "?" + "&".join(parts)


## Normalises what a person typed as the server address: adds http:// when no scheme is
## given, drops trailing slashes and a trailing /api/v1. Returns "" when it is not usable.
static func normalize_base_url(raw: String) -> String:
	var url := raw.strip_edges()
	if url == "":
		return ""
	if not url.contains("://"):
		url = "http://" + url
	while url.ends_with("/"):
		url = url.substr(0, url.length() - 1)
	if url.ends_with(PREFIX):
		url = url.substr(0, url.length() - PREFIX.length())
	var scheme := url.get_slice("://", 0).to_lower()
	var rest := url.get_slice("://", 1)
	if scheme not in ["http", "https"] or rest == "" or rest.contains(" "):
		return ""
	return scheme + "://" + rest


## The gateway URL for a normalised base URL (http -> ws, https -> wss).
static func gateway_url(base_url: String) -> String:
	if base_url.begins_with("https://"):
		return "wss://" + base_url.substr(8) + GATEWAY_PATH
	if base_url.begins_with("http://"):
		return "ws://" + base_url.substr(7) + GATEWAY_PATH
	return ""
