## What the user does with direct messages and group DMs (open one, start a group, rename it,
## add and remove people, leave) and with blocks. Each returns the ApiResult so a dialog can
## show the error next to its inputs; successes are applied to the cache at once through
## DataState.apply_dispatch (the gateway's copy of the same event changes nothing more).
extends RefCounted

const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Ids := preload("res://scripts/model/ids.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")

## Loads a server's member list (ServerActions.load_members), for `load_people`.
var load_members := Callable()

var _data: DataState
var _net: NetworkManagerScript
var _loading_channels := false


func _init(data: DataState, net: NetworkManagerScript) -> void:
	_data = data
	_net = net


## Opens your DM with someone (the one you have, or a new one) and shows it.
func open_dm(user_id: String) -> ApiResult:
	var held := PrivateChannels.find_dm(_data.private_channels(), user_id, _data.me_id())
	if held != "":
		_data.select_channel(held)
		return _done(_data.channels[held])
	var result := await _net.api_post(Api.POST_MY_CHANNELS, {}, {"recipient_id": user_id})
	if result.ok:
		_open(result.dict())
	return result


## Starts a group DM with `user_ids` (1 to 9 others) and shows it. `group_name` may be "".
func create_group(user_ids: Array[String], group_name := "") -> ApiResult:
	var problem := PrivateChannels.group_problem(user_ids.size())
	if problem == "":
		problem = PrivateChannels.group_name_problem(group_name)
	if problem != "":
		return _failed(problem)
	var ids: Array = []
	for user_id in user_ids:
		ids.append(user_id)
	var body := {"recipient_ids": ids}
	if group_name.strip_edges() != "":
		body["name"] = group_name.strip_edges()
	var result := await _net.api_post(Api.POST_MY_CHANNELS, {}, body)
	if result.ok:
		_open(result.dict())
	return result


## Renames a group DM ("" takes the name away: it is named by its people again).
func rename_group(channel_id: String, group_name: String) -> ApiResult:
	var problem := PrivateChannels.group_name_problem(group_name)
	if problem != "":
		return _failed(problem)
	var body := {"name": group_name.strip_edges()}
	var result := await _net.api_patch(Api.PATCH_CHANNEL, {"channel_id": channel_id}, body)
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_CHANNEL_UPDATE, result.dict())
	return result


## Adds people (public user objects) to a group DM you created, one request each; stops at
## the first refusal and returns it.
func add_people(channel_id: String, users: Array[Dictionary]) -> ApiResult:
	var channel: Dictionary = _data.channels.get(channel_id, {})
	var existing := PrivateChannels.recipient_ids(channel).size()
	var problem := PrivateChannels.group_problem(users.size(), existing)
	if problem != "":
		return _failed(problem)
	var result := _failed("Nobody to add.")
	for user in users:
		var params := {"channel_id": channel_id, "user_id": Ids.of(user.get("id"))}
		result = await _net.api_put(Api.PUT_CHANNEL_RECIPIENT, params)
		if not result.ok:
			return result
		var added := {"channel_id": channel_id, "user": user}
		_data.apply_dispatch(Protocol.EVENT_CHANNEL_RECIPIENT_ADD, added)
	return result


## Removes someone from a group DM you created.
func remove_person(channel_id: String, user_id: String) -> ApiResult:
	var params := {"channel_id": channel_id, "user_id": user_id}
	var result := await _net.api_delete(Api.DELETE_CHANNEL_RECIPIENT, params)
	if result.ok:
		var removed := {"channel_id": channel_id, "user": {"id": user_id}}
		_data.apply_dispatch(Protocol.EVENT_CHANNEL_RECIPIENT_REMOVE, removed)
	else:
		_data.notice.emit("Could not remove them from the group: " + result.message, true)
	return result


## Leaves a group DM: it is gone from your list (and its messages from your screen).
func leave_group(channel_id: String) -> ApiResult:
	var channel: Dictionary = _data.channels.get(channel_id, {"id": channel_id})
	var result := await _net.api_delete(Api.DELETE_CHANNEL, {"channel_id": channel_id})
	if result.ok or result.code == "unknown_channel":
		_data.apply_dispatch(Protocol.EVENT_CHANNEL_DELETE, channel)
	else:
		_data.notice.emit("Could not leave the group: " + result.message, true)
	return result


## Blocks someone: their messages are collapsed, and neither of you can message the other.
func block(user_id: String) -> ApiResult:
	var result := await _net.api_put(Api.PUT_MY_BLOCK, {"user_id": user_id})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_USER_BLOCK_ADD, {"user": {"id": user_id}})
	else:
		_data.notice.emit("Could not block them: " + result.message, true)
	return result


func unblock(user_id: String) -> ApiResult:
	var result := await _net.api_delete(Api.DELETE_MY_BLOCK, {"user_id": user_id})
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_USER_BLOCK_REMOVE, {"user_id": user_id})
	else:
		_data.notice.emit("Could not unblock them: " + result.message, true)
	return result


## Reads your DMs again (a message came in one the client does not know).
func load_private_channels() -> void:
	if _loading_channels:
		return
	_loading_channels = true
	var result := await _net.api_get(Api.GET_MY_CHANNELS)
	_loading_channels = false
	if result.ok:
		_data.set_private_channels(result.list())


## Loads the member lists not held yet (of servers small enough to list whole), so that
## `candidates` knows everyone you share a server with.
func load_people() -> void:
	if not load_members.is_valid():
		return
	for server_id in _data.server_order.duplicate():
		if not _data.members.has(server_id) and not _data.is_large(server_id):
			await load_members.call(server_id)


## The people you may start a group with or add to one (see PrivateChannels.candidates),
## without `leave_out`.
func candidates(leave_out: Array[String] = []) -> Array[Dictionary]:
	return PrivateChannels.candidates(
		_data.members, _data.member_pages, _data.private_channels(), _data.me_id(), leave_out
	)


func _open(channel: Dictionary) -> void:
	_data.apply_dispatch(Protocol.EVENT_CHANNEL_CREATE, channel)
	_data.select_channel(Ids.of(channel.get("id")))


static func _done(data: Variant) -> ApiResult:
	var result := ApiResult.new()
	result.ok = true
	result.status = 200
	result.data = data
	return result


static func _failed(message: String) -> ApiResult:
	var result := ApiResult.new()
	result.ok = false
	result.status = 400
	result.code = "invalid"
	result.message = message
	return result
