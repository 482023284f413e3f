## DataManager's cache rules, driven by gateway events exactly as the network delivers them.
extends "res://tests/test_case.gd"

const DataState := preload("res://scripts/model/data_state.gd")
const ChannelMessages := preload("res://scripts/model/channel_messages.gd")

const ME := {"id": "1", "username": "me", "email": "me@example.com", "status": "online"}


func fresh() -> DataState:
	var state: DataState = track(DataState.new())
	state.apply_dispatch("READY", ready_payload())
	return state


static func ready_payload() -> Dictionary:
	return {
		"v": 1,
		"session_id": "s1",
		"user": ME,
		"servers":
		[
			server("20", "Friends", "owner", [channel("30", "20", "general", 0)]),
			server(
				"21",
				"Work",
				"member",
				[channel("32", "21", "zeta", 1), channel("31", "21", "alpha", 0)]
			),
		],
		"presences": [{"user_id": "2", "status": "away"}],
	}


static func server(id: String, name: String, role: String, channels: Array) -> Dictionary:
	return {
		"id": id,
		"name": name,
		"description": "",
		"owner_id": "1",
		"created_at": "",
		"member_count": 2,
		"role": role,
		"channels": channels,
	}


static func channel(id: String, server_id: String, name: String, position: int) -> Dictionary:
	return {
		"id": id,
		"server_id": server_id,
		"name": name,
		"topic": "",
		"position": position,
		"created_at": "",
	}


static func message(
	id: String, channel_id: String, author_id := "2", nonce: Variant = null
) -> Dictionary:
	return {
		"id": id,
		"channel_id": channel_id,
		"server_id": "20",
		"author": {"id": author_id, "username": "u" + author_id},
		"content": "m" + id,
		"created_at": "2026-11-28T05:14:25.000000Z",
		"edited_at": null,
		"nonce": nonce,
	}


func test_ready_fills_the_cache_and_selects() -> void:
	var state := fresh()
	eq(state.me_id(), "1", "me")
	eq(state.server_order, ["20", "21"] as Array[String], "servers in READY order")
	check(not state.servers["20"].has("channels"), "channels are kept separately")
	eq(
		state.channels_of("21").map(func(c: Dictionary) -> String: return c["name"]),
		["alpha", "zeta"],
		"channels by position"
	)
	eq(state.status_of("2"), "away", "presence from READY")
	eq(state.status_of("3"), "offline", "everyone else offline")
	eq(state.current_server_id, "20", "first server selected")
	eq(state.current_channel_id, "30", "its first channel")
	check(state.ready_received, "ready flag")
	done()


func test_message_events_and_unread() -> void:
	var state := fresh()
	var changes := []
	state.messages_changed.connect(
		func(c: String, k: String, _key: String) -> void: changes.append([c, k])
	)
	state.apply_dispatch("MESSAGE_CREATE", message("100", "30"))
	state.apply_dispatch("MESSAGE_CREATE", message("101", "31"))
	eq(state.store("30").size(), 1, "stored")
	eq(changes[0], ["30", "append"], "append signalled")
	check(state.shows_unread("31"), "another channel becomes unread")
	check(state.shows_unread("30"), "the open one too, until it is seen (see test_reads)")
	state.select_channel("31")
	eq(state.current_server_id, "21", "its server is selected too")
	eq(state.mark_read("31"), "101", "marking it read says what to acknowledge")
	check(not state.shows_unread("31"), "read")
	var edit := message("100", "30")
	edit["content"] = "changed"
	edit["edited_at"] = "2026-11-28T06:00:00.000000Z"
	state.apply_dispatch("MESSAGE_UPDATE", edit)
	eq(state.store("30").get_message("100")["content"], "changed", "edited")
	state.apply_dispatch("MESSAGE_DELETE", {"id": "100", "channel_id": "30", "server_id": "20"})
	eq(state.store("30").size(), 0, "deleted")
	done()


func test_resume_replay_does_not_duplicate() -> void:
	var state := fresh()
	var replay := [
		["MESSAGE_CREATE", message("100", "30")],
		["MESSAGE_CREATE", message("101", "30")],
		["MESSAGE_DELETE", {"id": "100", "channel_id": "30", "server_id": "20"}],
	]
	for event: Array in replay:
		state.apply_dispatch(event[0], event[1])
	for event: Array in replay:  # the same events again, as a replay overlapping them would
		state.apply_dispatch(event[0], event[1])
	state.apply_dispatch("RESUMED", null)
	eq(
		state.store("30").all().map(func(m: Dictionary) -> String: return m["id"]),
		["101"],
		"one copy of each, deletes final"
	)
	done()


func test_backfill_merge_after_reconnect() -> void:
	var state := fresh()
	var store := state.store("30")
	store.loaded = true
	store.merge_page([message("102", "30"), message("101", "30")])
	store.add_pending(
		{"nonce": "n1", "author": {"id": "1", "username": "me"}, "content": "m", "created_at": ""}
	)
	state.apply_dispatch("READY", ready_payload())  # re-identified after INVALID_SESSION
	check(state.store("30") == store, "the channel's history survives a new READY")
	store.merge_page([message("105", "30", "1", "n1"), message("104", "30"), message("103", "30")])
	eq(
		store.all().map(func(m: Dictionary) -> String: return m["id"]),
		["101", "102", "103", "104", "105"],
		"gap filled in order, pending matched"
	)
	eq(store.pending.size(), 0, "the pending send was confirmed by the backfill")
	check(state.loaded_channel_ids().has("30"), "listed for backfill")
	done()


func test_ready_drops_what_is_gone() -> void:
	var state := fresh()
	state.store("32").upsert(message("1", "32"))
	state.select_channel("32")
	var payload := ready_payload()
	payload["servers"] = [payload["servers"][0]]
	state.apply_dispatch("READY", payload)
	check(not state.servers.has("21"), "left server gone")
	check(not state.channels.has("32"), "its channels gone")
	eq(state.store("32").size(), 0, "their messages gone")
	eq(state.current_server_id, "20", "selection moved to a server that exists")
	done()


func test_server_and_channel_events() -> void:
	var state := fresh()
	state.apply_dispatch(
		"SERVER_CREATE", server("22", "New", "member", [channel("40", "22", "general", 0)])
	)
	eq(state.server_order[-1], "22", "server added last")
	eq(state.channels_of("22").size(), 1, "with its channel")
	state.apply_dispatch("SERVER_UPDATE", {"id": "22", "name": "Renamed", "owner_id": "9"})
	eq(state.servers["22"]["name"], "Renamed", "renamed")
	eq(state.servers["22"]["role"], "member", "role kept")
	state.apply_dispatch("CHANNEL_CREATE", channel("41", "22", "second", 1))
	state.apply_dispatch("CHANNEL_UPDATE", channel("41", "22", "renamed", 1))
	eq(state.channels["41"]["name"], "renamed", "channel renamed")
	state.select_channel("41")
	state.apply_dispatch("CHANNEL_DELETE", channel("41", "22", "renamed", 1))
	check(not state.channels.has("41"), "channel deleted")
	eq(state.current_channel_id, "40", "selection falls back to a channel of the server")
	state.apply_dispatch("SERVER_DELETE", {"id": "22"})
	check(not state.servers.has("22") and not state.channels.has("40"), "server removed")
	eq(state.current_server_id, "20", "selection moved")
	done()


func test_members_presence_and_roles() -> void:
	var state := fresh()
	(
		state
		. set_members(
			"20",
			[
				{
					"server_id": "20",
					"user": {"id": "1", "username": "me"},
					"role": "owner",
					"presence": "online"
				},
				{
					"server_id": "20",
					"user": {"id": "2", "username": "bob"},
					"role": "member",
					"presence": "away"
				},
			]
		)
	)
	state.apply_dispatch(
		"MEMBER_ADD", {"server_id": "20", "user": {"id": "3", "username": "eve"}, "role": "member"}
	)
	eq(state.members["20"].size(), 3, "member added")
	eq(int(state.servers["20"]["member_count"]), 3, "count updated")
	state.apply_dispatch("PRESENCE_UPDATE", {"server_id": "20", "user_id": "3", "status": "dnd"})
	eq(state.status_of("3"), "dnd", "presence updated")
	state.apply_dispatch(
		"MEMBER_UPDATE",
		{"server_id": "20", "user": {"id": "2", "username": "bob"}, "role": "moderator"}
	)
	eq(state.members["20"]["2"]["role"], "moderator", "role changed")
	eq(state.members["20"]["2"]["presence"], "away", "presence kept on update")
	state.apply_dispatch(
		"MEMBER_UPDATE", {"server_id": "21", "user": {"id": "1", "username": "me"}, "role": "admin"}
	)
	eq(state.my_role("21"), "admin", "my own role follows MEMBER_UPDATE")
	state.apply_dispatch("MEMBER_REMOVE", {"server_id": "20", "user_id": "3", "kicked": true})
	check(not state.members["20"].has("3"), "member removed")
	eq(int(state.servers["20"]["member_count"]), 2, "count updated")
	done()


func test_member_events_during_a_member_list_load_win() -> void:
	var state := fresh()
	state.begin_members_load("20")
	var me := {"id": "1", "username": "me"}
	state.apply_dispatch("MEMBER_UPDATE", {"server_id": "20", "user": me, "role": "admin"})
	state.apply_dispatch("PRESENCE_UPDATE", {"server_id": "20", "user_id": "2", "status": "dnd"})
	(
		state
		. set_members(
			"20",
			[  # the answer was read before the role change
				{"server_id": "20", "user": me, "role": "member", "presence": "online"},
				{
					"server_id": "20",
					"user": {"id": "2", "username": "bob"},
					"role": "member",
					"presence": "online"
				},
			]
		)
	)
	eq(state.members["20"]["1"]["role"], "admin", "role change kept")
	eq(state.status_of("2"), "dnd", "presence change kept")
	done()


func test_typing_shows_others_until_they_post() -> void:
	var state := fresh()
	state.apply_dispatch(
		"TYPING_START",
		{"server_id": "20", "channel_id": "30", "user_id": "2", "username": "bob", "timestamp": ""}
	)
	state.apply_dispatch(
		"TYPING_START",
		{"server_id": "20", "channel_id": "30", "user_id": "1", "username": "me", "timestamp": ""}
	)
	eq(state.typing_names("30"), ["bob"] as Array[String], "others only")
	state.apply_dispatch("MESSAGE_CREATE", message("200", "30", "2"))
	eq(state.typing_names("30"), [] as Array[String], "cleared by their message")
	done()


func test_user_update_and_clear() -> void:
	var state := fresh()
	var me := ME.duplicate()
	me["status"] = "dnd"
	state.apply_dispatch("USER_UPDATE", me)
	eq(state.me["status"], "dnd", "status updated")
	state.clear()
	eq(state.servers.size(), 0, "cleared")
	check(not state.ready_received, "ready flag reset")
	eq(state.current_server_id, "", "no selection")
	done()
