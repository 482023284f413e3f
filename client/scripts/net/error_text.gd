## Turns error codes into sentences people can act on.
extends RefCounted

const FALLBACK := {
	"network_error": "Cannot reach the server. Check the address and your connection.",
	"timeout": "The server did not answer in time. Please try again.",
	"unauthorized": "Your session has ended. Please sign in again.",
	"invalid_token": "Your session has ended. Please sign in again.",
	"invalid_credentials": "Wrong username, email or password.",
	"missing_permission": "You do not have permission to do that.",
	"role_hierarchy": "Your role is not high enough to do that.",
	"not_author": "You can only change your own messages.",
	"unknown_invite": "That invite is invalid, expired or used up.",
	"banned": "You are banned from that server.",
	"timed_out": "You are timed out in this server and cannot post for now.",
	"owner_cannot_leave": "You own a server: transfer it or delete it first.",
	"rate_limited": "You are doing that too fast. Please wait a moment.",
	"service_unavailable": "The server is temporarily unavailable. Please try again shortly.",
	"internal_error": "The server hit an internal error. Please try again.",
	"bad_response": "The server sent an answer the client could not read.",
}


## The message to show: the server's own message when it sent one, else a fallback by code.
static func for_error(code: String, server_message: String, http_status: int) -> String:
	if code in ["network_error", "timeout", "bad_response"]:
		return FALLBACK[code]
	if server_message.strip_edges() != "":
		return server_message
	if FALLBACK.has(code):
		return FALLBACK[code]
	if http_status >= 500:
		return "The server had a problem (HTTP %d). Please try again." % http_status
	return "The request failed (HTTP %d)." % http_status
