## What the user does with messages: load history (newest page, older pages, backfill after
## a reconnect), send (optimistic, with a nonce), retry, edit, delete, typing. Results land
## in the cache through DataState.apply_dispatch, exactly as the gateway's events do.
extends RefCounted

const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Validation := preload("res://scripts/model/validation.gd")
const Ids := preload("res://scripts/model/ids.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const ChannelMessages := preload("res://scripts/model/channel_messages.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")
const Multipart := preload("res://scripts/model/multipart.gd")
const Reactions := preload("res://scripts/model/reactions.gd")

const TYPING_INTERVAL_MS := 8000
const BACKFILL_MAX_PAGES := 10

var _data: DataState
var _net: NetworkManagerScript
var _last_typing := {}
var _nonce_count := 0
var _nonce_salt := ""
## channel_id -> nonces waiting to be posted; one channel's sends go out one at a time, in
## the order they were typed.
var _queues := {}


func _init(data: DataState, net: NetworkManagerScript) -> void:
	_data = data
	_net = net
	_nonce_salt = "%04x" % (randi() & 0xffff)


## Loads the newest page of a channel once (later pages come from load_older).
func open_channel(channel_id: String) -> void:
	var messages := _data.store(channel_id)
	if channel_id == "" or messages.loaded or messages.loading_older:
		return
	messages.loading_older = true
	messages.load_error = ""
	var generation := messages.generation
	var query := {"limit": Api.MESSAGES_PAGE_LIMIT}
	var result := await _net.api_get(Api.GET_CHANNEL_MESSAGES, {"channel_id": channel_id}, query)
	if messages.generation != generation:
		return  # the history was replaced meanwhile (a jump): this page is stale
	messages.loading_older = false
	if result.ok:
		messages.loaded = true
		messages.reached_start = result.list().size() < Api.MESSAGES_PAGE_LIMIT
		messages.merge_page(result.list())
	else:
		messages.load_error = result.message
	_data.emit_messages(channel_id, {"kind": "reset", "key": ""})


## Loads the page before the oldest message held (scrolling up).
func load_older(channel_id: String) -> void:
	var messages := _data.store(channel_id)
	if not messages.loaded or messages.reached_start or messages.loading_older:
		return
	messages.loading_older = true
	messages.load_error = ""
	_data.emit_messages(channel_id, {"kind": "update", "key": ""})
	var generation := messages.generation
	var query := {"before": messages.oldest_id(), "limit": Api.MESSAGES_PAGE_LIMIT}
	var result := await _net.api_get(Api.GET_CHANNEL_MESSAGES, {"channel_id": channel_id}, query)
	if messages.generation != generation:
		return
	messages.loading_older = false
	if result.ok:
		messages.reached_start = result.list().size() < Api.MESSAGES_PAGE_LIMIT
		messages.merge_page(result.list())
	else:
		messages.load_error = result.message
	_data.emit_messages(channel_id, {"kind": "reset", "key": ""})


## After a jump (`jump_to`): loads the page below the newest message held; the last one
## closes the gap to the present.
func load_newer(channel_id: String) -> void:
	var messages := _data.store(channel_id)
	if not messages.newer_missing or messages.loading_newer or messages.confirmed.is_empty():
		return
	messages.loading_newer = true
	var generation := messages.generation
	var query := {"after": messages.newest_id(), "limit": Api.MESSAGES_MAX_LIMIT}
	var result := await _net.api_get(Api.GET_CHANNEL_MESSAGES, {"channel_id": channel_id}, query)
	if messages.generation != generation:
		return
	messages.loading_newer = false
	if result.ok:
		var last := result.list().size() < Api.MESSAGES_MAX_LIMIT
		_data.emit_messages(channel_id, messages.merge_newer(result.list(), last))
	else:
		_data.notice.emit("Could not load newer messages: " + result.message, true)


## Opens a message's channel showing that message (a search result): at once when it is
## held, otherwise with the page around it (`?around=`); the view scrolls to it when
## DataState.jump_requested fires. Returns an error message, or "".
func jump_to(channel_id: String, message_id: String) -> String:
	if not _data.channels.has(channel_id):
		return "That channel is gone."
	var messages := _data.store(channel_id)
	if not messages.get_message(message_id).is_empty():
		_data.select_channel(channel_id)
		_data.jump_requested.emit(channel_id, message_id)
		return ""
	messages.reset_history()
	messages.loading_older = true  # no other page of this channel meanwhile
	var generation := messages.generation
	_data.select_channel(channel_id)
	_data.emit_messages(channel_id, {"kind": "reset", "key": ""})
	var limit := Api.MESSAGES_PAGE_LIMIT
	var query := {"around": message_id, "limit": limit}
	var result := await _net.api_get(Api.GET_CHANNEL_MESSAGES, {"channel_id": channel_id}, query)
	if messages.generation != generation:
		return ""
	if not result.ok:
		messages.loading_older = false
		messages.load_error = result.message
		_data.emit_messages(channel_id, {"kind": "reset", "key": ""})
		return result.message
	var newer := 0
	for item: Variant in result.list():
		if item is Dictionary and Ids.compare(Ids.of(item.get("id")), message_id) > 0:
			newer += 1
	# `around` returns up to limit / 2 newer messages (fewer: the newest is in the page), and
	# fills the rest of the page with the message and older ones (a short page: the first
	# message of the channel is in it too).
	var change := messages.show_window(result.list(), newer < (limit >> 1))
	messages.reached_start = result.list().size() < limit
	_data.emit_messages(channel_id, change)
	if messages.get_message(message_id).is_empty():
		return "That message was deleted."
	_data.jump_requested.emit(channel_id, message_id)
	return ""


## Leaves a jump's window: the newest page again.
func jump_to_present(channel_id: String) -> void:
	var messages := _data.store(channel_id)
	if not messages.newer_missing:
		return
	messages.reset_history()
	_data.emit_messages(channel_id, {"kind": "reset", "key": ""})
	await open_channel(channel_id)


## After a reconnect: fetches, for every channel held, what came after its newest message,
## or after `resync_after` when the server said events after it may be missing (RESYNC).
## When the session was not resumed (no replay of the gap), it also re-reads the newest page
## so edits and deletions made meanwhile show up.
func backfill(resumed: bool, resync_after := "") -> void:
	for channel_id in _data.loaded_channel_ids():
		if await _backfill_channel(channel_id, resync_after) and not resumed:
			await _reconcile_newest(channel_id)


## Re-reads the newest page and makes the cache agree with it (edits, deletions).
func _reconcile_newest(channel_id: String) -> void:
	var query := {"limit": Api.MESSAGES_MAX_LIMIT}
	var params := {"channel_id": channel_id}
	var result := await _net.api_get(Api.GET_CHANNEL_MESSAGES, params, query)
	if result.ok:
		var full := result.list().size() >= Api.MESSAGES_MAX_LIMIT
		_data.emit_messages(channel_id, _data.store(channel_id).reconcile_page(result.list(), full))


## Walks forward from the newest message held. Returns whether the history is contiguous
## afterwards (false when it had to start again from the newest page, or failed).
func _backfill_channel(channel_id: String, resync_after := "") -> bool:
	var messages := _data.store(channel_id)
	var changed := false
	var after := messages.newest_id()
	if after == "":
		messages.loaded = false
		open_channel(channel_id)
		return false
	if resync_after != "" and Ids.compare(resync_after, after) < 0:
		after = resync_after
	for _page in BACKFILL_MAX_PAGES:
		var query := {"after": after, "limit": Api.MESSAGES_MAX_LIMIT}
		var params := {"channel_id": channel_id}
		var result := await _net.api_get(Api.GET_CHANNEL_MESSAGES, params, query)
		if not result.ok:
			messages.load_error = result.message
			_data.emit_messages(channel_id, {"kind": "reset", "key": ""})
			return false
		var last := result.list().size() < Api.MESSAGES_MAX_LIMIT
		if messages.merge_newer(result.list(), last)["kind"] != "none":
			changed = true
		_data.count_missed(channel_id, result.list())
		if last:
			if changed:
				_data.emit_messages(channel_id, {"kind": "reset", "key": ""})
			return true
		after = _newest_in(result.list(), after)
	# Too far behind to walk forward: start again from the newest page.
	messages.reset_history()
	open_channel(channel_id)
	return false


## The newest id of a page (pages are newest first, but do not rely on it).
static func _newest_in(page: Array, fallback: String) -> String:
	var newest := fallback
	for message: Variant in page:
		if message is Dictionary:
			var id := Ids.of((message as Dictionary).get("id"))
			if id != "" and Ids.compare(id, newest) > 0:
				newest = id
	return newest


## Sends optimistically: the message shows at once as pending and is replaced by the
## server's copy (REST answer or gateway echo, matched by nonce). `reply_to`: the message this
## one replies to (its quoted line shows at once); `mention_author` false asks the server not
## to mention its author. Returns an error or "".
func send_message(
	channel_id: String, text: String, reply_to := {}, mention_author := true
) -> String:
	var problem := Validation.message(text)
	if problem != "" or channel_id == "":
		return problem
	var nonce := _new_nonce()
	var me := _data.me
	var pending := {
		"nonce": nonce,
		"channel_id": channel_id,
		"server_id": _data.channels.get(channel_id, {}).get("server_id"),
		"author": {"id": _data.me_id(), "username": str(me.get("username", ""))},
		"content": text.strip_edges(),
		"created_at": TimeFormat.now_iso(),
	}
	if not reply_to.is_empty():
		pending["message_reference"] = {"message_id": Ids.of(reply_to.get("id"))}
		pending["referenced_message"] = reply_to.duplicate(true)
		pending["_mention_author"] = mention_author
	_last_typing.erase(channel_id)
	_data.emit_messages(channel_id, _data.store(channel_id).add_pending(pending))
	_enqueue(channel_id, nonce)
	return ""


## Posts a message with files (and maybe text): one upload per channel at a time, streamed
## from disk with progress (DataState.uploads, upload_changed) and cancellable. `files` holds
## {"path", "name", "size"}. Returns "" when it started, else why it cannot.
func send_with_files(channel_id: String, text: String, files: Array) -> String:
	if channel_id == "":
		return "Pick a channel first."
	var running: Dictionary = _data.uploads.get(channel_id, {})
	if running.get("state", "") == "sending":
		return "Wait for the upload in progress, or cancel it."
	var problem := Multipart.problem(files)
	if problem == "":
		problem = Validation.message(text) if text.strip_edges() != "" else ""
	if problem != "":
		return problem
	var nonce := _new_nonce()
	var payload := {"content": text.strip_edges(), "nonce": nonce}
	var names: Array = []
	for entry: Dictionary in files:
		names.append(entry["name"])
	var upload := _net.upload(Api.POST_CHANNEL_MESSAGES, {"channel_id": channel_id}, payload, files)
	var state := {"sent": 0, "total": upload.total, "names": names, "state": "sending"}
	state["error"] = ""
	state["request"] = upload
	_data.uploads[channel_id] = state
	_data.upload_changed.emit(channel_id)
	upload.progressed.connect(
		func(sent: int, total: int) -> void:
			state["sent"] = sent
			state["total"] = total
			_data.upload_changed.emit(channel_id)
	)
	upload.finished.connect(_on_upload_finished.bind(channel_id, state))
	return ""


## Stops the channel's upload (nothing is kept on the server).
func cancel_upload(channel_id: String) -> void:
	var state: Dictionary = _data.uploads.get(channel_id, {})
	var request: Variant = state.get("request")
	if state.get("state", "") == "sending" and is_instance_valid(request):
		request.cancel()


func _on_upload_finished(result: ApiResult, channel_id: String, state: Dictionary) -> void:
	state.erase("request")
	if result.ok:
		state["state"] = "done"
		_data.apply_dispatch(Protocol.EVENT_MESSAGE_CREATE, result.dict())
	elif result.code == "cancelled":
		state["state"] = "cancelled"
	else:
		state["state"] = "failed"
		state["error"] = result.message
	_data.upload_changed.emit(channel_id)


## Sends a failed message again with the same nonce (so it cannot be posted twice).
func retry_send(channel_id: String, nonce: String) -> void:
	var messages := _data.store(channel_id)
	_data.emit_messages(channel_id, messages.set_send_state(nonce, ChannelMessages.Send.SENDING))
	_enqueue(channel_id, nonce)


func discard_send(channel_id: String, nonce: String) -> void:
	_data.emit_messages(channel_id, _data.store(channel_id).remove_pending(nonce))


func edit_message(channel_id: String, message_id: String, text: String) -> ApiResult:
	var params := {"channel_id": channel_id, "message_id": message_id}
	var body := {"content": text.strip_edges()}
	var result := await _net.api_patch(Api.PATCH_CHANNEL_MESSAGE, params, body)
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_MESSAGE_UPDATE, result.dict())
	else:
		_data.notice.emit("Could not edit the message: " + result.message, true)
	return result


func delete_message(channel_id: String, message_id: String) -> ApiResult:
	var params := {"channel_id": channel_id, "message_id": message_id}
	var result := await _net.api_delete(Api.DELETE_CHANNEL_MESSAGE, params)
	if result.ok or result.code == "unknown_message":
		var gone := {"id": message_id, "channel_id": channel_id}
		_data.apply_dispatch(Protocol.EVENT_MESSAGE_DELETE, gone)
	else:
		_data.notice.emit("Could not delete the message: " + result.message, true)
	return result


## Adds your reaction with `emoji`, or removes it when you had reacted with it. The change
## shows when the server accepted it (its event, arriving too, changes nothing more).
## Returns an error message, or "".
func toggle_reaction(channel_id: String, message_id: String, emoji: String) -> String:
	var messages := _data.store(channel_id)
	var held: Variant = messages.get_message(message_id).get("reactions", [])
	var mine := Reactions.mine(held if held is Array else [], emoji)
	var params := {"channel_id": channel_id, "message_id": message_id, "emoji": emoji}
	var result: ApiResult
	if mine:
		result = await _net.api_delete(Api.DELETE_REACTION, params)
	else:
		result = await _net.api_put(Api.PUT_REACTION, params)
	if not result.ok:
		_data.notice.emit("Could not change the reaction: " + result.message, true)
		return result.message
	var kind := "remove" if mine else "add"
	_data.emit_messages(channel_id, messages.apply_reaction(message_id, kind, emoji, true))
	if not mine:
		_data.frequent_emoji.use(emoji)
	return ""


## Pins or unpins a message (moderators and above). Returns an error message, or "".
func set_pinned(channel_id: String, message_id: String, pinned: bool) -> String:
	var params := {"channel_id": channel_id, "message_id": message_id}
	var result: ApiResult
	if pinned:
		result = await _net.api_put(Api.PUT_CHANNEL_PIN, params)
	else:
		result = await _net.api_delete(Api.DELETE_CHANNEL_PIN, params)
	if not result.ok:
		var what := "pin" if pinned else "unpin"
		_data.notice.emit("Could not %s the message: %s" % [what, result.message], true)
		return result.message
	_data.pins_changed.emit(channel_id)
	return ""


## The channel's pinned messages, the latest pinned first.
func load_pins(channel_id: String) -> ApiResult:
	return await _net.api_get(Api.GET_CHANNEL_PINS, {"channel_id": channel_id})


## Tells the channel you are typing, at most once per TYPING_INTERVAL_MS.
func notify_typing(channel_id: String) -> void:
	var now := Time.get_ticks_msec()
	if (
		channel_id == ""
		or now - int(_last_typing.get(channel_id, -TYPING_INTERVAL_MS)) < TYPING_INTERVAL_MS
	):
		return
	_last_typing[channel_id] = now
	await _net.api_post(Api.POST_CHANNEL_TYPING, {"channel_id": channel_id})


func _enqueue(channel_id: String, nonce: String) -> void:
	if _queues.has(channel_id):
		(_queues[channel_id] as Array).append(nonce)
		return
	_queues[channel_id] = [nonce]
	while not (_queues[channel_id] as Array).is_empty():
		await _post(channel_id, str((_queues[channel_id] as Array).pop_front()))
	_queues.erase(channel_id)


func _post(channel_id: String, nonce: String) -> void:
	var entry := _data.store(channel_id).find_pending(nonce)
	if entry.is_empty():
		return
	var body := {"content": entry["content"], "nonce": nonce}
	if entry.get("message_reference") is Dictionary:
		# A reply whose original is deleted meanwhile is sent as a plain message.
		var reference: Dictionary = entry["message_reference"]
		body["message_reference"] = {
			"message_id": reference["message_id"], "fail_if_not_exists": false
		}
		body["allowed_mentions"] = {"replied_user": bool(entry.get("_mention_author", true))}
	var result := await _net.api_post(Api.POST_CHANNEL_MESSAGES, {"channel_id": channel_id}, body)
	if result.ok:
		_data.apply_dispatch(Protocol.EVENT_MESSAGE_CREATE, result.dict())
	else:
		var failed := ChannelMessages.Send.FAILED
		var change := _data.store(channel_id).set_send_state(nonce, failed, result.message)
		_data.emit_messages(channel_id, change)


func _new_nonce() -> String:
	_nonce_count += 1
	var millis := int(Time.get_unix_time_from_system() * 1000.0)
	return "%x%s%x" % [millis, _nonce_salt, _nonce_count]
