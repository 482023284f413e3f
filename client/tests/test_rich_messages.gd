## Replies, reactions and pins in the client: the reaction model (events and one's own
## clicks never double-count), what a reply sends, toggling, pinning, and the emoji picker's
## data.
extends "res://tests/test_case.gd"

const Reactions := preload("res://scripts/model/reactions.gd")
const ChannelMessages := preload("res://scripts/model/channel_messages.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const MessageActions := preload("res://scripts/model/message_actions.gd")
const EmojiData := preload("res://scripts/model/emoji_data.gd")
const FakeNet := preload("res://tests/fake_net.gd")
const Api := preload("res://scripts/net/api.gd")
const DataStateTests := preload("res://tests/test_data_state.gd")


func world() -> Array:
	var state: DataState = track(DataState.new())
	state.apply_dispatch("READY", DataStateTests.ready_payload())
	var net: FakeNet = track(FakeNet.new())
	return [state, net, MessageActions.new(state, net)]


static func reaction_event(message_id: String, user_id: String, emoji: String) -> Dictionary:
	return {
		"server_id": "20",
		"channel_id": "30",
		"message_id": message_id,
		"user_id": user_id,
		"emoji": emoji,
	}


func test_the_reaction_model() -> void:
	var list: Array = []
	check(Reactions.add(list, "👍", false), "someone's first")
	check(Reactions.add(list, "👍", true), "mine")
	check(not Reactions.add(list, "👍", true), "mine again: no change")
	check(Reactions.add(list, "🎉", false), "a second emoji")
	eq(list, [{"emoji": "👍", "count": 2, "me": true}, {"emoji": "🎉", "count": 1, "me": false}], "")
	check(Reactions.mine(list, "👍") and not Reactions.mine(list, "🎉"), "mine")
	check(not Reactions.remove(list, "🎉", true), "removing mine where I have none")
	check(Reactions.remove(list, "👍", true), "remove mine")
	check(not Reactions.remove(list, "👍", true), "twice: no change")
	check(Reactions.remove(list, "🎉", false), "someone else's")
	eq(list, [{"emoji": "👍", "count": 1, "me": false}], "the last one of an emoji goes")
	check(Reactions.clear_emoji(list, "👍") and list.is_empty(), "cleared")
	done()


func test_reaction_events_update_the_held_message() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var changes: Array = []
	state.messages_changed.connect(
		func(c: String, kind: String, key: String) -> void: changes.append([c, kind, key])
	)
	state.store("30").merge_page([DataStateTests.message("100", "30")])
	state.apply_dispatch("MESSAGE_REACTION_ADD", reaction_event("100", "2", "👍"))
	state.apply_dispatch("MESSAGE_REACTION_ADD", reaction_event("100", "1", "👍"))
	var held: Dictionary = state.store("30").get_message("100")
	eq(held["reactions"], [{"emoji": "👍", "count": 2, "me": true}], "counted, mine marked")
	eq(changes[-1], ["30", "update", "m100"], "the row redraws")
	# A MESSAGE_UPDATE carries no reactions: the held ones stay.
	var edited := DataStateTests.message("100", "30")
	edited["content"] = "edited"
	edited["edited_at"] = "2026-11-28T06:00:00.000000Z"
	state.apply_dispatch("MESSAGE_UPDATE", edited)
	eq(held["reactions"], [{"emoji": "👍", "count": 2, "me": true}], "kept through an edit")
	state.apply_dispatch("MESSAGE_REACTION_REMOVE_EMOJI", reaction_event("100", "", "👍"))
	eq(held["reactions"], [], "an emoji cleared")
	state.apply_dispatch("MESSAGE_REACTION_ADD", reaction_event("100", "2", "🔥"))
	state.apply_dispatch("MESSAGE_REACTION_REMOVE_ALL", reaction_event("100", "", ""))
	eq(held["reactions"], [], "all cleared")
	state.apply_dispatch("MESSAGE_REACTION_ADD", reaction_event("999", "2", "🔥"))
	check(state.store("30").get_message("999").is_empty(), "an unknown message is ignored")
	done()


func test_toggling_sends_put_or_delete_and_counts_once() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: MessageActions = parts[2]
	state.store("30").merge_page([DataStateTests.message("100", "30")])
	net.answer(null)
	eq(await actions.toggle_reaction("30", "100", "👍"), "", "added")
	eq(net.calls[0][0], "PUT", "PUT")
	eq(net.calls[0][1], Api.PUT_REACTION, "the @me route")
	eq(net.calls[0][2], {"channel_id": "30", "message_id": "100", "emoji": "👍"}, "params")
	var held: Dictionary = state.store("30").get_message("100")
	eq(held["reactions"], [{"emoji": "👍", "count": 1, "me": true}], "shown once accepted")
	state.apply_dispatch("MESSAGE_REACTION_ADD", reaction_event("100", "1", "👍"))
	eq(held["reactions"][0]["count"], 1, "its event does not count it twice")
	eq(state.frequent_emoji.frequent()[0], "👍", "remembered as frequent")
	net.answer(null)
	await actions.toggle_reaction("30", "100", "👍")
	eq(net.calls[1][0], "DELETE", "a second click removes it")
	eq(held["reactions"], [], "gone")
	net.answer({}, false, "Too many requests")
	eq(await actions.toggle_reaction("30", "100", "🔥"), "Too many requests", "a failure")
	eq(held["reactions"], [], "changes nothing")
	eq(Api.expand(Api.PUT_REACTION, net.calls[0][2]).get_slice("/", 8), "%F0%9F%91%8D", "encoded")
	done()


func test_a_reply_shows_its_quote_and_sends_the_reference() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: MessageActions = parts[2]
	var original := DataStateTests.message("100", "30")
	state.store("30").merge_page([original])
	# No answer queued: the send fails, so the pending copy stays to be looked at.
	eq(actions.send_message("30", "answer", original, false), "", "sent")
	var pending: Dictionary = state.store("30").pending[0]
	eq(pending["message_reference"], {"message_id": "100"}, "pending shows what it replies to")
	eq(pending["referenced_message"]["content"], "m100", "with the quoted text")
	eq(net.calls[0][1], Api.POST_CHANNEL_MESSAGES, "posted")
	var body: Dictionary = net.calls[0][3]
	eq(body["message_reference"], {"message_id": "100", "fail_if_not_exists": false}, "reference")
	eq(body["allowed_mentions"], {"replied_user": false}, "no mention asked")
	check(not body.has("_mention_author"), "nothing of ours is sent")
	done()


func test_pins_and_their_list() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: MessageActions = parts[2]
	var seen: Array = []
	state.pins_changed.connect(func(c: String) -> void: seen.append(c))
	net.answer(null)
	eq(await actions.set_pinned("30", "100", true), "", "pinned")
	eq(
		net.calls[0].slice(0, 3),
		["PUT", Api.PUT_CHANNEL_PIN, {"channel_id": "30", "message_id": "100"}],
		""
	)
	net.answer(null)
	await actions.set_pinned("30", "100", false)
	eq(net.calls[1][0], "DELETE", "unpin")
	eq(seen, ["30", "30"], "the pins panel hears of both")
	net.answer({}, false, "A channel can have at most 50 pinned messages; unpin one first.")
	var refused: String = await actions.set_pinned("30", "101", true)
	check(refused.begins_with("A channel can"), "max_pins")
	state.apply_dispatch("CHANNEL_PINS_UPDATE", {"channel_id": "30", "server_id": "20"})
	eq(seen[-1], "30", "CHANNEL_PINS_UPDATE too")
	net.answer([DataStateTests.message("100", "30")])
	var result: Variant = await actions.load_pins("30")
	eq(net.calls[-1][1], Api.GET_CHANNEL_PINS, "the pins route")
	eq(result.list().size(), 1, "the list")
	done()


func test_emoji_picker_data() -> void:
	var frequent := EmojiData.new()
	var defaults: Array[String] = []
	defaults.assign(EmojiData.DEFAULT_FREQUENT)
	eq(frequent.frequent(), defaults, "defaults at first")
	frequent.use("🦀")
	frequent.use("🔥")
	frequent.use("🔥")
	var now := frequent.frequent()
	eq(now.slice(0, 2), ["🔥", "🦀"] as Array[String], "most used first")
	eq(now.size(), EmojiData.FREQUENT_SHOWN, "filled up with the defaults")
	check(EmojiData.search("thumbs").has("👍"), "by name")
	check(EmojiData.search("PARTY").has("🎉"), "any case")
	check(EmojiData.search("tada").has("🎉"), "by another word")
	check(EmojiData.search("red heart").has("❤️"), "every word")
	eq(EmojiData.search("no such emoji"), [] as Array[String], "none")
	eq(EmojiData.name_of("👍"), "thumbs up", "its name")
	done()
