## The gateway's wire protocol in one place: opcodes, event names, close codes, and the
## encoding / decoding of frames (docs/gateway.md).
extends RefCounted

## What a client does after a close code (see close_action()).
enum CloseAction { RESUME, IDENTIFY, FATAL }

# Opcodes
const OP_DISPATCH := 0
const OP_HEARTBEAT := 1
const OP_IDENTIFY := 2
const OP_PRESENCE_UPDATE := 3
const OP_RESUME := 6
const OP_RECONNECT := 7
const OP_INVALID_SESSION := 9
const OP_HELLO := 10
const OP_HEARTBEAT_ACK := 11
const OP_MEMBER_LIST_SUBSCRIBE := 14

# Dispatch event names (the `t` of op 0)
const EVENT_READY := "READY"
const EVENT_RESUMED := "RESUMED"
const EVENT_RESYNC := "RESYNC"
const EVENT_MESSAGE_CREATE := "MESSAGE_CREATE"
const EVENT_MESSAGE_UPDATE := "MESSAGE_UPDATE"
const EVENT_MESSAGE_DELETE := "MESSAGE_DELETE"
const EVENT_CHANNEL_CREATE := "CHANNEL_CREATE"
const EVENT_CHANNEL_UPDATE := "CHANNEL_UPDATE"
const EVENT_CHANNEL_DELETE := "CHANNEL_DELETE"
const EVENT_SERVER_CREATE := "SERVER_CREATE"
const EVENT_SERVER_UPDATE := "SERVER_UPDATE"
const EVENT_SERVER_DELETE := "SERVER_DELETE"
const EVENT_MEMBER_ADD := "MEMBER_ADD"
const EVENT_MEMBER_UPDATE := "MEMBER_UPDATE"
const EVENT_MEMBER_REMOVE := "MEMBER_REMOVE"
const EVENT_PRESENCE_UPDATE := "PRESENCE_UPDATE"
const EVENT_TYPING_START := "TYPING_START"
const EVENT_USER_UPDATE := "USER_UPDATE"
const EVENT_MEMBER_LIST := "MEMBER_LIST"
const EVENT_MESSAGE_REACTION_ADD := "MESSAGE_REACTION_ADD"
const EVENT_MESSAGE_REACTION_REMOVE := "MESSAGE_REACTION_REMOVE"
const EVENT_MESSAGE_REACTION_REMOVE_ALL := "MESSAGE_REACTION_REMOVE_ALL"
const EVENT_MESSAGE_REACTION_REMOVE_EMOJI := "MESSAGE_REACTION_REMOVE_EMOJI"
const EVENT_CHANNEL_PINS_UPDATE := "CHANNEL_PINS_UPDATE"
const EVENT_CHANNEL_RECIPIENT_ADD := "CHANNEL_RECIPIENT_ADD"
const EVENT_CHANNEL_RECIPIENT_REMOVE := "CHANNEL_RECIPIENT_REMOVE"
const EVENT_USER_BLOCK_ADD := "USER_BLOCK_ADD"
const EVENT_USER_BLOCK_REMOVE := "USER_BLOCK_REMOVE"
const EVENT_MESSAGE_ACK := "MESSAGE_ACK"
const EVENT_NOTIFICATION_SETTINGS_UPDATE := "NOTIFICATION_SETTINGS_UPDATE"

## Every event the client handles.
const EVENTS := [
	"READY",
	"RESUMED",
	"RESYNC",
	"MESSAGE_CREATE",
	"MESSAGE_UPDATE",
	"MESSAGE_DELETE",
	"CHANNEL_CREATE",
	"CHANNEL_UPDATE",
	"CHANNEL_DELETE",
	"SERVER_CREATE",
	"SERVER_UPDATE",
	"SERVER_DELETE",
	"MEMBER_ADD",
	"MEMBER_UPDATE",
	"MEMBER_REMOVE",
	"PRESENCE_UPDATE",
	"TYPING_START",
	"USER_UPDATE",
	"MEMBER_LIST",
	"MESSAGE_REACTION_ADD",
	"MESSAGE_REACTION_REMOVE",
	"MESSAGE_REACTION_REMOVE_ALL",
	"MESSAGE_REACTION_REMOVE_EMOJI",
	"CHANNEL_PINS_UPDATE",
	"CHANNEL_RECIPIENT_ADD",
	"CHANNEL_RECIPIENT_REMOVE",
	"USER_BLOCK_ADD",
	"USER_BLOCK_REMOVE",
	"MESSAGE_ACK",
	"NOTIFICATION_SETTINGS_UPDATE",
]

## Members per member-list subscription (op 14): one page of the list the client shows.
const MEMBER_LIST_PAGE := 100

# Close codes
const CLOSE_NORMAL := 1000
const CLOSE_GOING_AWAY := 1001
const CLOSE_SERVICE_RESTART := 1012
const CLOSE_UNKNOWN_ERROR := 4000
const CLOSE_UNKNOWN_OPCODE := 4001
const CLOSE_DECODE_ERROR := 4002
const CLOSE_NOT_AUTHENTICATED := 4003
const CLOSE_AUTHENTICATION_FAILED := 4004
const CLOSE_ALREADY_AUTHENTICATED := 4005
const CLOSE_INVALID_SEQ := 4007
const CLOSE_RATE_LIMITED := 4008
const CLOSE_SESSION_TIMED_OUT := 4009

## The largest frame the server accepts from a client.
const MAX_CLIENT_FRAME_BYTES := 4096


## Decodes one text frame. Returns {"op": int, "d": Variant, "s": int, "t": String}, with
## s = -1 when absent, or an empty Dictionary when the frame is not a valid envelope.
static func parse_frame(text: String) -> Dictionary:
	var json := JSON.new()
	if json.parse(text) != OK or not json.data is Dictionary:
		return {}
	var raw: Dictionary = json.data
	var op: Variant = raw.get("op")
	if not (op is float or op is int):
		return {}
	var seq: Variant = raw.get("s")
	var event: Variant = raw.get("t")
	return {
		"op": int(op),
		"d": raw.get("d"),
		"s": int(seq) if (seq is float or seq is int) else -1,
		"t": event if event is String else "",
	}


static func encode(op: int, data: Variant) -> String:
	return JSON.stringify({"op": op, "d": data})


static func identify(token: String) -> String:
	return encode(OP_IDENTIFY, {"token": token})


static func resume(token: String, session_id: String, seq: int) -> String:
	return encode(OP_RESUME, {"token": token, "session_id": session_id, "seq": seq})


## A heartbeat carries the last sequence received, or null before the first dispatch.
static func heartbeat(seq: int) -> String:
	return encode(OP_HEARTBEAT, seq if seq > 0 else null)


static func presence_update(status: String) -> String:
	return encode(OP_PRESENCE_UPDATE, {"status": status})


## op 14: show me this page of the server's member list (the members with a user id above
## `after`, "0" for the first page) and send me their presence (docs/gateway.md).
static func member_list_subscribe(server_id: String, after: String, limit: int) -> String:
	var data := {"server_id": server_id, "after": after if after != "" else "0", "limit": limit}
	return encode(OP_MEMBER_LIST_SUBSCRIBE, data)


## What a client does after the socket closed with `code` (-1 or 1006: no close frame).
static func close_action(code: int) -> CloseAction:
	match code:
		CLOSE_AUTHENTICATION_FAILED:
			return CloseAction.FATAL
		CLOSE_NOT_AUTHENTICATED, CLOSE_INVALID_SEQ:
			return CloseAction.IDENTIFY
		_:
			return CloseAction.RESUME


## Why the server closed, in a few words ("" for a plain connection loss).
static func describe_close(code: int) -> String:
	match code:
		CLOSE_AUTHENTICATION_FAILED:
			return "sign-in refused"
		CLOSE_RATE_LIMITED:
			return "too many messages to the server"
		CLOSE_SESSION_TIMED_OUT:
			return "session timed out"
		CLOSE_SERVICE_RESTART:
			return "server restarting"
		CLOSE_UNKNOWN_ERROR:
			return "the link stalled"
		-1, 0, 1005, 1006, CLOSE_NORMAL, CLOSE_GOING_AWAY:
			return ""
		_:
			return "code %d" % code
