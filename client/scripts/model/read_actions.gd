## Telling the server what you have read, and your notification settings. A channel is marked
## read only while it is in view (the chat shows its newest messages: `viewing`) and the window
## has focus (`focused`); the ack (POST .../messages/{id}/ack) goes out at most once a second
## per channel, for the newest message read. "Mark as read" on a channel or a whole server, and
## the notification level and mute of a server or channel, are here too.
extends RefCounted

const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Ids := preload("res://scripts/model/ids.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const ReadStates := preload("res://scripts/model/read_states.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")

const ACK_INTERVAL_MS := 1000

## The window has focus.
var focused := true
## The channel whose newest messages are on screen ("" when none is).
var viewing := ""

var _data: DataState
var _net: NetworkManagerScript
## channel_id -> the message id to acknowledge next.
var _want := {}
## channel_id -> when (ticks ms) its last ack went out.
var _sent_at := {}
var _in_flight := {}


func _init(data: DataState, net: NetworkManagerScript) -> void:
	_data = data
	_net = net


func set_focused(on: bool, now_ms := -1) -> void:
	focused = on
	refresh(now_ms)


## The chat shows `channel_id` at its newest messages ("" when it shows none, or older ones).
func set_viewing(channel_id: String, now_ms := -1) -> void:
	viewing = channel_id
	refresh(now_ms)


## Marks the channel in view read when the window has focus, and sends the ack when due.
## Called again when a message arrives there.
func refresh(now_ms := -1) -> void:
	if viewing != "" and focused and _data.channels.has(viewing):
		var id := _data.mark_read(viewing)
		if id != "":
			_want[viewing] = id
	poll(now_ms)


## Sends the acks that are due (at most one per channel per ACK_INTERVAL_MS, one at a time).
func poll(now_ms := -1) -> void:
	if _want.is_empty():
		return
	var now := Time.get_ticks_msec() if now_ms < 0 else now_ms
	for channel_id: String in _want.keys():
		if _in_flight.has(channel_id):
			continue
		if now - int(_sent_at.get(channel_id, -ACK_INTERVAL_MS)) < ACK_INTERVAL_MS:
			continue
		_send(channel_id, str(_want[channel_id]), now)


## Acks waiting to go out (channel_id -> message id), for tests.
func waiting() -> Dictionary:
	return _want.duplicate()


## Forgets what was waiting (sign-out).
func reset() -> void:
	_want.clear()
	_sent_at.clear()
	_in_flight.clear()
	viewing = ""


## "Mark as read" on a channel or DM, shown or not.
func mark_channel_read(channel_id: String, now_ms := -1) -> void:
	var id := _data.mark_read(channel_id)
	if id != "":
		_want[channel_id] = id
	poll(now_ms)


## "Mark server as read": all its channels, in one request.
func mark_server_read(server_id: String) -> ApiResult:
	for channel in _data.channels_of(server_id):
		_data.reads.mark_read(str(channel["id"]))
		_want.erase(str(channel["id"]))
	_data.unread_changed.emit()
	var result := await _net.api_post(Api.POST_SERVER_ACK, {"server_id": server_id})
	if not result.ok:
		_data.notice.emit("Could not mark the server read: " + result.message, true)
	return result


## Sets the notification level ("all", "mentions", "nothing"; null for a channel: follow its
## server) and mute end (a time as the server writes it, see ReadStates.mute_until; null: not
## muted) of a server (`server_id`) or, when `channel_id` is given, of that channel or DM.
func set_notifications(
	server_id: String, channel_id: String, level: Variant, muted_until: Variant
) -> ApiResult:
	var body := {"channel_id": channel_id} if channel_id != "" else {"server_id": server_id}
	body["level"] = level if level is String else null
	if channel_id == "" and not level is String:
		body["level"] = ReadStates.LEVEL_ALL
	body["muted_until"] = muted_until if muted_until is String else null
	var result := await _net.api_patch(Api.PATCH_MY_NOTIFICATION_SETTINGS, {}, body)
	if result.ok:
		var entry := result.dict() if not result.dict().is_empty() else body
		_data.apply_dispatch(Protocol.EVENT_NOTIFICATION_SETTINGS_UPDATE, entry)
	return result


func _send(channel_id: String, message_id: String, now: int) -> void:
	_want.erase(channel_id)
	_sent_at[channel_id] = now
	_in_flight[channel_id] = true
	var params := {"channel_id": channel_id, "message_id": message_id}
	var result := await _net.api_post(Api.POST_MESSAGE_ACK, params)
	_in_flight.erase(channel_id)
	if not result.ok and not result.is_transport_error() and result.status != 404:
		push_warning("ack of %s in %s: %s" % [message_id, channel_id, result.message])
