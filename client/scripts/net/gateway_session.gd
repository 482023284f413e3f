## The gateway's connection state machine, free of sockets and clocks so it can be tested.
##
## The socket driver (gateway_connection.gd) feeds it socket events, frames and the time, and
## carries out the actions it returns: {"do": Action, ...}.
extends RefCounted

enum State { IDLE, CONNECTING, HANDSHAKE, IDENTIFYING, READY, WAITING, FAILED }
## What the user is shown.
enum Status { OFFLINE, CONNECTING, CONNECTED, RECONNECTING, AUTH_FAILED }
enum Action { CONNECT, SEND, CLOSE, DISPATCH, STATUS, BACKFILL, FATAL }

const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Backoff := preload("res://scripts/net/backoff.gd")

const CONNECT_TIMEOUT_MS := 10000
const HELLO_TIMEOUT_MS := 10000
const READY_TIMEOUT_MS := 15000
const RATE_LIMITED_PAUSE_MS := 10000

var state := State.IDLE
var token := ""
var session_id := ""
var seq := 0
var heartbeat_interval_ms := 0
var attempt := 0
var reconnect_at_ms := 0
var last_close_code := 0
var rng := RandomNumberGenerator.new()
## READY has been reached at least once since start().
var was_ready := false

var _deadline_ms := 0
var _next_heartbeat_ms := 0
var _awaiting_ack := false
var _backfill_after_ready := false
## From RESYNC: the server may have missed events after this id; backfill from it.
var _resync_after := ""
var _last_status := Status.OFFLINE


## Begins connecting with `auth_token` (a fresh start: no session to resume).
func start(auth_token: String, now_ms: int) -> Array[Dictionary]:
	token = auth_token
	session_id = ""
	seq = 0
	attempt = 0
	was_ready = false
	_backfill_after_ready = false
	_resync_after = ""
	return _begin_connect(now_ms)


## Stops for good (sign-out): no reconnect.
func stop() -> Array[Dictionary]:
	state = State.IDLE
	session_id = ""
	seq = 0
	token = ""
	return _status_actions()


func status() -> Status:
	match state:
		State.IDLE:
			return Status.OFFLINE
		State.READY:
			return Status.CONNECTED
		State.FAILED:
			return Status.AUTH_FAILED
		_:
			return Status.RECONNECTING if (was_ready or attempt > 0) else Status.CONNECTING


## Milliseconds until the next reconnect attempt while waiting, else 0.
func reconnect_in_ms(now_ms: int) -> int:
	return maxi(reconnect_at_ms - now_ms, 0) if state == State.WAITING else 0


## Skips the rest of the backoff wait.
func reconnect_now(now_ms: int) -> void:
	if state == State.WAITING:
		reconnect_at_ms = now_ms


func on_socket_open(now_ms: int) -> Array[Dictionary]:
	if state != State.CONNECTING:
		return []
	state = State.HANDSHAKE
	_deadline_ms = now_ms + HELLO_TIMEOUT_MS
	return []


## The socket closed (code -1 when there was no close frame).
func on_socket_closed(code: int, now_ms: int) -> Array[Dictionary]:
	if state == State.IDLE or state == State.FAILED or state == State.WAITING:
		return []
	last_close_code = code
	match Protocol.close_action(code):
		Protocol.CloseAction.FATAL:
			state = State.FAILED
			session_id = ""
			var out := _status_actions()
			out.append({"do": Action.FATAL, "code": code})
			return out
		Protocol.CloseAction.IDENTIFY:
			_forget_session()
	return _schedule_reconnect(now_ms, code)


func on_frame(frame: Dictionary, now_ms: int) -> Array[Dictionary]:
	if frame.is_empty() or state == State.IDLE or state == State.FAILED:
		return []
	var op := int(frame["op"])
	if op == Protocol.OP_DISPATCH:
		return _on_dispatch(frame)
	if op == Protocol.OP_HELLO:
		return _on_hello(frame["d"], now_ms)
	return _on_control(op, now_ms)


## Heartbeats, timeouts and the backoff timer. Call often (every frame).
func tick(now_ms: int) -> Array[Dictionary]:
	match state:
		State.WAITING:
			if now_ms >= reconnect_at_ms:
				return _begin_connect(now_ms)
		State.CONNECTING, State.HANDSHAKE, State.IDENTIFYING:
			if _deadline_ms > 0 and now_ms >= _deadline_ms:
				return _drop(now_ms)
	if state in [State.IDENTIFYING, State.READY] and heartbeat_interval_ms > 0:
		if now_ms >= _next_heartbeat_ms:
			if _awaiting_ack:
				return _drop(now_ms)  # no ACK since the last heartbeat: the link is dead
			_awaiting_ack = true
			_next_heartbeat_ms = now_ms + heartbeat_interval_ms
			return [_send(Protocol.heartbeat(seq))]
	return []


func _on_control(op: int, now_ms: int) -> Array[Dictionary]:
	match op:
		Protocol.OP_HEARTBEAT:
			return [_send(Protocol.heartbeat(seq))]
		Protocol.OP_HEARTBEAT_ACK:
			_awaiting_ack = false
		Protocol.OP_RECONNECT:
			var out: Array[Dictionary] = [
				{"do": Action.CLOSE, "code": Protocol.CLOSE_UNKNOWN_ERROR}
			]
			out.append_array(_schedule_reconnect(now_ms, Protocol.CLOSE_SERVICE_RESTART, true))
			return out
		Protocol.OP_INVALID_SESSION:
			_forget_session()
			_backfill_after_ready = was_ready
			_deadline_ms = now_ms + READY_TIMEOUT_MS
			return [_send(Protocol.identify(token))]
	return []


func _on_hello(data: Variant, now_ms: int) -> Array[Dictionary]:
	if state != State.HANDSHAKE:
		return []
	var interval := 41250
	if data is Dictionary:
		var raw: Variant = (data as Dictionary).get("heartbeat_interval")
		if raw is float or raw is int:
			interval = int(raw)
	heartbeat_interval_ms = maxi(interval, 1000)
	_next_heartbeat_ms = now_ms + int(heartbeat_interval_ms * rng.randf())
	_awaiting_ack = false
	state = State.IDENTIFYING
	_deadline_ms = now_ms + READY_TIMEOUT_MS
	if session_id != "" and seq > 0:
		return [_send(Protocol.resume(token, session_id, seq))]
	_backfill_after_ready = was_ready
	return [_send(Protocol.identify(token))]


func _on_dispatch(frame: Dictionary) -> Array[Dictionary]:
	var s: int = frame["s"]
	if s > 0:
		if s <= seq:
			return []  # already seen (a replay overlapping what we had)
		seq = s
	var event: String = frame["t"]
	var out: Array[Dictionary] = []
	var became_ready := false
	if event == Protocol.EVENT_READY:
		var data: Variant = frame["d"]
		if data is Dictionary:
			session_id = str((data as Dictionary).get("session_id", ""))
		became_ready = true
	elif event == Protocol.EVENT_RESUMED:
		became_ready = true
		_backfill_after_ready = true
	elif event == Protocol.EVENT_RESYNC:
		var hint: Variant = frame["d"]
		if hint is Dictionary:
			_resync_after = str((hint as Dictionary).get("after", ""))
	out.append({"do": Action.DISPATCH, "event": event, "data": frame["d"]})
	if became_ready:
		state = State.READY
		attempt = 0
		_deadline_ms = 0
		was_ready = true
		out.append_array(_status_actions())
		if _backfill_after_ready:
			_backfill_after_ready = false
			(
				out
				. append(
					{
						"do": Action.BACKFILL,
						"resumed": event == Protocol.EVENT_RESUMED,
						"after": _resync_after,
					}
				)
			)
			_resync_after = ""
	return out


func _begin_connect(now_ms: int) -> Array[Dictionary]:
	state = State.CONNECTING
	_deadline_ms = now_ms + CONNECT_TIMEOUT_MS
	heartbeat_interval_ms = 0
	_awaiting_ack = false
	var out := _status_actions()
	out.append({"do": Action.CONNECT})
	return out


## Closes the current socket ourselves (timeout, dead link) and schedules a reconnect.
func _drop(now_ms: int) -> Array[Dictionary]:
	var out: Array[Dictionary] = [{"do": Action.CLOSE, "code": Protocol.CLOSE_UNKNOWN_ERROR}]
	out.append_array(_schedule_reconnect(now_ms, -1))
	return out


func _schedule_reconnect(now_ms: int, code: int, immediate := false) -> Array[Dictionary]:
	var delay := 0 if immediate else Backoff.delay_ms(attempt, rng)
	if code == Protocol.CLOSE_RATE_LIMITED:
		delay = maxi(delay, RATE_LIMITED_PAUSE_MS)
	if not immediate:
		attempt += 1
	state = State.WAITING
	reconnect_at_ms = now_ms + delay
	_deadline_ms = 0
	heartbeat_interval_ms = 0
	return _status_actions(true)


func _forget_session() -> void:
	session_id = ""
	seq = 0


func _send(text: String) -> Dictionary:
	return {"do": Action.SEND, "text": text}


func _status_actions(force := false) -> Array[Dictionary]:
	var now_status := status()
	if now_status == _last_status and not force:
		return []
	_last_status = now_status
	return [{"do": Action.STATUS, "status": now_status}]
