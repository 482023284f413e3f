## A channel's message cache: dedupe, order, edits, deletes, pages, pending sends.
extends "res://tests/test_case.gd"

const ChannelMessages := preload("res://scripts/model/channel_messages.gd")
const Ids := preload("res://scripts/model/ids.gd")

const ME := {"id": "1", "username": "me"}
const BOB := {"id": "2", "username": "bob"}


static func msg(id: String, content := "hi", author := BOB, nonce: Variant = null) -> Dictionary:
	return {
		"id": id,
		"channel_id": "10",
		"server_id": "20",
		"author": author,
		"content": content,
		"created_at": "2026-11-28T05:14:25.123000Z",
		"edited_at": null,
		"nonce": nonce,
	}


static func ids(store: ChannelMessages) -> Array:
	return store.all().map(func(m: Dictionary) -> String: return m["id"])


func test_snowflakes_compare_as_numbers() -> void:
	eq(Ids.compare("99", "100"), -1, "shorter is older")
	eq(Ids.compare("100", "99"), 1, "longer is newer")
	eq(Ids.compare("123", "123"), 0, "equal")
	eq(Ids.compare("1234567890123456789", "1234567890123456790"), -1, "past 2^53")
	check(Ids.is_valid("123"), "digits are an id")
	check(not Ids.is_valid(123.0), "a float is not an id")
	eq(Ids.of(5.0), "", "never stringify a number as an id")
	done()


func test_dedupes_by_id() -> void:
	var store := ChannelMessages.new()
	eq(store.upsert(msg("5"))["kind"], "append", "first copy appends")
	eq(store.upsert(msg("5"))["kind"], "none", "an identical copy changes nothing")
	eq(store.upsert(msg("5", "changed"))["kind"], "update", "a different copy updates")
	eq(store.size(), 1, "one message")
	done()


func test_keeps_id_order_whatever_the_arrival_order() -> void:
	var store := ChannelMessages.new()
	for id: String in ["100", "7", "99", "1000", "8"]:
		store.upsert(msg(id))
	eq(ids(store), ["7", "8", "99", "100", "1000"], "ascending by numeric id")
	eq(store.oldest_id(), "7", "oldest")
	eq(store.newest_id(), "1000", "newest")
	eq(store.upsert(msg("50"))["kind"], "reset", "an insert in the middle redraws")
	done()


func test_edits_replace_content_but_never_go_back_in_time() -> void:
	var store := ChannelMessages.new()
	store.upsert(msg("5", "first"))
	var edited := msg("5", "second")
	edited["edited_at"] = "2026-11-28T06:00:00.000000Z"
	eq(store.apply_update(edited)["kind"], "update", "edit applied")
	eq(store.get_message("5")["content"], "second", "new content")
	var stale := msg("5", "stale")
	stale["edited_at"] = "2026-11-28T05:30:00.000000Z"
	eq(store.apply_update(stale)["kind"], "none", "older edit ignored")
	eq(store.upsert(msg("5", "first"))["kind"], "none", "a replayed create does not undo the edit")
	eq(store.get_message("5")["content"], "second", "still the latest edit")
	done()


func test_updates_of_unknown_messages() -> void:
	var store := ChannelMessages.new()
	store.upsert(msg("50"))
	eq(store.apply_update(msg("10", "old"))["kind"], "none", "older than the window: ignored")
	eq(store.apply_update(msg("60", "missed"))["kind"], "append", "newer: a missed message")
	eq(ids(store), ["50", "60"], "window")
	done()


func test_deletes_are_final() -> void:
	var store := ChannelMessages.new()
	store.upsert(msg("5"))
	store.upsert(msg("6"))
	eq(store.remove("5")["kind"], "reset", "removed")
	eq(ids(store), ["6"], "gone")
	eq(store.upsert(msg("5"))["kind"], "none", "a late copy does not resurrect it")
	store.merge_page([msg("6"), msg("5")])
	eq(ids(store), ["6"], "nor does a page fetched before the delete")
	eq(store.remove("404")["kind"], "none", "deleting an unknown id is harmless")
	done()


func test_merges_pages_newest_first() -> void:
	var store := ChannelMessages.new()
	store.upsert(msg("30"))
	var change := store.merge_page([msg("29"), msg("28"), msg("27")])
	eq(change["kind"], "reset", "page merged")
	eq(ids(store), ["27", "28", "29", "30"], "ordered")
	eq(store.merge_page([msg("29"), msg("28")])["kind"], "none", "a known page changes nothing")
	done()


func test_pending_send_is_replaced_by_the_rest_answer() -> void:
	var store := ChannelMessages.new()
	store.upsert(msg("5"))
	store.add_pending({"nonce": "n1", "author": ME, "content": "hello", "created_at": ""})
	eq(store.pending.size(), 1, "pending shown")
	eq(int(store.all()[-1]["_send"]), ChannelMessages.Send.SENDING, "marked sending")
	var key: String = store.all()[-1]["_key"]
	var change := store.upsert(msg("6", "hello", ME, "n1"))
	eq(change["kind"], "update", "replaced in place")
	eq(change["key"], key, "same row key")
	eq(store.pending.size(), 0, "no longer pending")
	eq(store.upsert(msg("6", "hello", ME, "n1"))["kind"], "none", "the gateway echo: no change")
	eq(ids(store), ["5", "6"], "exactly one copy")
	done()


func test_echo_before_rest_answer_and_others_in_between() -> void:
	var store := ChannelMessages.new()
	store.add_pending({"nonce": "n1", "author": ME, "content": "a", "created_at": ""})
	store.add_pending({"nonce": "n2", "author": ME, "content": "b", "created_at": ""})
	store.upsert(msg("9", "bob's"))
	eq(store.upsert(msg("10", "a", ME, "n1"))["kind"], "update", "same place: updated in place")
	eq(store.pending.size(), 1, "second still pending")
	eq(store.all()[-1]["nonce"], "n2", "pending stays last")
	store.upsert(msg("10", "a", ME, "n1"))
	eq(ids(store), ["9", "10", ""], "no duplicate, pending after confirmed")
	done()


func test_echo_older_than_a_later_message_moves_up() -> void:
	var store := ChannelMessages.new()
	store.add_pending({"nonce": "n1", "author": ME, "content": "a", "created_at": ""})
	store.upsert(msg("12", "bob's, committed after mine"))
	eq(store.upsert(msg("11", "a", ME, "n1"))["kind"], "reset", "moved above: redraw")
	eq(ids(store), ["11", "12"], "in id order")
	done()


func test_nonce_matches_only_the_same_author() -> void:
	var store := ChannelMessages.new()
	store.add_pending({"nonce": "n1", "author": ME, "content": "mine", "created_at": ""})
	store.upsert(msg("7", "theirs", BOB, "n1"))
	eq(store.pending.size(), 1, "someone else's nonce does not take my pending message")
	done()


func test_failed_send_can_be_retried_or_discarded() -> void:
	var store := ChannelMessages.new()
	store.add_pending({"nonce": "n1", "author": ME, "content": "a", "created_at": ""})
	eq(store.set_send_state("n1", ChannelMessages.Send.FAILED, "offline")["kind"], "update", "fail")
	eq(int(store.find_pending("n1")["_send"]), ChannelMessages.Send.FAILED, "failed")
	eq(store.find_pending("n1")["_error"], "offline", "reason kept")
	store.set_send_state("n1", ChannelMessages.Send.SENDING)
	eq(int(store.find_pending("n1")["_send"]), ChannelMessages.Send.SENDING, "retrying")
	eq(store.remove_pending("n1")["kind"], "reset", "discarded")
	eq(store.size(), 0, "empty")
	done()


func test_reset_history_keeps_pending_and_tombstones() -> void:
	var store := ChannelMessages.new()
	store.upsert(msg("1"))
	store.remove("1")
	store.upsert(msg("2"))
	store.add_pending({"nonce": "n", "author": ME, "content": "a", "created_at": ""})
	store.loaded = true
	store.reset_history()
	eq(store.confirmed.size(), 0, "history forgotten")
	eq(store.pending.size(), 1, "pending kept")
	check(not store.loaded, "needs a reload")
	eq(store.upsert(msg("1"))["kind"], "none", "tombstone kept")
	done()


func test_reconcile_with_a_fresh_page_after_a_lost_session() -> void:
	var store := ChannelMessages.new()
	store.merge_page([msg("40"), msg("30"), msg("20"), msg("10")])
	store.add_pending({"nonce": "n", "author": ME, "content": "a", "created_at": ""})
	var edited := msg("30", "edited meanwhile")
	edited["edited_at"] = "2026-11-28T06:00:00.000000Z"
	# A full page covering 20..50: 40 was deleted meanwhile, 30 edited, 50 is new.
	var change := store.reconcile_page([msg("50"), edited, msg("20")], true)
	eq(change["kind"], "reset", "changed")
	eq(ids(store), ["10", "20", "30", "50", ""], "10 is older than the page: kept")
	eq(store.get_message("30")["content"], "edited meanwhile", "edit applied")
	store.reconcile_page([msg("50")], false)
	eq(ids(store), ["50", ""], "a short page is the whole channel")
	eq(store.reconcile_page([msg("50")], false)["kind"], "none", "nothing to do")
	done()
