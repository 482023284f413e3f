## Direct messages and group DMs: READY's private channels and blocks, the DM list's names and
## order (by last activity), Home, the private channel events (create, rename, delete,
## recipients added and removed, blocks), and what the DM actions send and apply (over a fake
## NetworkManager).
extends "res://tests/test_case.gd"

const DataState := preload("res://scripts/model/data_state.gd")
const DataManagerScript := preload("res://scripts/autoload/data_manager.gd")
const FakeNet := preload("res://tests/fake_net.gd")
const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Ids := preload("res://scripts/model/ids.gd")
const Names := preload("res://scripts/model/names.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const DmActions := preload("res://scripts/model/dm_actions.gd")
const DataStateTest := preload("res://tests/test_data_state.gd")

const ME := {"id": "1", "username": "me", "avatar_url": null, "created_at": ""}


static func user(id: String, username := "") -> Dictionary:
	return {
		"id": id,
		"username": username if username != "" else "u" + id,
		"avatar_url": "/files/a%s.png" % id,
		"created_at": "",
	}


static func dm(id: String, other: Dictionary, last_message_id: Variant = null) -> Dictionary:
	return {
		"id": id,
		"type": "dm",
		"server_id": null,
		"name": "",
		"topic": "",
		"position": 0,
		"created_at": "",
		"recipients": [ME, other],
		"owner_id": null,
		"last_message_id": last_message_id,
	}


static func group(id: String, people: Array, group_name := "", owner := "1") -> Dictionary:
	var channel := dm(id, {})
	channel["type"] = "group_dm"
	channel["name"] = group_name
	channel["owner_id"] = owner
	var recipients: Array = [ME]
	recipients.append_array(people)
	channel["recipients"] = recipients
	return channel


static func dm_message(id: String, channel_id: String, author_id := "2") -> Dictionary:
	var msg := DataStateTest.message(id, channel_id, author_id)
	msg["server_id"] = null
	return msg


## READY with the two servers of test_data_state, a DM with alice (active at message 500), a
## DM with bob (never written in) and an unnamed group with alice and carol (message 400);
## dave (4) is blocked; alice's DM and the group are read.
static func ready_payload() -> Dictionary:
	var ready := DataStateTest.ready_payload()
	ready["private_channels"] = [
		dm("100", user("2", "alice"), "500"),
		dm("101", user("3", "bob")),
		group("102", [user("2", "alice"), user("5", "carol")], "", "1"),
	]
	ready["private_channels"][2]["last_message_id"] = "400"
	ready["blocked_user_ids"] = ["4"]
	ready["read_states"] = [
		{"channel_id": "100", "last_read_id": "500", "mention_count": 0},
		{"channel_id": "102", "last_read_id": "400", "mention_count": 0},
	]
	return ready


func fresh() -> DataState:
	var state: DataState = track(DataState.new())
	state.apply_dispatch("READY", ready_payload())
	return state


func world() -> Array:
	var state := fresh()
	var net: FakeNet = track(FakeNet.new())
	return [state, net, DmActions.new(state, net)]


static func ids_of(list: Array[Dictionary]) -> Array:
	return list.map(func(c: Dictionary) -> String: return str(c["id"]))


func test_ready_holds_private_channels_apart_from_servers() -> void:
	var state := fresh()
	eq(ids_of(state.private_channels()), ["100", "102", "101"], "most recently active first")
	eq(ids_of(state.channels_of("20")), ["30"], "a server lists only its channels")
	check(state.is_private("100") and not state.is_private("30"), "which are private")
	check(state.is_blocked("4") and not state.is_blocked("2"), "READY's blocked_user_ids")
	eq(state.avatar_url("2"), "/files/a2.png", "recipients' avatars are learnt")
	eq(Names.users(state).get("5"), "carol", "<@id> of a DM's people has a name")
	done()


func test_names_pictures_and_last_activity() -> void:
	var state := fresh()
	eq(PrivateChannels.display_name(state.channels["100"], "1"), "alice", "a DM: the other")
	eq(PrivateChannels.display_name(state.channels["102"], "1"), "alice, carol", "group")
	var named := group("103", [user("2", "alice")], "  Trip  ")
	eq(PrivateChannels.display_name(named, "1"), "Trip", "a named group")
	var big := group("104", [user("2", "e"), user("3", "d"), user("5", "c"), user("6", "b")])
	eq(PrivateChannels.display_name(big, "1"), "b, c and 2 others", "a big unnamed group")
	eq(PrivateChannels.other_id(state.channels["101"], "1"), "3", "the other of a DM")
	eq(PrivateChannels.picture_user(state.channels["102"], "1"), {}, "a group has no face")
	eq(state.last_activity_id("100"), "500", "its last message")
	eq(state.last_activity_id("101"), "101", "never written in: when it was opened")
	# 2026-12-01T14:03:00Z, worker 1, sequence 5.
	var snowflake := "253521265950724101"
	eq(Ids.unix_seconds(snowflake), 1796133780.0, "a snowflake's time")
	eq(Ids.iso_time(snowflake), "2026-12-01T14:03:00Z", "as the server writes times")
	eq(Ids.iso_time(""), "", "no id, no time")
	done()


func test_a_message_moves_its_dm_up_and_marks_it_unread() -> void:
	var state := fresh()
	state.select_channel("30")
	var home_changes := []
	state.channels_changed.connect(func(id: String) -> void: home_changes.append(id))
	state.apply_dispatch("MESSAGE_CREATE", dm_message("600", "101", "3"))
	eq(ids_of(state.private_channels()), ["101", "100", "102"], "bob's DM is on top now")
	check(state.shows_unread("101"), "and unread")
	eq(state.badge("101"), 1, "a DM message counts as a mention")
	check(home_changes.has(DataState.HOME), "the DM list is told")
	state.apply_dispatch("MESSAGE_CREATE", dm_message("601", "100", "4"))
	check(not state.shows_unread("100"), "a blocked person's message marks nothing unread")
	done()


func test_home_opens_the_latest_dm_and_survives_a_new_ready() -> void:
	var state := fresh()
	eq(state.current_server_id, "20", "a server at first")
	state.select_home()
	check(state.is_home(), "Home")
	eq(state.current_channel_id, "100", "the most recently active DM")
	state.select_channel("101")
	state.select_channel("30")
	check(not state.is_home(), "back in a server")
	state.select_server(DataState.HOME)
	eq(state.current_channel_id, "101", "the DM open last under Home")
	state.apply_dispatch("READY", ready_payload())
	check(state.is_home(), "still Home after a new session")
	eq(state.current_channel_id, "101", "on the same DM")
	done()


func test_channel_events_of_private_channels() -> void:
	var state := fresh()
	state.select_channel("102")
	var created := group("900", [user("5", "carol")], "New")
	state.apply_dispatch("CHANNEL_CREATE", created)
	eq(ids_of(state.private_channels())[0], "900", "a new group is the newest")
	var renamed := created.duplicate(true)
	renamed["name"] = "Renamed"
	state.apply_dispatch("CHANNEL_UPDATE", renamed)
	eq(PrivateChannels.display_name(state.channels["900"], "1"), "Renamed", "renamed")
	state.apply_dispatch("CHANNEL_DELETE", state.channels["102"])
	check(not state.channels.has("102"), "left")
	check(state.is_home(), "still Home")
	eq(state.current_channel_id, "900", "the next DM is shown")
	done()


func test_recipients_come_and_go() -> void:
	var state := fresh()
	state.apply_dispatch("CHANNEL_RECIPIENT_ADD", {"channel_id": "102", "user": user("6", "erin")})
	var ids := PrivateChannels.recipient_ids(state.channels["102"])
	eq(ids, ["1", "2", "5", "6"] as Array[String], "erin joined")
	state.apply_dispatch("CHANNEL_RECIPIENT_ADD", {"channel_id": "102", "user": user("6", "erin")})
	eq(PrivateChannels.recipient_ids(state.channels["102"]).size(), 4, "never twice")
	state.apply_dispatch("CHANNEL_RECIPIENT_REMOVE", {"channel_id": "102", "user": {"id": "2"}})
	ids = PrivateChannels.recipient_ids(state.channels["102"])
	eq(ids, ["1", "5", "6"] as Array[String], "alice left")
	state.apply_dispatch("CHANNEL_RECIPIENT_REMOVE", {"channel_id": "102", "user": {"id": "1"}})
	check(not state.channels.has("102"), "I was removed: the group is gone")
	done()


func test_block_events() -> void:
	var state := fresh()
	var told := [0]
	state.blocks_changed.connect(func() -> void: told[0] += 1)
	state.apply_dispatch("USER_BLOCK_ADD", {"user": user("2", "alice")})
	check(state.is_blocked("2"), "alice is blocked")
	state.apply_dispatch("USER_BLOCK_ADD", {"user": user("2", "alice")})
	state.apply_dispatch("USER_BLOCK_REMOVE", {"user_id": "4"})
	check(not state.is_blocked("4"), "dave is not")
	state.apply_dispatch("USER_BLOCK_REMOVE", {"user_id": "4"})
	eq(told[0], 2, "told once per change")
	done()


func test_open_dm_reuses_the_one_held_or_asks_for_one() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: DmActions = parts[2]
	var held: ApiResult = await actions.open_dm("3")
	check(held.ok and net.calls.is_empty(), "bob's DM is held: no request")
	eq(state.current_channel_id, "101", "and it is shown")
	net.answer(dm("106", user("5", "carol")))
	var made: ApiResult = await actions.open_dm("5")
	check(made.ok, "opened")
	eq(net.calls[0][0], "POST", "POST")
	eq(net.calls[0][1], Api.POST_MY_CHANNELS, "/users/@me/channels")
	eq(net.calls[0][3], {"recipient_id": "5"}, "the body")
	eq(state.current_channel_id, "106", "the new DM is shown")
	check(state.is_home(), "under Home")
	net.answer(null, false, "You cannot message this user.")
	var refused: ApiResult = await actions.open_dm("9")
	check(not refused.ok and refused.message != "", "a refusal comes back to show")
	eq(state.current_channel_id, "106", "nothing else changes")
	done()


func test_groups_are_capped_with_clear_errors() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: DmActions = parts[2]
	var none: ApiResult = await actions.create_group([] as Array[String])
	eq(none.message, "Pick at least one person.", "nobody picked")
	var ten: Array[String] = []
	for i in 10:
		ten.append(str(10 + i))
	var too_many: ApiResult = await actions.create_group(ten)
	eq(
		too_many.message,
		"A group DM holds you and at most 9 others: you picked 10. Remove 1.",
		"ten picked"
	)
	check(net.calls.is_empty(), "nothing sent for either")
	net.answer(group("107", [user("2"), user("3")], "Trip"))
	var made: ApiResult = await actions.create_group(["2", "3"] as Array[String], " Trip ")
	check(made.ok, "created")
	eq(net.calls[0][3], {"recipient_ids": ["2", "3"], "name": "Trip"}, "ids and the name")
	eq(state.current_channel_id, "107", "the group is shown")
	# A group of 9 (me and 8 others) has room for 1 more.
	var eight: Array = []
	for i in 8:
		eight.append(user(str(20 + i)))
	state.apply_dispatch("CHANNEL_CREATE", group("108", eight))
	var two: Array[Dictionary] = [user("30"), user("31")]
	var full: ApiResult = await actions.add_people("108", two)
	eq(full.message, "This group has room for 1 more: you picked 2. Remove 1.", "room for one")
	eq(net.calls.size(), 1, "nothing sent")
	net.answer(null)
	var one: Array[Dictionary] = [user("30", "zed")]
	var added: ApiResult = await actions.add_people("108", one)
	check(added.ok, "added")
	eq(net.calls[1][0], "PUT", "PUT")
	eq(net.calls[1][2], {"channel_id": "108", "user_id": "30"}, "the recipient path")
	eq(PrivateChannels.recipient_ids(state.channels["108"]).size(), 10, "shown at once")
	done()


func test_rename_remove_leave_block() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: DmActions = parts[2]
	var renamed: Dictionary = state.channels["102"].duplicate(true)
	renamed["name"] = "Friends"
	net.answer(renamed)
	await actions.rename_group("102", "Friends")
	eq(net.calls[0][1], Api.PATCH_CHANNEL, "PATCH the channel")
	eq(state.channels["102"]["name"], "Friends", "renamed")
	net.answer(null)
	await actions.remove_person("102", "5")
	eq(net.calls[1][1], Api.DELETE_CHANNEL_RECIPIENT, "DELETE the recipient")
	eq(PrivateChannels.recipient_ids(state.channels["102"]), ["1", "2"] as Array[String], "gone")
	net.answer(null)
	await actions.leave_group("102")
	eq(net.calls[2][1], Api.DELETE_CHANNEL, "DELETE the channel is leaving")
	check(not state.channels.has("102"), "left")
	net.answer(null)
	await actions.block("3")
	eq(net.calls[3][0], "PUT", "PUT a block")
	eq(net.calls[3][2], {"user_id": "3"}, "of bob")
	check(state.is_blocked("3"), "bob is blocked")
	net.answer(null)
	await actions.unblock("3")
	eq(net.calls[4][1], Api.DELETE_MY_BLOCK, "DELETE the block")
	check(not state.is_blocked("3"), "unblocked")
	net.answer(null, false, "nope")
	await actions.block("2")
	check(not state.is_blocked("2"), "a refused block changes nothing")
	done()


func test_group_candidates_are_the_people_you_share_servers_with() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var actions: DmActions = parts[2]
	var bot := user("8", "helper")
	bot["bot"] = true
	(
		state
		. set_members(
			"20",
			[
				{"server_id": "20", "user": ME, "role": "owner"},
				{"server_id": "20", "user": user("7", "Zoe"), "role": "member"},
				{"server_id": "20", "user": bot, "role": "member"},
			]
		)
	)
	var names: Array = actions.candidates(["3"] as Array[String]).map(
		func(u: Dictionary) -> String: return str(u["username"])
	)
	eq(names, ["alice", "carol", "Zoe"], "members and DM people, not me, bots or bob")
	done()


func test_a_fresh_dm_list_replaces_the_old_one() -> void:
	var state := fresh()
	state.select_channel("101")
	state.set_private_channels([dm("100", user("2", "alice"), "500")])
	eq(ids_of(state.private_channels()), ["100"], "only what the server listed")
	eq(state.current_channel_id, "100", "the DM shown was gone: the next one")
	eq(ids_of(state.channels_of("21")), ["31", "32"], "server channels are untouched")
	done()


func test_a_message_in_an_unknown_dm_reads_the_dm_list_again() -> void:
	var manager: DataManagerScript = track(DataManagerScript.new())
	var net: FakeNet = track(FakeNet.new())
	manager.attach(net)
	net.dispatch_received.emit("READY", ready_payload())
	net.answer([dm("109", user("6", "erin"))])
	net.dispatch_received.emit("MESSAGE_CREATE", dm_message("700", "109", "6"))
	var asked: Array = net.calls.filter(func(c: Array) -> bool: return c[1] == Api.GET_MY_CHANNELS)
	eq(asked.size(), 1, "GET /users/@me/channels")
	check(manager.channels.has("109"), "the DM is known now")
	done()
