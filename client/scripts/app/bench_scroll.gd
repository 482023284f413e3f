## The chat view with many loaded messages (`-- --bench-scroll 5000`): fills one channel with
## synthetic messages (formatting, replies, reactions, several authors), opens it in a ChatUI,
## then scrolls it from the bottom to the top and back at a steady speed, and reports the frame
## times. Run it under Xvfb with the GL renderer so drawing counts too (docs: client/README.md).
## Prints one line per case and the ratios against the first (the baseline, same run): 200
## messages, N messages, and N messages with a row for every one (no window: what the view
## did before it had one):
##   BENCH scroll messages=200 window=150 rows=150 build_ms=... p50_ms=... p95_ms=... max_ms=...
##   BENCH ratio case=2/1 p50=... p95=... build=...
extends Node

const ChatUIScene := preload("res://scenes/chat_ui.tscn")

const STEP_PX := 90
const FRAMES := 240


## `cases`: [[messages, window rows], ...]; the first is the baseline.
func run(cases: Array) -> void:
	DisplayServer.window_set_vsync_mode(DisplayServer.VSYNC_DISABLED)
	Engine.max_fps = 0
	get_window().size = Vector2i(1280, 800)
	var results: Array[Dictionary] = []
	for entry: Array in cases:
		results.append(await _measure(int(entry[0]), int(entry[1])))
		var r: Dictionary = results[-1]
		print(
			(
				"BENCH scroll messages=%d window=%d rows=%d build_ms=%.1f p50_ms=%.2f p95_ms=%.2f max_ms=%.2f"
				% [entry[0], entry[1], r["rows"], r["build_ms"], r["p50"], r["p95"], r["max"]]
			)
		)
	var base: Dictionary = results[0]
	for i in range(1, results.size()):
		var r: Dictionary = results[i]
		print(
			(
				"BENCH ratio case=%d/1 p50=%.2f p95=%.2f build=%.1f"
				% [
					i + 1,
					r["p50"] / maxf(base["p50"], 0.001),
					r["p95"] / maxf(base["p95"], 0.001),
					r["build_ms"] / maxf(base["build_ms"], 0.001)
				]
			)
		)
	get_tree().quit(0)


func _measure(count: int, window_rows: int) -> Dictionary:
	DataManager.clear()
	DataManager.apply_dispatch("READY", _ready_payload())
	DataManager.set_members("20", [])
	DataManager.reads_api.set_focused(false)  # no server here: nothing is acknowledged
	var messages := DataManager.store("30")
	messages.merge_page(_messages(count))
	messages.loaded = true
	messages.reached_start = true
	var started := Time.get_ticks_usec()
	var chat: Control = ChatUIScene.instantiate()
	chat.set("window_rows", window_rows)
	chat.size = Vector2(1000, 760)
	add_child(chat)
	DataManager.select_server("20")
	DataManager.select_channel("30")
	for _i in 3:
		await get_tree().process_frame
	var build_ms := (Time.get_ticks_usec() - started) / 1000.0
	var scroll: ScrollContainer = chat.find_children("*", "ScrollContainer", true, false)[0]
	var bar := scroll.get_v_scroll_bar()
	var top := maxf(bar.max_value - bar.page, 0.0)
	var position := top
	var direction := -1.0
	var times: Array[float] = []
	var last := Time.get_ticks_usec()
	for _frame in FRAMES:
		position += direction * STEP_PX
		if position <= 0.0 or position >= top:
			direction = -direction
			position = clampf(position, 0.0, top)
		scroll.scroll_vertical = int(position)
		await get_tree().process_frame
		var now := Time.get_ticks_usec()
		times.append((now - last) / 1000.0)
		last = now
	var rows := chat.find_children("*", "PanelContainer", true, false).filter(
		func(node: Node) -> bool: return node.has_signal("actions_requested")
	)
	var result := {"rows": rows.size(), "build_ms": build_ms}
	times.sort()
	result["p50"] = times[times.size() / 2]
	result["p95"] = times[int(times.size() * 0.95)]
	result["max"] = times[-1]
	chat.queue_free()
	await get_tree().process_frame
	return result


static func _ready_payload() -> Dictionary:
	var channel := {
		"id": "30", "server_id": "20", "name": "bench", "topic": "", "position": 0, "created_at": ""
	}
	return {
		"v": 1,
		"session_id": "bench",
		"user": {"id": "1", "username": "me", "email": "me@example.com", "status": "online"},
		"servers":
		[
			{
				"id": "20",
				"name": "Bench",
				"description": "",
				"owner_id": "1",
				"created_at": "",
				"member_count": 5,
				"role": "owner",
				"channels": [channel]
			}
		],
		"presences": [],
	}


static func _messages(count: int) -> Array:
	var texts := [
		"Plain message number %d with a few words in it.",
		"**Bold** and *italic* and ~~struck~~ text, `inline code` and a link https://example.com/%d",
		"> a quoted line\nand an answer to it (%d)",
		"||a spoiler|| then __underlined__ words, message %d",
		"```\ncode block %d\nsecond line\n```",
	]
	var out := []
	for i in count:
		var id := str(1_000_000 + i)
		var author := str(2 + i % 5)
		var msg := {
			"id": id,
			"channel_id": "30",
			"server_id": "20",
			"author": {"id": author, "username": "user" + author, "avatar_url": null},
			"content": (texts[i % texts.size()] as String) % i,
			"created_at": "2026-11-28T05:%02d:%02d.000000Z" % [(i / 60) % 60, i % 60],
			"edited_at": null,
			"nonce": null,
			"attachments": [],
			"pinned": i % 50 == 0,
			"reactions": [],
		}
		if i % 7 == 0:
			msg["reactions"] = [
				{"emoji": "👍", "count": 3, "me": true}, {"emoji": "🎉", "count": 1, "me": false}
			]
		if i % 10 == 5 and i > 0:
			msg["message_reference"] = {"message_id": str(1_000_000 + i - 1)}
			msg["referenced_message"] = {
				"id": str(1_000_000 + i - 1),
				"author": {"id": "2", "username": "user2"},
				"content": "the message before"
			}
		out.append(msg)
	return out
