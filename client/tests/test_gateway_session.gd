## The gateway state machine: identify, heartbeats, dead links, resume, invalid sessions,
## close codes and the jittered backoff.
extends "res://tests/test_case.gd"

const Session := preload("res://scripts/net/gateway_session.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Backoff := preload("res://scripts/net/backoff.gd")

const HELLO := {"op": 10, "d": {"heartbeat_interval": 1000.0}, "s": -1, "t": ""}


static func dispatch(seq: int, event: String, data: Variant = {}) -> Dictionary:
	return {"op": 0, "d": data, "s": seq, "t": event}


static func sent(actions: Array[Dictionary]) -> Array:
	var out := []
	for action in actions:
		if action["do"] == Session.Action.SEND:
			out.append(JSON.parse_string(action["text"]))
	return out


static func has_action(actions: Array[Dictionary], kind: Session.Action) -> bool:
	return actions.any(func(a: Dictionary) -> bool: return a["do"] == kind)


## A session that reached READY at t=0 with seq 1.
func connected() -> Session:
	var session := Session.new()
	session.rng.seed = 7
	session.start("tok", 0)
	session.on_socket_open(0)
	session.on_frame(HELLO, 0)
	session.on_frame(dispatch(1, "READY", {"session_id": "abc"}), 10)
	return session


func test_connects_and_identifies() -> void:
	var session := Session.new()
	var actions := session.start("tok", 0)
	check(has_action(actions, Session.Action.CONNECT), "connects")
	eq(session.status(), Session.Status.CONNECTING, "connecting")
	session.on_socket_open(5)
	var frames := sent(session.on_frame(HELLO, 5))
	eq(frames.size(), 1, "one frame after HELLO")
	eq(int(frames[0]["op"]), Protocol.OP_IDENTIFY, "IDENTIFY")
	eq(frames[0]["d"]["token"], "tok", "token in the frame")
	var ready := session.on_frame(dispatch(1, "READY", {"session_id": "abc"}), 10)
	check(has_action(ready, Session.Action.DISPATCH), "READY dispatched")
	check(not has_action(ready, Session.Action.BACKFILL), "no backfill on the first READY")
	eq(session.status(), Session.Status.CONNECTED, "connected")
	eq(session.session_id, "abc", "session id kept")
	done()


func test_heartbeats_and_dead_link_detection() -> void:
	var session := connected()
	var beats := 0
	var now := 0
	while now <= 1000:
		beats += sent(session.tick(now)).size()
		now += 50
	eq(beats, 1, "first heartbeat within one interval")
	session.on_frame({"op": 11, "d": null, "s": -1, "t": ""}, 1000)
	var second := sent(session.tick(2100))
	eq(second.size(), 1, "next heartbeat after an interval")
	eq(int(second[0]["d"]), 1, "carries the last seq")
	var dead := session.tick(3200)  # no ACK for the second heartbeat
	check(has_action(dead, Session.Action.CLOSE), "closes a link without ACK")
	eq(session.status(), Session.Status.RECONNECTING, "reconnecting")
	done()


func test_server_heartbeat_request_is_answered() -> void:
	var session := connected()
	var frames := sent(session.on_frame({"op": 1, "d": null, "s": -1, "t": ""}, 20))
	eq(int(frames[0]["op"]), Protocol.OP_HEARTBEAT, "heartbeat sent at once")
	done()


func test_drop_then_resume_and_backfill() -> void:
	var session := connected()
	session.on_frame(dispatch(2, "MESSAGE_CREATE"), 20)
	var closed := session.on_socket_closed(1006, 100)
	eq(session.status(), Session.Status.RECONNECTING, "reconnecting")
	check(session.reconnect_in_ms(100) > 0, "waits before reconnecting")
	check(session.tick(100).is_empty(), "not yet")
	check(not has_action(closed, Session.Action.FATAL), "not fatal")
	var reconnect := session.tick(100 + Backoff.BASE_MS)
	check(has_action(reconnect, Session.Action.CONNECT), "reconnects after the backoff")
	session.on_socket_open(1200)
	var frames := sent(session.on_frame(HELLO, 1200))
	eq(int(frames[0]["op"]), Protocol.OP_RESUME, "RESUME, not IDENTIFY")
	eq(frames[0]["d"]["session_id"], "abc", "same session")
	eq(int(frames[0]["d"]["seq"]), 2, "last seq")
	var replayed := session.on_frame(dispatch(2, "MESSAGE_CREATE"), 1210)
	check(replayed.is_empty(), "an already seen seq is dropped")
	check(
		has_action(session.on_frame(dispatch(3, "MESSAGE_CREATE"), 1220), Session.Action.DISPATCH),
		"new seq delivered"
	)
	var resumed := session.on_frame(dispatch(4, "RESUMED", null), 1230)
	check(has_action(resumed, Session.Action.BACKFILL), "backfill after RESUMED")
	check(resumed[-1]["resumed"], "marked as resumed")
	eq(session.status(), Session.Status.CONNECTED, "connected again")
	eq(session.attempt, 0, "backoff reset")
	done()


func test_invalid_session_reidentifies_then_backfills() -> void:
	var session := connected()
	session.on_frame(dispatch(5, "MESSAGE_CREATE"), 20)
	session.on_socket_closed(-1, 100)
	session.tick(100 + Backoff.BASE_MS)
	session.on_socket_open(1200)
	session.on_frame(HELLO, 1200)
	var frames := sent(session.on_frame({"op": 9, "d": false, "s": -1, "t": ""}, 1210))
	eq(int(frames[0]["op"]), Protocol.OP_IDENTIFY, "IDENTIFY on the same socket")
	eq(session.seq, 0, "sequence forgotten")
	var ready := session.on_frame(dispatch(1, "READY", {"session_id": "new"}), 1220)
	check(has_action(ready, Session.Action.DISPATCH), "new READY delivered (seq starts over)")
	check(has_action(ready, Session.Action.BACKFILL), "then backfill over REST")
	check(not ready[-1]["resumed"], "not resumed: the client also re-reads the newest page")
	eq(session.session_id, "new", "new session")
	done()


func test_resync_then_invalid_session_backfills_from_the_hint() -> void:
	var session := connected()
	session.on_frame(dispatch(2, "MESSAGE_CREATE"), 20)
	var hint := session.on_frame(dispatch(3, "RESYNC", {"after": "123456789012345678"}), 30)
	check(has_action(hint, Session.Action.DISPATCH), "RESYNC is passed on like any dispatch")
	var frames := sent(session.on_frame({"op": 9, "d": false, "s": -1, "t": ""}, 40))
	eq(int(frames[0]["op"]), Protocol.OP_IDENTIFY, "IDENTIFY again on the same socket")
	var ready := session.on_frame(dispatch(1, "READY", {"session_id": "fresh"}), 50)
	check(has_action(ready, Session.Action.BACKFILL), "backfill after the new READY")
	eq(str(ready[-1]["after"]), "123456789012345678", "from the point the server named")
	session.on_socket_closed(-1, 100)
	session.tick(100 + Backoff.BASE_MS)
	session.on_socket_open(1200)
	session.on_frame(HELLO, 1200)
	var resumed := session.on_frame(dispatch(2, "RESUMED", null), 1210)
	eq(str(resumed[-1]["after"]), "", "the hint is used once")
	done()


func test_close_codes() -> void:
	var fatal := connected()
	var actions := fatal.on_socket_closed(4004, 50)
	check(has_action(actions, Session.Action.FATAL), "4004 is fatal")
	eq(fatal.status(), Session.Status.AUTH_FAILED, "signed out")
	check(fatal.tick(100000).is_empty(), "never reconnects")
	var bad_seq := connected()
	bad_seq.on_socket_closed(4007, 50)
	eq(bad_seq.session_id, "", "4007 forgets the session, so the next HELLO identifies")
	var limited := connected()
	limited.on_socket_closed(4008, 50)
	check(limited.reconnect_in_ms(50) >= Session.RATE_LIMITED_PAUSE_MS, "4008 pauses longer")
	var restart := connected()
	var op7 := restart.on_frame({"op": 7, "d": null, "s": -1, "t": ""}, 50)
	check(has_action(op7, Session.Action.CLOSE), "RECONNECT closes")
	check(has_action(restart.tick(50), Session.Action.CONNECT), "and reconnects at once")
	eq(restart.session_id, "abc", "keeping the session to resume")
	done()


func test_connect_failures_back_off_with_jitter_up_to_30_s() -> void:
	var session := Session.new()
	session.rng.seed = 1
	session.start("tok", 0)
	var now := 0
	var delays := []
	for i in 8:
		session.on_socket_closed(-1, now)
		var delay := session.reconnect_in_ms(now)
		delays.append(delay)
		now += delay
		check(has_action(session.tick(now), Session.Action.CONNECT), "attempt %d connects" % i)
	for i in delays.size():
		var step := mini(Backoff.BASE_MS << i, Backoff.CAP_MS)
		check(
			delays[i] >= step / 2 and delays[i] <= step,
			"delay %d: %d in [%d, %d]" % [i, delays[i], step / 2, step]
		)
	eq(session.status(), Session.Status.RECONNECTING, "still trying")
	done()


func test_handshake_timeouts() -> void:
	var session := Session.new()
	session.start("tok", 0)
	check(session.tick(Session.CONNECT_TIMEOUT_MS - 1).is_empty(), "still waiting")
	var timed_out := session.tick(Session.CONNECT_TIMEOUT_MS)
	check(has_action(timed_out, Session.Action.CLOSE), "gives up on a hung connect")
	eq(session.status(), Session.Status.RECONNECTING, "and retries")
	done()


func test_stop_is_final() -> void:
	var session := connected()
	session.stop()
	eq(session.status(), Session.Status.OFFLINE, "offline")
	check(session.on_socket_closed(1000, 10).is_empty(), "a late close does nothing")
	check(session.tick(100000).is_empty(), "no reconnect")
	done()
