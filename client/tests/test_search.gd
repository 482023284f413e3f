## Search: the search box's filters, safe highlighting, the search requests and paging, and
## jumping to a result (the window of history around it, newer pages, live messages).
extends "res://tests/test_case.gd"

const SearchQuery := preload("res://scripts/model/search_query.gd")
const Highlight := preload("res://scripts/model/highlight.gd")
const ChannelMessages := preload("res://scripts/model/channel_messages.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const MessageActions := preload("res://scripts/model/message_actions.gd")
const SearchActions := preload("res://scripts/model/search_actions.gd")
const FakeNet := preload("res://tests/fake_net.gd")
const Api := preload("res://scripts/net/api.gd")
const DataStateTests := preload("res://tests/test_data_state.gd")

const MEMBERS := {
	"7": {"user": {"id": "7", "username": "alice"}, "role": "member"},
	"8": {"user": {"id": "8", "username": "bob.b"}, "role": "member"},
}


func channels() -> Array[Dictionary]:
	return [
		{"id": "30", "server_id": "20", "name": "general"},
		{"id": "31", "server_id": "20", "name": "dev talk"},
	]


# --- the search box -----------------------------------------------------------------------------


func test_filters_and_text() -> void:
	var parsed := SearchQuery.parse(
		'release from:Alice in:#general has:link "exact words" -draft', MEMBERS, channels()
	)
	eq(parsed["error"], "", "no error")
	var query: Dictionary = parsed["query"]
	eq(query.get("content"), 'release "exact words" -draft', "text kept as typed")
	eq(query.get("author_id"), ["7"], "from: is the member's id")
	eq(query.get("channel_id"), ["30"], "in: is the channel's id")
	eq(query.get("has"), ["link"], "has:")
	done()


func test_several_filters_quotes_and_only_filters() -> void:
	var parsed := SearchQuery.parse(
		'from:@alice from:BOB.B in:"dev talk" has:LINK has:image', MEMBERS, channels()
	)
	var query: Dictionary = parsed["query"]
	eq(query.get("author_id"), ["7", "8"], "any of several authors")
	eq(query.get("channel_id"), ["31"], "a quoted channel name")
	eq(query.get("has"), ["link", "image"], "every has: (the server says whether it can)")
	check(not query.has("content"), "filters only: no text")
	var quoted := SearchQuery.parse('"from:alice" says', MEMBERS, channels())
	eq(quoted["query"].get("content"), '"from:alice" says', "a filter in quotes is text")
	check(not quoted["query"].has("author_id"), "and no filter")
	eq(SearchQuery.tokens('a "b c" d"e f'), PackedStringArray(["a", '"b c"', 'd"e f']), "tokens")
	done()


func test_unknown_names_and_empty_searches_are_errors() -> void:
	eq(
		SearchQuery.parse("from:carol hi", MEMBERS, channels())["error"],
		'No member named "carol" in this server.',
		"unknown member"
	)
	eq(
		SearchQuery.parse("in:nowhere", MEMBERS, channels())["error"],
		'No channel named "nowhere" in this server.',
		"unknown channel"
	)
	eq(
		SearchQuery.parse("has:video", MEMBERS, channels())["error"],
		"has: can be link, file or image.",
		"bad has"
	)
	eq(SearchQuery.parse("   ", MEMBERS, channels())["error"], "Type something to search for.", "")
	var empty_name := SearchQuery.parse("from:", MEMBERS, channels())
	eq(empty_name["error"], 'No member named "" in this server.', "from: without a name")
	done()


# --- highlighting ---------------------------------------------------------------------------------


func test_highlights_mark_the_spans() -> void:
	var text := Highlight.bbcode("say hello world", [[4, 9]])
	eq(text, "say " + Highlight.MARK_OPEN + "hello" + Highlight.MARK_CLOSE + " world", "marked")
	var json_spans: Variant = JSON.parse_string("[[0, 3], [4, 9]]")  # numbers come as floats
	eq(Highlight.ranges(json_spans, 15), [Vector2i(0, 3), Vector2i(4, 9)], "floats from JSON")
	done()


func test_user_text_never_becomes_markup() -> void:
	var evil := "[url=http://x]click[/url] [color=red]red[/color] [img]a.png[/img]"
	var text := Highlight.bbcode(evil, [[1, 4]])
	check(not text.contains("[url"), "no [url tag")
	check(not text.contains("[color=red"), "no user colour tag")
	check(not text.contains("[img"), "no [img tag")
	var label := RichTextLabel.new()
	label.bbcode_enabled = true
	label.text = text
	eq(label.get_parsed_text(), evil, "shown exactly as typed")
	label.free()
	done()


func test_bad_spans_are_skipped() -> void:
	var spans := [[5, 2], [-1, 3], [0, 99], [1, 3], [2, 4], "x", [1], [null, 2], [3, 4]]
	eq(Highlight.ranges(spans, 10), [Vector2i(1, 3), Vector2i(3, 4)], "valid, sorted, apart")
	eq(Highlight.ranges("not a list", 10), [] as Array[Vector2i], "not a list")
	eq(Highlight.bbcode("[x]", []), "[lb]x]", "no spans: escaped text")
	done()


# --- the message store after a jump ----------------------------------------------------------


static func msg(id: String, channel_id := "30") -> Dictionary:
	return DataStateTests.message(id, channel_id)


func test_window_without_the_newest_messages() -> void:
	var store := ChannelMessages.new()
	store.merge_page([msg("200"), msg("199")])
	var generation := store.generation
	store.show_window([msg("12"), msg("11"), msg("10")], false)
	check(store.generation != generation, "the history was replaced")
	eq(store.oldest_id(), "10", "the window")
	eq(store.newest_id(), "12", "the window")
	check(store.newer_missing and store.loaded, "newer messages are missing")
	eq(store.upsert(msg("300"))["kind"], "none", "a live message past the window waits")
	check(store.get_message("300").is_empty(), "no hole")
	eq(store.upsert(msg("11"))["kind"], "none", "a held one is still updated (unchanged here)")
	eq(store.merge_newer([msg("14"), msg("13")], false)["kind"], "reset", "a page below")
	check(store.newer_missing, "still more below")
	store.merge_newer([msg("300"), msg("15")], true)
	check(not store.newer_missing, "the last page closes the gap")
	eq(store.newest_id(), "300", "up to the present")
	eq(store.upsert(msg("301"))["kind"], "append", "live messages are added again")
	done()


# --- requests -----------------------------------------------------------------------------------


func world() -> Array:
	var state: DataState = track(DataState.new())
	state.apply_dispatch("READY", DataStateTests.ready_payload())
	var net: FakeNet = track(FakeNet.new())
	return [state, net]


func test_search_sends_the_query_and_pages() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	state.set_members("20", [MEMBERS["7"]])
	var search := SearchActions.new(state, net)
	var page := []
	for i in 25:
		page.append(msg(str(100 - i)))
	net.answer({"total_results": 5000, "total_results_exact": false, "messages": page})
	await search.search("20", "hello from:alice")
	eq(net.calls.size(), 1, "one request")
	eq(net.calls[0][1], Api.GET_SERVER_MESSAGES_SEARCH, "the server search")
	eq(net.calls[0][2], {"server_id": "20"}, "of the server")
	eq(
		net.calls[0][3],
		{"content": "hello", "author_id": ["7"], "limit": 25, "offset": 0},
		"the query"
	)
	check(search.open and not search.loading, "answered")
	eq([search.total, search.exact, search.results.size()], [5000, false, 25], "the page")
	check(search.has_next() and not search.has_previous(), "more pages")
	net.answer({"total_results": 5000, "total_results_exact": false, "messages": page})
	await search.show_page(25)
	eq(net.calls[1][3]["offset"], 25, "the next page")
	await search.show_page(99999)
	eq(net.calls[2][3]["offset"], Api.SEARCH_OFFSET_MAX, "no offset past the server's limit")
	search.close()
	check(not search.open and search.results.is_empty(), "closed")
	done()


func test_search_errors_are_shown_not_sent() -> void:
	var parts := world()
	var net: FakeNet = parts[1]
	var search := SearchActions.new(parts[0], net)
	await search.search("20", "from:nobody")
	eq(net.calls.size(), 0, "a bad filter is not sent")
	eq(search.error, 'No member named "nobody" in this server.', "explained")
	net.answer({}, false, "content has no words to search for.")
	await search.search("20", "***")
	eq(search.error, "content has no words to search for.", "the server's reason")
	check(search.results.is_empty() and not search.loading, "nothing shown")
	done()


func test_jump_loads_the_page_around_the_message() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions := MessageActions.new(state, net)
	var jumps: Array = []
	state.jump_requested.connect(func(c: String, m: String) -> void: jumps.append([c, m]))
	state.store("30").merge_page([msg("900"), msg("899")])
	state.store("30").loaded = true
	var around := []
	for i in range(60, 35, -1):  # 25 newer than 35 and the message itself: newer are missing
		around.append(msg(str(i)))
	around.append(msg("35"))
	for i in range(34, 10, -1):
		around.append(msg(str(i)))
	net.answer(around)
	var problem: String = await actions.jump_to("30", "35")
	eq(problem, "", "no problem")
	eq(net.calls[0][3], {"around": "35", "limit": Api.MESSAGES_PAGE_LIMIT}, "around the message")
	eq(state.current_channel_id, "30", "its channel is open")
	var store := state.store("30")
	check(store.get_message("900").is_empty(), "the old window is gone")
	check(store.newer_missing, "newer messages are missing")
	check(not store.reached_start, "a full page: older ones may exist")
	eq(jumps, [["30", "35"]], "the view is told to show it")
	net.answer([msg("62"), msg("61")])
	await actions.load_newer("30")
	eq(net.calls[1][3], {"after": "60", "limit": Api.MESSAGES_MAX_LIMIT}, "the page below")
	check(not store.newer_missing, "a short page reaches the present")
	await actions.jump_to("30", "61")
	eq(net.calls.size(), 2, "a held message needs no request")
	eq(jumps[-1], ["30", "61"], "shown at once")
	done()


func test_jump_to_a_deleted_message_or_a_gone_channel() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions := MessageActions.new(state, net)
	net.answer([msg("40"), msg("38")])
	eq(await actions.jump_to("30", "39"), "That message was deleted.", "not in its page")
	check(not state.store("30").newer_missing, "a short page is the present")
	check(state.store("30").reached_start, "and the start")
	eq(await actions.jump_to("999", "1"), "That channel is gone.", "unknown channel")
	net.answer([], false, "Unknown channel.")
	eq(await actions.jump_to("30", "5"), "Unknown channel.", "the server's refusal")
	eq(state.store("30").load_error, "Unknown channel.", "shown in the channel")
	done()
