## Drives one gateway WebSocket: polls the socket every frame, feeds the session state machine
## and carries out its actions. Emits decoded dispatches; never touched by scenes.
extends Node

signal dispatch_received(event: String, data: Variant)
signal status_changed(status: int)
signal backfill_needed(resumed: bool, resync_after: String)
signal fatal_closed(code: int)

const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Session := preload("res://scripts/net/gateway_session.gd")

const INBOUND_BUFFER_BYTES := 4 * 1024 * 1024
const OUTBOUND_BUFFER_BYTES := 256 * 1024
const MAX_QUEUED_PACKETS := 4096
const CLOSE_GRACE_MS := 2000

var url := ""
var session := Session.new()

var _ws: WebSocketPeer
var _opened := false
## Sockets we closed, polled until the close handshake is done (or the grace period ends).
var _closing: Array[Dictionary] = []


func _init() -> void:
	session.rng.randomize()


func open(gateway_url: String, token: String) -> void:
	_discard_socket(Protocol.CLOSE_NORMAL)
	url = gateway_url
	_run(session.start(token, Time.get_ticks_msec()))


## Closes cleanly (1000): the server ends the session, nothing is resumed.
func close() -> void:
	_discard_socket(Protocol.CLOSE_NORMAL)
	_run(session.stop())


func status() -> int:
	return session.status()


func reconnect_now() -> void:
	session.reconnect_now(Time.get_ticks_msec())


func send_text(text: String) -> bool:
	if _ws == null or _ws.get_ready_state() != WebSocketPeer.STATE_OPEN:
		return false
	if text.to_utf8_buffer().size() > Protocol.MAX_CLIENT_FRAME_BYTES:
		push_warning("gateway: frame over the size limit not sent")
		return false
	return _ws.send_text(text) == OK


func _process(_delta: float) -> void:
	var now := Time.get_ticks_msec()
	_poll_closing(now)
	if _ws != null:
		_poll_socket(now)
	_run(session.tick(now))


func _poll_socket(now: int) -> void:
	_ws.poll()
	var ready_state := _ws.get_ready_state()
	if ready_state == WebSocketPeer.STATE_OPEN:
		if not _opened:
			_opened = true
			_run(session.on_socket_open(now))
		while _ws != null and _ws.get_available_packet_count() > 0:
			var text := _ws.get_packet().get_string_from_utf8()
			var frame := Protocol.parse_frame(text)
			if frame.is_empty():
				push_warning("gateway: ignored a frame that is not an envelope")
				continue
			_run(session.on_frame(frame, Time.get_ticks_msec()))
	elif ready_state == WebSocketPeer.STATE_CLOSED:
		var code := _ws.get_close_code()
		_ws = null
		_opened = false
		_run(session.on_socket_closed(code, now))


func _run(actions: Array[Dictionary]) -> void:
	for action in actions:
		match int(action["do"]):
			Session.Action.CONNECT:
				_connect_socket()
			Session.Action.SEND:
				send_text(action["text"])
			Session.Action.CLOSE:
				_discard_socket(int(action["code"]))
			Session.Action.DISPATCH:
				dispatch_received.emit(action["event"], action["data"])
			Session.Action.STATUS:
				status_changed.emit(int(action["status"]))
			Session.Action.BACKFILL:
				backfill_needed.emit(bool(action["resumed"]), str(action.get("after", "")))
			Session.Action.FATAL:
				fatal_closed.emit(int(action["code"]))


func _connect_socket() -> void:
	_discard_socket(Protocol.CLOSE_NORMAL)
	_ws = WebSocketPeer.new()
	_ws.inbound_buffer_size = INBOUND_BUFFER_BYTES
	_ws.outbound_buffer_size = OUTBOUND_BUFFER_BYTES
	_ws.max_queued_packets = MAX_QUEUED_PACKETS
	_opened = false
	var err := _ws.connect_to_url(url)
	if err != OK:
		_ws = null
		_run(session.on_socket_closed(-1, Time.get_ticks_msec()))


## Starts closing the current socket with `code` and forgets it; the session is not told.
func _discard_socket(code: int) -> void:
	if _ws == null:
		return
	var state := _ws.get_ready_state()
	if state == WebSocketPeer.STATE_OPEN or state == WebSocketPeer.STATE_CONNECTING:
		_ws.close(code, "")
		_closing.append({"ws": _ws, "until": Time.get_ticks_msec() + CLOSE_GRACE_MS})
	_ws = null
	_opened = false


func _poll_closing(now: int) -> void:
	for i in range(_closing.size() - 1, -1, -1):
		var ws: WebSocketPeer = _closing[i]["ws"]
		ws.poll()
		if ws.get_ready_state() == WebSocketPeer.STATE_CLOSED or now >= int(_closing[i]["until"]):
			_closing.remove_at(i)
