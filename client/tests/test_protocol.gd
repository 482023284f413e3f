## Gateway frames: decoding envelopes, ids kept as exact strings, encoding client frames.
extends "res://tests/test_case.gd"

const Protocol := preload("res://scripts/net/gateway_protocol.gd")


func test_parses_a_dispatch() -> void:
	var text := '{"op": 0, "s": 7, "t": "MESSAGE_CREATE", "d": {"id": "7340032", "content": "hi"}}'
	var frame := Protocol.parse_frame(text)
	eq(frame["op"], Protocol.OP_DISPATCH, "op")
	eq(frame["s"], 7, "seq")
	check(frame["s"] is int, "seq is an int")
	eq(frame["t"], "MESSAGE_CREATE", "event name")
	eq(frame["d"]["id"], "7340032", "id stays a string")
	done()


func test_large_snowflake_ids_survive_exactly() -> void:
	var id := "1234567890123456789"  # above 2^53: a float would change it
	var frame := Protocol.parse_frame('{"op": 0, "s": 1, "t": "X", "d": {"id": "%s"}}' % id)
	eq(frame["d"]["id"], id, "19-digit id")
	var as_number := Protocol.parse_frame('{"op": 0, "s": 1, "t": "X", "d": {"id": %s}}' % id)
	check(as_number["d"]["id"] is float, "a bare number would arrive as a float")
	done()


func test_parses_hello_and_non_dispatch_frames() -> void:
	var hello := Protocol.parse_frame('{"op": 10, "d": {"heartbeat_interval": 41250}}')
	eq(hello["op"], Protocol.OP_HELLO, "hello op")
	eq(hello["s"], -1, "no seq")
	eq(hello["t"], "", "no event name")
	eq(int(hello["d"]["heartbeat_interval"]), 41250, "interval")
	var ack := Protocol.parse_frame('{"op": 11, "d": null, "s": null, "t": null}')
	eq(ack["op"], Protocol.OP_HEARTBEAT_ACK, "ack op")
	eq(ack["s"], -1, "null seq")
	var invalid := Protocol.parse_frame('{"op": 9, "d": false}')
	eq(invalid["d"], false, "invalid session payload")
	done()


func test_rejects_what_is_not_an_envelope() -> void:
	for text: String in ["", "not json", "[1, 2]", '"op"', '{"d": {}}', '{"op": "0"}', "{"]:
		check(Protocol.parse_frame(text).is_empty(), "rejected: %s" % text)
	done()


func test_encodes_client_frames() -> void:
	var identify: Dictionary = JSON.parse_string(Protocol.identify("tok.en"))
	eq(int(identify["op"]), Protocol.OP_IDENTIFY, "identify op")
	eq(identify["d"], {"token": "tok.en"}, "identify payload")
	var resume: Dictionary = JSON.parse_string(Protocol.resume("t", "sess", 42))
	eq(int(resume["op"]), Protocol.OP_RESUME, "resume op")
	eq(resume["d"]["session_id"], "sess", "session id")
	eq(int(resume["d"]["seq"]), 42, "seq")
	var first_beat: Dictionary = JSON.parse_string(Protocol.heartbeat(0))
	eq(first_beat["d"], null, "heartbeat before any dispatch carries null")
	var beat: Dictionary = JSON.parse_string(Protocol.heartbeat(5))
	eq(int(beat["d"]), 5, "heartbeat carries the last seq")
	var presence: Dictionary = JSON.parse_string(Protocol.presence_update("dnd"))
	eq(int(presence["op"]), Protocol.OP_PRESENCE_UPDATE, "presence op")
	eq(presence["d"], {"status": "dnd"}, "presence payload")
	done()


func test_client_frames_fit_the_size_limit() -> void:
	var token := "x".repeat(1000)
	check(Protocol.resume(token, "s".repeat(64), 99999).to_utf8_buffer().size() < 4096, "resume")
	done()


func test_close_codes_map_to_actions() -> void:
	eq(Protocol.close_action(4004), Protocol.CloseAction.FATAL, "4004 is fatal")
	eq(Protocol.close_action(4007), Protocol.CloseAction.IDENTIFY, "4007 re-identifies")
	eq(Protocol.close_action(4003), Protocol.CloseAction.IDENTIFY, "4003 re-identifies")
	for code: int in [-1, 1006, 1012, 4000, 4001, 4002, 4005, 4008, 4009]:
		eq(Protocol.close_action(code), Protocol.CloseAction.RESUME, "%d resumes" % code)
	done()


func test_event_list_matches_the_constants() -> void:
	var names := []
	for key: String in (Protocol as GDScript).get_script_constant_map():
		if key.begins_with("EVENT_"):
			names.append((Protocol as GDScript).get_script_constant_map()[key])
	names.sort()
	var listed := Protocol.EVENTS.duplicate()
	listed.sort()
	eq(listed, names, "EVENTS lists every EVENT_ constant")
	done()
