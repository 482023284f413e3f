## What moderators and admins do (bans, timeouts, the audit log) and what a user does with
## their own account (download their data, delete it). Each returns the ApiResult (or a
## problem text) so a dialog can show the error next to its inputs; successes are applied to
## the cache at once (the gateway's copy of the same event changes nothing).
extends RefCounted

const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Ids := preload("res://scripts/model/ids.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")

## The ban dialog's "delete their messages from" choices: [label, seconds].
const CLEAN_UP_CHOICES := [
	["Don't delete any", 0],
	["Previous hour", 3600],
	["Previous 24 hours", 86400],
	["Previous 7 days", 604800],
]
## The timeout dialog's durations: [label, seconds] (the server allows up to 28 days).
const TIMEOUT_CHOICES := [
	["60 seconds", 60],
	["5 minutes", 300],
	["10 minutes", 600],
	["1 hour", 3600],
	["1 day", 86400],
	["1 week", 604800],
]
const REASON_MAX := 512
const DOWNLOAD_TIMEOUT_S := 600.0
## What the audit log's entries say, by action.
const ACTION_TEXT := {
	"server_update": "changed the server settings",
	"owner_transfer": "transferred ownership to",
	"channel_create": "created a channel",
	"channel_update": "changed a channel",
	"channel_delete": "deleted a channel",
	"member_kick": "removed",
	"member_ban_add": "banned",
	"member_ban_remove": "lifted the ban of",
	"member_update": "changed the timeout of",
	"member_role_update": "changed the role of",
	"invite_create": "created an invite",
	"invite_delete": "deleted an invite",
	"message_delete": "deleted a message by",
	"message_pin": "pinned a message by",
	"message_unpin": "unpinned a message by",
}

var _data: DataState
var _net: NetworkManagerScript


func _init(data: DataState, net: NetworkManagerScript) -> void:
	_data = data
	_net = net


## Bans a member (or anyone) with a reason and deletes their messages of the last
## `delete_seconds` (0: none). The member leaves the list at once.
func ban(server_id: String, user_id: String, reason: String, delete_seconds: int) -> ApiResult:
	var body := {"delete_message_seconds": delete_seconds}
	var text := reason.strip_edges()
	if text != "":
		body["reason"] = text.substr(0, REASON_MAX)
	var params := {"server_id": server_id, "user_id": user_id}
	var result := await _net.api_put(Api.PUT_SERVER_BAN, params, body)
	if result.ok:
		var removed := {"server_id": server_id, "user_id": user_id, "kicked": true}
		_data.apply_dispatch(Protocol.EVENT_MEMBER_REMOVE, removed)
	return result


func unban(server_id: String, user_id: String) -> ApiResult:
	var params := {"server_id": server_id, "user_id": user_id}
	return await _net.api_delete(Api.DELETE_SERVER_BAN, params)


## Every ban of a server, ascending by user id (pages of up to 1000).
func load_bans(server_id: String) -> ApiResult:
	var all: Array = []
	var after := ""
	while true:
		var query := {"after": after, "limit": Api.BANS_PAGE_LIMIT}
		var result := await _net.api_get(Api.GET_SERVER_BANS, {"server_id": server_id}, query)
		if not result.ok:
			return result
		all.append_array(result.list())
		if result.list().size() < Api.BANS_PAGE_LIMIT:
			break
		after = Ids.of(result.list()[-1].get("user", {}).get("id"))
	var done := ApiResult.new()
	done.ok = true
	done.status = 200
	done.data = all
	return done


## One page of the audit log, newest first: entries older than `before` ("" for the newest),
## of one action ("" for all).
func load_audit_log(server_id: String, before := "", action := "") -> ApiResult:
	var query := {"before": before, "limit": Api.AUDIT_PAGE_LIMIT, "action": action}
	return await _net.api_get(Api.GET_SERVER_AUDIT_LOG, {"server_id": server_id}, query)


## Times a member out for `seconds` from now.
func timeout(server_id: String, user_id: String, seconds: int) -> ApiResult:
	var until := Time.get_unix_time_from_system() + float(seconds)
	var body := {"communication_disabled_until": iso_of(until)}
	return await _patch_member(server_id, user_id, body)


func lift_timeout(server_id: String, user_id: String) -> ApiResult:
	return await _patch_member(server_id, user_id, {"communication_disabled_until": null})


## Deletes your account (your password confirms it). On success you are signed out.
func delete_account(password: String) -> ApiResult:
	return await _net.api_delete(Api.DELETE_ME, {}, "", {"password": password})


## Saves your data (profile, servers, every message you posted) as JSON into `folder`.
## Returns the file's path, or "!" + what went wrong.
func download_my_data(folder: String) -> String:
	var path := _free_path(folder, "concord-my-data.json")
	var problem := await _download(Api.GET_MY_EXPORT, {}, path)
	return path if problem == "" else "!" + problem


## Saves a server's export (owner) into `folder`. Returns the path, or "!" + the problem.
func export_server(server_id: String, folder: String) -> String:
	var path := _free_path(folder, "concord-server-%s.json" % server_id)
	var problem := await _download(Api.GET_SERVER_EXPORT, {"server_id": server_id}, path)
	return path if problem == "" else "!" + problem


## Saves what an API path answers (an export) to `path`, streamed to disk, signed in as you.
## Returns "" or what went wrong.
func _download(pattern: String, params: Dictionary, path: String) -> String:
	var request := HTTPRequest.new()
	request.timeout = DOWNLOAD_TIMEOUT_S
	request.download_file = path
	_net.add_child(request)
	var headers := PackedStringArray(["Authorization: Bearer " + _net.token])
	var url := _net.base_url + Api.expand(pattern, params)
	var problem := ""
	if request.request(url, headers) != OK:
		problem = "Cannot reach the server."
	else:
		var out: Array = await request.request_completed
		if out[0] != HTTPRequest.RESULT_SUCCESS:
			problem = "The download failed."
		elif out[1] == 403:
			problem = "You are not allowed to export this."
		elif out[1] != 200:
			problem = "The server answered %d." % out[1]
	request.queue_free()
	if problem != "":
		DirAccess.remove_absolute(path)
	return problem


func _patch_member(server_id: String, user_id: String, body: Dictionary) -> ApiResult:
	var params := {"server_id": server_id, "user_id": user_id}
	var result := await _net.api_patch(Api.PATCH_MEMBER, params, body)
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_MEMBER_UPDATE, result.dict())
	return result


## The end of a timeout (a member's or your own server entry's) as Unix seconds, or 0.0 when
## there is none or it is over at `now`.
static func timeout_end(entry: Dictionary, now := -1.0) -> float:
	var value: Variant = entry.get("communication_disabled_until")
	if not value is String:
		return 0.0
	var end := TimeFormat.parse_iso(value)
	var at := Time.get_unix_time_from_system() if now < 0.0 else now
	return end if end > at else 0.0


## Unix seconds as the server reads a time: "2026-12-01T12:00:00Z".
static func iso_of(unix: float) -> String:
	return Time.get_datetime_string_from_unix_time(int(unix)) + "Z"


## One audit-log entry as a sentence: "alice banned bob: spam".
static func describe(entry: Dictionary, names: Dictionary) -> String:
	var actor := _name(Ids.of(entry.get("actor_id")), names)
	var action := str(entry.get("action", ""))
	var text := "%s %s" % [actor, ACTION_TEXT.get(action, action)]
	var target := Ids.of(entry.get("target_id"))
	var about_someone := (
		action.begins_with("member_")
		or action.begins_with("message_")
		or action == "owner_transfer"
	)
	if target != "" and about_someone:
		text += " " + _name(target, names)
	var details: PackedStringArray = []
	for change: Variant in entry.get("changes", []):
		if change is Dictionary:
			details.append(_change_text(change))
	if not details.is_empty():
		text += " (" + ", ".join(details) + ")"
	var reason: Variant = entry.get("reason")
	if reason is String and reason != "":
		text += ": " + reason
	return text


static func _change_text(change: Dictionary) -> String:
	var key := str(change.get("key", ""))
	var old: Variant = change.get("old_value")
	var new: Variant = change.get("new_value")
	if key == "communication_disabled_until":
		if new is String:
			return "until " + TimeFormat.friendly(new)
		return "timeout lifted"
	if key == "delete_message_seconds":
		return "deleted their messages of the last %s" % _duration(int(new))
	if old == null:
		return "%s: %s" % [key, str(new)]
	if new == null:
		return "%s was %s" % [key, str(old)]
	return "%s: %s -> %s" % [key, str(old), str(new)]


static func _duration(seconds: int) -> String:
	if seconds % 86400 == 0:
		return "%d day(s)" % (seconds / 86400)
	if seconds % 3600 == 0:
		return "%d hour(s)" % (seconds / 3600)
	return "%d seconds" % seconds


static func _name(user_id: String, names: Dictionary) -> String:
	return str(names.get(user_id, "user " + user_id))


static func _free_path(folder: String, file_name: String) -> String:
	var base := file_name.get_basename()
	var extension := file_name.get_extension()
	var path := folder.path_join(file_name)
	var n := 1
	while FileAccess.file_exists(path):
		path = folder.path_join("%s (%d).%s" % [base, n, extension])
		n += 1
	return path
