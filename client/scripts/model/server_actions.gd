## What the user does with servers, channels, invites, members and their own status. Each
## returns the ApiResult so a dialog can show the error next to the input; successes are
## applied to the cache at once (the gateway's copy of the same event changes nothing).
extends RefCounted

const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Ids := preload("res://scripts/model/ids.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")
const Multipart := preload("res://scripts/model/multipart.gd")

## The server's default limit for an avatar or icon image (before it is resized).
const PICTURE_MAX_BYTES := 4 * 1024 * 1024

var _data: DataState
var _net: NetworkManagerScript
var _loading_members := {}


func _init(data: DataState, net: NetworkManagerScript) -> void:
	_data = data
	_net = net


func create_server(server_name: String) -> ApiResult:
	var result := await _net.api_post(Api.POST_SERVERS, {}, {"name": server_name.strip_edges()})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_SERVER_CREATE, result.dict())
		_data.select_server(Ids.of(result.dict().get("id")))
	return result


## Joins with an invite code (joining a server you are in just opens it).
func join_invite(code: String) -> ApiResult:
	var result := await _net.api_post(Api.POST_INVITE, {"code": code})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_SERVER_CREATE, result.dict())
		_data.select_server(Ids.of(result.dict().get("id")))
	return result


func leave_server(server_id: String) -> ApiResult:
	var result := await _net.api_delete(Api.DELETE_MY_SERVER, {"server_id": server_id})
	_after_server_gone(server_id, result, "leave")
	return result


func delete_server(server_id: String) -> ApiResult:
	var result := await _net.api_delete(Api.DELETE_SERVER, {"server_id": server_id})
	_after_server_gone(server_id, result, "delete")
	return result


func create_channel(server_id: String, channel_name: String) -> ApiResult:
	var body := {"name": channel_name.strip_edges()}
	var result := await _net.api_post(Api.POST_SERVER_CHANNELS, {"server_id": server_id}, body)
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_CHANNEL_CREATE, result.dict())
		_data.select_channel(Ids.of(result.dict().get("id")))
	return result


func rename_channel(channel_id: String, channel_name: String) -> ApiResult:
	var body := {"name": channel_name.strip_edges()}
	var result := await _net.api_patch(Api.PATCH_CHANNEL, {"channel_id": channel_id}, body)
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_CHANNEL_UPDATE, result.dict())
	return result


func delete_channel(channel_id: String) -> ApiResult:
	var channel: Dictionary = _data.channels.get(channel_id, {})
	var result := await _net.api_delete(Api.DELETE_CHANNEL, {"channel_id": channel_id})
	if result.ok or result.code == "unknown_channel":
		_data.apply_dispatch(Protocol.EVENT_CHANNEL_DELETE, channel)
	else:
		_data.notice.emit("Could not delete the channel: " + result.message, true)
	return result


## max_age in seconds (0: never expires); max_uses 0: unlimited.
func create_invite(server_id: String, max_age: int, max_uses: int) -> ApiResult:
	var body := {"max_age": max_age, "max_uses": max_uses}
	return await _net.api_post(Api.POST_SERVER_INVITES, {"server_id": server_id}, body)


## Loads every member of a server (pages of up to 1000, ascending by user id).
func load_members(server_id: String) -> void:
	if server_id == "" or _loading_members.has(server_id):
		return
	_loading_members[server_id] = true
	_data.begin_members_load(server_id)
	var all: Array = []
	var after := ""
	while true:
		var query := {"after": after, "limit": Api.MEMBERS_PAGE_LIMIT}
		var params := {"server_id": server_id}
		var result := await _net.api_get(Api.GET_MEMBERS, params, query)
		if not result.ok:
			_data.notice.emit("Could not load the member list: " + result.message, true)
			break
		all.append_array(result.list())
		if result.list().size() < Api.MEMBERS_PAGE_LIMIT:
			break
		after = Ids.of(result.list()[-1].get("user", {}).get("id"))
	_loading_members.erase(server_id)
	if _data.servers.has(server_id):
		_data.set_members(server_id, all)


func kick_member(server_id: String, user_id: String) -> ApiResult:
	var params := {"server_id": server_id, "user_id": user_id}
	var result := await _net.api_delete(Api.DELETE_MEMBER, params)
	if result.ok:
		var removed := {"server_id": server_id, "user_id": user_id, "kicked": true}
		_data.apply_dispatch(Protocol.EVENT_MEMBER_REMOVE, removed)
	else:
		_data.notice.emit("Could not remove the member: " + result.message, true)
	return result


func set_member_role(server_id: String, user_id: String, role: String) -> ApiResult:
	var params := {"server_id": server_id, "user_id": user_id}
	var result := await _net.api_patch(Api.PATCH_MEMBER, params, {"role": role})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_MEMBER_UPDATE, result.dict())
	else:
		_data.notice.emit("Could not change the role: " + result.message, true)
	return result


## Your chosen status: online, away, dnd or invisible.
func set_status(status: String) -> ApiResult:
	var result := await _net.api_patch(Api.PATCH_ME, {}, {"status": status})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_USER_UPDATE, result.dict())
	else:
		_data.notice.emit("Could not change your status: " + result.message, true)
		_data.me_changed.emit()  # puts the selector back on the status that holds
	return result


## Sets your avatar from an image file (PNG, JPEG, GIF or WebP; the server makes 128 and
## 512 px squares of it). Returns "" or what went wrong.
func set_avatar(path: String) -> String:
	var picture := picture_data_url(path)
	if picture.begins_with("!"):
		return picture.substr(1)
	var result := await _net.api_patch(Api.PATCH_ME, {}, {"avatar": picture})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_USER_UPDATE, result.dict())
	return "" if result.ok else result.message


func remove_avatar() -> String:
	var result := await _net.api_patch(Api.PATCH_ME, {}, {"avatar": null})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_USER_UPDATE, result.dict())
	return "" if result.ok else result.message


## Sets a server's icon from an image file (admins). Returns "" or what went wrong.
func set_server_icon(server_id: String, path: String) -> String:
	var picture := picture_data_url(path)
	if picture.begins_with("!"):
		return picture.substr(1)
	return await _patch_server(server_id, {"icon": picture})


func remove_server_icon(server_id: String) -> String:
	return await _patch_server(server_id, {"icon": null})


func _patch_server(server_id: String, body: Dictionary) -> String:
	var result := await _net.api_patch(Api.PATCH_SERVER, {"server_id": server_id}, body)
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_SERVER_UPDATE, result.dict())
	return "" if result.ok else result.message


## An image file as a data URL, or "!" + what is wrong with it.
static func picture_data_url(path: String) -> String:
	var size := FileAccess.open(path, FileAccess.READ)
	if size == null:
		return "!That file could not be read."
	var length := size.get_length()
	size.close()
	if length <= 0:
		return "!That file is empty."
	if length > PICTURE_MAX_BYTES:
		return "!Pick an image of at most 4 MiB."
	var mime := Multipart.guess_type(path)
	if not mime.begins_with("image/"):
		return "!Pick a PNG, JPEG, GIF or WebP image."
	var data := FileAccess.get_file_as_bytes(path)
	return "data:%s;base64,%s" % [mime, Marshalls.raw_to_base64(data)]


func _after_server_gone(server_id: String, result: ApiResult, verb: String) -> void:
	if result.ok or result.code == "unknown_server":
		_data.apply_dispatch(Protocol.EVENT_SERVER_DELETE, {"id": server_id})
	else:
		_data.notice.emit("Could not %s the server: %s" % [verb, result.message], true)
