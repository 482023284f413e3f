## `godot --headless --path client -- --smoke URL`: registers a fresh user, creates a server,
## posts a message over REST through the client's own send path, waits for it over the
## gateway, checks the cache holds it once, prints one line and exits 0 (OK) or 1 (FAIL).
extends Node

const Api := preload("res://scripts/net/api.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")

const TIMEOUT_S := 30.0
const STEP_TIMEOUT_S := 10.0

var _finished := false
var _nonce := ""
var _echo := {}
var _echo_ms := 0
var _server_created := false


func run(url: String) -> void:
	var started := Time.get_ticks_msec()
	get_tree().create_timer(TIMEOUT_S).timeout.connect(
		func() -> void: _finish(false, "timed out after %d s" % int(TIMEOUT_S))
	)
	AuthManager.persist = false
	NetworkManager.dispatch_received.connect(_on_dispatch)
	var username := "smoke_%x%04x" % [int(Time.get_unix_time_from_system()), randi() & 0xffff]
	if not await _sign_up(url, username):
		return
	var created := await DataManager.servers_api.create_server("Smoke %s" % username)
	var channels: Array = created.dict().get("channels", [])
	if not created.ok or channels.is_empty():
		_finish(false, "create server: %s (%s)" % [created.message, created.code])
		return
	var channel_id := str(channels[0].get("id", ""))
	if not await _wait_until(func() -> bool: return _server_created, "SERVER_CREATE"):
		return
	var sent_at := Time.get_ticks_msec()
	var problem := await _send_and_check(channel_id)
	if problem != "":
		_finish(false, problem)
		return
	var line := (
		"user=%s server=%s channel=%s message=%s gateway_ms=%d total_ms=%d"
		% [
			username,
			str(created.dict().get("id", "")),
			channel_id,
			str(_echo.get("id")),
			_echo_ms - sent_at,
			Time.get_ticks_msec() - started,
		]
	)
	await AuthManager.logout()
	_finish(true, line)


## Registers a fresh user (which opens the gateway) and waits for READY.
func _sign_up(url: String, username: String) -> bool:
	var base := Api.normalize_base_url(url)
	if base == "":
		_finish(false, "not a server URL: %s" % url)
		return false
	var password := "smoke-%x-password" % randi()
	var registered := await AuthManager.register(
		base, username, username + "@example.com", password
	)
	if not registered.ok:
		_finish(false, "register: %s (%s)" % [registered.message, registered.code])
		return false
	return await _wait_until(func() -> bool: return DataManager.ready_received, "READY")


## Sends through the client's own optimistic path, waits for the gateway echo and checks the
## cache holds exactly one confirmed copy. Returns a problem or "".
func _send_and_check(channel_id: String) -> String:
	var content := "smoke message %d" % Time.get_ticks_msec()
	var problem := DataManager.messages_api.send_message(channel_id, content)
	if problem != "":
		return "send refused: " + problem
	var messages := DataManager.store(channel_id)
	_nonce = str(messages.pending[-1]["nonce"])
	if not await _wait_until(func() -> bool: return not _echo.is_empty(), "MESSAGE_CREATE"):
		return "no echo"
	await get_tree().create_timer(0.3).timeout  # let the REST answer land too
	var copies := 0
	for msg in messages.confirmed:
		if msg.get("nonce") == _nonce:
			copies += 1
	if copies != 1 or not messages.pending.is_empty() or _echo.get("content") != content:
		return "cache after the echo: copies=%d pending=%d" % [copies, messages.pending.size()]
	return ""


func _on_dispatch(event: String, data: Variant) -> void:
	if not data is Dictionary:
		return
	if event == Protocol.EVENT_SERVER_CREATE:
		_server_created = true
	if event == Protocol.EVENT_MESSAGE_CREATE and _nonce != "" and data.get("nonce") == _nonce:
		if _echo.is_empty():
			_echo = data
			_echo_ms = Time.get_ticks_msec()


func _wait_until(condition: Callable, what: String) -> bool:
	var deadline := Time.get_ticks_msec() + int(STEP_TIMEOUT_S * 1000.0)
	while not condition.call():
		if _finished:
			return false
		if Time.get_ticks_msec() > deadline:
			var status := NetworkManager.gateway_status()
			var seconds := int(STEP_TIMEOUT_S)
			_finish(false, "no %s within %d s (gateway status %d)" % [what, seconds, status])
			return false
		await get_tree().process_frame
	return not _finished


func _finish(ok: bool, detail: String) -> void:
	if _finished:
		return
	_finished = true
	print(("SMOKE OK " if ok else "SMOKE FAIL: ") + detail)
	get_tree().quit(0 if ok else 1)
