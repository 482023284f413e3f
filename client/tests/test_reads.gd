## Read states: unread and mention counting from READY and live messages (once each, yours
## reading the channel, DMs counting every message, blocked people never), monotonic acks,
## notification levels and mutes, when the client acknowledges (in view, window focused, at
## most once a second), marking a server read, the `@` autocomplete and the window title.
extends "res://tests/test_case.gd"

const DataState := preload("res://scripts/model/data_state.gd")
const FakeNet := preload("res://tests/fake_net.gd")
const Api := preload("res://scripts/net/api.gd")
const ReadStates := preload("res://scripts/model/read_states.gd")
const ReadActions := preload("res://scripts/model/read_actions.gd")
const Mentions := preload("res://scripts/model/mentions.gd")
const Markup := preload("res://scripts/model/markup.gd")
const DataStateTest := preload("res://tests/test_data_state.gd")
const DmsTest := preload("res://tests/test_dms.gd")


## READY: #general (30) read up to 50 with the newest message 60 and 2 mentions; #alpha (31)
## read up to its newest (70); #zeta (32) never read and empty; the DM with alice (100) read.
static func ready_payload() -> Dictionary:
	var ready := DmsTest.ready_payload()
	ready["servers"][0]["channels"][0]["last_message_id"] = "60"
	ready["servers"][1]["channels"][1]["last_message_id"] = "70"
	ready["read_states"] = [
		{"channel_id": "30", "last_read_id": "50", "mention_count": 2},
		{"channel_id": "31", "last_read_id": "70", "mention_count": 0},
		{"channel_id": "32", "last_read_id": null, "mention_count": 0},
		{"channel_id": "100", "last_read_id": "500", "mention_count": 0},
		{"channel_id": "101", "last_read_id": null, "mention_count": 0},
		{"channel_id": "102", "last_read_id": "400", "mention_count": 0},
	]
	return ready


func fresh() -> DataState:
	var state: DataState = track(DataState.new())
	state.apply_dispatch("READY", ready_payload())
	return state


static func said(
	id: String, channel_id: String, author_id := "2", mentions: Array = [], everyone := false
) -> Dictionary:
	var msg := DataStateTest.message(id, channel_id, author_id)
	msg["mentions"] = mentions
	msg["mention_everyone"] = everyone
	return msg


func test_ready_gives_unread_channels_and_badges() -> void:
	var state := fresh()
	check(state.shows_unread("30"), "#general has unread messages")
	eq(state.badge("30"), 2, "and 2 mentions")
	check(not state.shows_unread("31"), "#alpha is read")
	check(not state.shows_unread("32"), "an empty channel never read is not unread")
	eq(state.server_badge("20"), 2, "the server's badge")
	check(state.server_shows_unread("20"), "the server is unread")
	check(not state.server_shows_unread("21"), "the other is not")
	eq(state.total_mentions(), 2, "the total")
	eq(ReadStates.window_title(state.total_mentions()), "(2) Concord", "the window title")
	eq(ReadStates.window_title(0), "Concord", "no mentions, no number")
	done()


func test_messages_count_once_and_yours_read_the_channel() -> void:
	var state := fresh()
	var told := []
	state.mentioned.connect(func(c: String, _m: Dictionary) -> void: told.append(c))
	state.apply_dispatch("MESSAGE_CREATE", said("80", "31"))
	check(state.shows_unread("31"), "a plain message: unread")
	eq(state.badge("31"), 0, "but no mention")
	state.apply_dispatch("MESSAGE_CREATE", said("81", "31", "2", ["1"]))
	state.apply_dispatch("MESSAGE_CREATE", said("81", "31", "2", ["1"]))
	eq(state.badge("31"), 1, "a mention counts once however often it comes")
	state.apply_dispatch("MESSAGE_CREATE", said("79", "31", "2", ["1"]))
	eq(state.badge("31"), 1, "an older message (a replay) counts nothing")
	state.apply_dispatch("MESSAGE_CREATE", said("82", "31", "5", [], true))
	eq(state.badge("31"), 2, "@everyone counts")
	state.apply_dispatch("MESSAGE_CREATE", said("83", "31", "2", ["7"]))
	eq(state.badge("31"), 2, "a mention of someone else does not")
	eq(told, ["31", "31"], "each new mention is told once")
	state.apply_dispatch("MESSAGE_CREATE", said("84", "31", "1"))
	check(not state.shows_unread("31") and state.badge("31") == 0, "my message reads it")
	state.apply_dispatch("MESSAGE_CREATE", said("600", "101", "3"))
	state.apply_dispatch("MESSAGE_CREATE", said("601", "101", "3"))
	eq(state.badge("101"), 2, "every DM message by the other counts")
	eq(state.server_badge(DataState.HOME), 2, "on Home's badge")
	state.apply_dispatch("MESSAGE_CREATE", said("602", "101", "4", ["1"]))
	eq(state.badge("101"), 2, "a blocked person's never does")
	done()


func test_a_backfill_counts_what_the_gateway_missed() -> void:
	var state := fresh()
	state.apply_dispatch("MESSAGE_CREATE", said("80", "31", "2", ["1"]))
	var page := [said("82", "31", "5", ["1"]), said("80", "31", "2", ["1"]), said("81", "31")]
	state.count_missed("31", page)
	eq(state.badge("31"), 2, "the missed mention counts, the one seen already does not")
	eq(state.reads.last_message("31"), "82", "the newest is known")
	done()


func test_mentions_are_found_without_the_server_list_too() -> void:
	var plain := DataStateTest.message("5", "30")
	plain["content"] = "hey <@1> look"
	check(ReadStates.mentions_me(plain, "1"), "<@1> in the text")
	plain["content"] = "hey <@12> look"
	check(not ReadStates.mentions_me(plain, "1"), "not <@12>")
	plain["mentions"] = ["1"]
	check(ReadStates.mentions_me(plain, "1"), "the server's list wins")
	done()


func test_acks_never_move_back() -> void:
	var state := fresh()
	state.apply_dispatch(
		"MESSAGE_ACK", {"channel_id": "30", "message_id": "55", "mention_count": 1}
	)
	eq(state.reads.last_read("30"), "55", "read further")
	eq(state.badge("30"), 1, "the count the server says")
	state.apply_dispatch(
		"MESSAGE_ACK", {"channel_id": "30", "message_id": "52", "mention_count": 2}
	)
	eq(state.reads.last_read("30"), "55", "an older ack changes nothing")
	eq(state.badge("30"), 1, "nor the count")
	state.apply_dispatch(
		"MESSAGE_ACK", {"channel_id": "30", "message_id": "60", "mention_count": 0}
	)
	check(not state.shows_unread("30") and state.badge("30") == 0, "read on another device")
	done()


func test_notification_levels_and_mutes() -> void:
	var state := fresh()
	var now := Time.get_unix_time_from_system()
	state.apply_dispatch(
		"NOTIFICATION_SETTINGS_UPDATE",
		{"server_id": "20", "level": "mentions", "muted_until": null}
	)
	check(not state.shows_unread("30"), "only @mentions: unread is not bold")
	eq(state.badge("30"), 2, "but the mentions show")
	state.apply_dispatch(
		"NOTIFICATION_SETTINGS_UPDATE",
		{"channel_id": "30", "level": "nothing", "muted_until": null}
	)
	eq(state.badge("30"), 0, "the channel says nothing")
	eq(state.reads.level_of("20", "30"), "nothing", "its own level")
	state.apply_dispatch(
		"NOTIFICATION_SETTINGS_UPDATE", {"channel_id": "30", "level": null, "muted_until": null}
	)
	eq(state.reads.level_of("20", "30"), "mentions", "null follows the server")
	var later: Variant = ReadStates.mute_until(3600, now)
	check(later is String and str(later).ends_with("Z"), "a mute end as the server reads it")
	state.apply_dispatch(
		"NOTIFICATION_SETTINGS_UPDATE", {"server_id": "21", "level": "all", "muted_until": later}
	)
	state.apply_dispatch("MESSAGE_CREATE", said("90", "31"))
	check(not state.shows_unread("31"), "a muted server shows nothing unread")
	check(state.reads.is_unread("31"), "though it is")
	check(not state.reads.notifies("21", "31", now), "and asks for no attention")
	check(state.reads.notifies("21", "31", now + 7200.0), "until the mute ends")
	var told := []
	state.mentioned.connect(func(c: String, _m: Dictionary) -> void: told.append(c))
	state.apply_dispatch("MESSAGE_CREATE", said("91", "31", "2", ["1"]))
	eq(told, [], "a mention in a muted server flashes nothing")
	eq(state.badge("31"), 1, "but is counted")
	eq(ReadStates.mute_until(0), null, "0: not muted")
	done()


func test_only_what_is_in_view_with_focus_is_acknowledged() -> void:
	var state := fresh()
	var net: FakeNet = track(FakeNet.new())
	var reads := ReadActions.new(state, net)
	reads.set_focused(false, 0)
	reads.set_viewing("30", 0)
	check(state.shows_unread("30") and net.calls.is_empty(), "not focused: nothing is read")
	net.answer(null)
	reads.set_focused(true, 0)
	check(not state.shows_unread("30"), "focused: read")
	eq(net.calls.size(), 1, "one ack")
	eq(net.calls[0][0], "POST", "POST")
	eq(net.calls[0][1], Api.POST_MESSAGE_ACK, "the ack path")
	eq(net.calls[0][2], {"channel_id": "30", "message_id": "60"}, "of the newest message")
	state.apply_dispatch("MESSAGE_CREATE", said("61", "30"))
	reads.refresh(400)
	check(not state.shows_unread("30"), "a message in view is read at once")
	eq(net.calls.size(), 1, "but its ack waits a second")
	eq(reads.waiting(), {"30": "61"}, "for the newest")
	net.answer(null)
	reads.poll(1000)
	eq(net.calls.size(), 2, "then goes")
	eq(net.calls[1][2]["message_id"], "61", "for 61")
	reads.set_viewing("", 1000)
	state.apply_dispatch("MESSAGE_CREATE", said("62", "30"))
	reads.refresh(5000)
	check(state.shows_unread("30"), "scrolled away (or another channel): unread again")
	eq(net.calls.size(), 2, "and nothing sent")
	done()


func test_mark_a_channel_and_a_server_read() -> void:
	var state := fresh()
	var net: FakeNet = track(FakeNet.new())
	var reads := ReadActions.new(state, net)
	state.apply_dispatch("MESSAGE_CREATE", said("95", "32", "2", ["1"]))
	net.answer(null)
	await reads.mark_server_read("21")
	eq(net.calls[0][1], Api.POST_SERVER_ACK, "one server ack")
	eq(net.calls[0][2], {"server_id": "21"}, "of the server")
	check(not state.server_shows_unread("21") and state.server_badge("21") == 0, "all read")
	net.answer(null)
	reads.mark_channel_read("30", 0)
	eq(net.calls[1][2], {"channel_id": "30", "message_id": "60"}, "a channel's own ack")
	check(not state.shows_unread("30"), "read")
	net.answer({"server_id": "20", "level": "nothing", "muted_until": null})
	await reads.set_notifications("20", "", "nothing", null)
	eq(net.calls[2][0], "PATCH", "PATCH")
	eq(net.calls[2][1], Api.PATCH_MY_NOTIFICATION_SETTINGS, "the settings path")
	eq(net.calls[2][3], {"server_id": "20", "level": "nothing", "muted_until": null}, "the body")
	eq(state.reads.server_setting("20")["level"], "nothing", "applied")
	done()


func test_at_autocomplete() -> void:
	eq(Mentions.query_at("hi @al", 6), {"start": 3, "query": "al"}, "a word after @")
	eq(Mentions.query_at("@", 1), {"start": 0, "query": ""}, "just @")
	eq(Mentions.query_at("mail@al", 7), {}, "not inside a word")
	eq(Mentions.query_at("hi @al x", 8), {}, "the word ended")
	var people: Array[Dictionary] = [
		{"id": "2", "username": "alice"},
		{"id": "3", "username": "Bob"},
		{"id": "5", "username": "malia"},
		{"id": "1", "username": "me"},
	]
	var names := func(list: Array[Dictionary]) -> Array:
		return list.map(func(u: Dictionary) -> String: return str(u["username"]))
	eq(names.call(Mentions.suggestions("al", people, "1")), ["alice", "malia"], "prefix first")
	eq(names.call(Mentions.suggestions("", people, "1")), ["alice", "Bob", "malia"], "not me")
	eq(
		names.call(Mentions.suggestions("e", people, "1", true)),
		["everyone", "alice", "here"],
		"@everyone and @here for moderators"
	)
	eq(Mentions.insert("hi @al", 3, 6, "2"), ["hi <@2> ", 8], "inserted with a space")
	eq(Mentions.insert("@al, ok", 0, 3, "2"), ["<@2> , ok", 5], "before more text")
	eq(Mentions.insert("@ev", 0, 3, "@everyone"), ["@everyone ", 10], "@everyone as it is")
	eq(
		Mentions.mentioned_ids("<@2> and <@!3> and <@2> <@x>"),
		["2", "3"] as Array[String],
		"ids, once"
	)
	done()


func test_everyone_chips_only_when_the_server_says_so() -> void:
	var markup := Markup.new()
	markup.everyone = true
	var out := markup.render("hey @everyone and @here, mail@everyone")
	check(out.count("@everyone[/color]") == 1, "one chip for @everyone: " + out)
	check(out.contains("@here[/color]"), "and @here")
	eq(Markup.audit(out), [] as Array[String], "safe")
	var plain := Markup.to_bbcode("hey @everyone")
	check(not plain.contains("[color"), "a member's @everyone stays text")
	done()
