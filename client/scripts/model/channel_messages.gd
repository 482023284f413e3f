## One channel's messages as the client holds them.
##
## Rules: confirmed messages are unique by id and kept oldest -> newest by id; an edit only
## replaces a copy that is not newer; a deleted id never comes back (a late page or replay
## cannot resurrect it); pending sends (no id yet, matched by nonce) follow the confirmed ones
## in send order, and a confirmed copy with the same nonce and author replaces its pending one
## in place. Every change returns {"kind": "none" | "append" | "update" | "reset", "key": ...}
## so the view can redraw as little as possible. Each message carries a stable "_key".
##
## After a jump to an old message (`show_window`) the store holds a window of the history
## that may not reach the newest message (`newer_missing`): live messages newer than the
## window are not added then (they would leave a hole); pages loaded downward close the gap.
extends RefCounted

enum Send { NONE, SENDING, FAILED }

const Ids := preload("res://scripts/model/ids.gd")
const Reactions := preload("res://scripts/model/reactions.gd")

var confirmed: Array[Dictionary] = []
var pending: Array[Dictionary] = []
## The newest page has been fetched (live messages may arrive before that).
var loaded := false
## The oldest message of the channel is held: nothing more to load upward.
var reached_start := false
var loading_older := false
## Why the last page could not be loaded ("" when it could).
var load_error := ""
## The held messages stop before the channel's newest (after a jump): load newer pages.
var newer_missing := false
var loading_newer := false
## Bumped whenever the held history is replaced: a page requested before that is stale.
var generation := 0

var _by_id := {}
var _deleted := {}


## Confirmed then pending, oldest first.
func all() -> Array[Dictionary]:
	var out: Array[Dictionary] = confirmed.duplicate()
	out.append_array(pending)
	return out


func size() -> int:
	return confirmed.size() + pending.size()


func oldest_id() -> String:
	return "" if confirmed.is_empty() else str(confirmed[0]["id"])


func newest_id() -> String:
	return "" if confirmed.is_empty() else str(confirmed[-1]["id"])


func get_message(id: String) -> Dictionary:
	return _by_id.get(id, {})


## A message from the server (MESSAGE_CREATE, a REST answer). While newer messages are
## missing, one newer than the window is left for the pages to bring (no hole).
func upsert(msg: Dictionary) -> Dictionary:
	var id := Ids.of(msg.get("id"))
	if newer_missing and id != "" and not _by_id.has(id) and Ids.compare(id, newest_id()) > 0:
		return _change("none")
	return _upsert(msg)


func _upsert(msg: Dictionary) -> Dictionary:
	var id := Ids.of(msg.get("id"))
	if id == "" or _deleted.has(id):
		return _change("none")
	if _by_id.has(id):
		var current: Dictionary = _by_id[id]
		if _is_older_edit(msg, current) or not _differs(current, msg):
			return _change("none")
		_copy_server_fields(current, msg)
		return _change("update", current["_key"])
	var pending_index := _pending_index(str(msg.get("nonce", "")), _author_id(msg))
	var entry := msg.duplicate(true)
	entry["_send"] = Send.NONE
	entry["_error"] = ""
	entry["_key"] = "m" + id
	if pending_index >= 0:
		entry["_key"] = pending[pending_index]["_key"]
		pending.remove_at(pending_index)
	var position := _insert_sorted(entry)
	var is_last := position == confirmed.size() - 1
	if pending_index >= 0:
		return _change("update" if is_last and pending_index == 0 else "reset", entry["_key"])
	return _change("append" if is_last and pending.is_empty() else "reset", entry["_key"])


## MESSAGE_UPDATE: applied to a held copy; an unknown id newer than what is held is a
## message this client missed, so it is added; an older unknown one is outside the window.
func apply_update(msg: Dictionary) -> Dictionary:
	var id := Ids.of(msg.get("id"))
	if id == "" or _by_id.has(id):
		return upsert(msg)
	if confirmed.is_empty() or Ids.compare(id, oldest_id()) > 0:
		return upsert(msg)
	return _change("none")


## A MESSAGE_REACTION_* event (or one's own REST answer): `kind` is "add", "remove",
## "clear_emoji" or "clear_all". Unknown messages are ignored (their page brings the counts).
func apply_reaction(id: String, kind: String, emoji: String, is_me: bool) -> Dictionary:
	if not _by_id.has(id):
		return _change("none")
	var entry: Dictionary = _by_id[id]
	if not entry.get("reactions") is Array:
		entry["reactions"] = []
	var reactions: Array = entry["reactions"]
	var changed := false
	match kind:
		"add":
			changed = Reactions.add(reactions, emoji, is_me)
		"remove":
			changed = Reactions.remove(reactions, emoji, is_me)
		"clear_emoji":
			changed = Reactions.clear_emoji(reactions, emoji)
		"clear_all":
			changed = not reactions.is_empty()
			reactions.clear()
	return _change("update", entry["_key"]) if changed else _change("none")


func remove(id: String) -> Dictionary:
	_deleted[id] = true
	if not _by_id.has(id):
		return _change("none")
	var entry: Dictionary = _by_id[id]
	_by_id.erase(id)
	confirmed.erase(entry)
	return _change("reset", entry["_key"])


## A page from GET .../messages (newest first). Returns "reset" when anything changed.
func merge_page(page: Array) -> Dictionary:
	var changed := false
	for item: Variant in page:
		if item is Dictionary and _upsert(item)["kind"] != "none":
			changed = true
	return _change("reset" if changed else "none")


## Replaces the held history with a page around a message (a jump). `reaches_newest`: the
## page holds the channel's newest message, so nothing is missing above it.
func show_window(page: Array, reaches_newest: bool) -> Dictionary:
	reset_history()
	loaded = true
	newer_missing = not reaches_newest
	merge_page(page)
	return _change("reset")


## A page from below the window (`after` the newest held). `last`: it was not full, so the
## channel's newest message is now held.
func merge_newer(page: Array, last: bool) -> Dictionary:
	var change := merge_page(page)
	if last and newer_missing:
		newer_missing = false
		return _change("reset")
	return change


## Makes the held messages agree with a fresh newest-first page: page entries are upserted
## (edits apply), and held messages inside the page's range that it lacks were deleted. With
## `full` false the page reaches the start of the channel, so its range is everything.
func reconcile_page(page: Array, full: bool) -> Dictionary:
	var seen := {}
	var oldest := ""
	for item: Variant in page:
		if item is Dictionary:
			var id := Ids.of((item as Dictionary).get("id"))
			seen[id] = true
			if oldest == "" or Ids.compare(id, oldest) < 0:
				oldest = id
	var changed: bool = merge_page(page)["kind"] != "none"
	for entry in confirmed.duplicate():
		var id := str(entry["id"])
		var in_range := not full or (oldest != "" and Ids.compare(id, oldest) >= 0)
		if in_range and not seen.has(id):
			remove(id)
			changed = true
	return _change("reset" if changed else "none")


## Adds a send that has no id yet. `msg` needs "nonce", "content", "author", "created_at".
func add_pending(msg: Dictionary) -> Dictionary:
	var entry := msg.duplicate(true)
	entry["id"] = ""
	entry["edited_at"] = null
	entry["_key"] = "p" + str(msg["nonce"])
	entry["_send"] = Send.SENDING
	entry["_error"] = ""
	pending.append(entry)
	return _change("append", entry["_key"])


func find_pending(nonce: String) -> Dictionary:
	for entry in pending:
		if entry["nonce"] == nonce:
			return entry
	return {}


## Marks a pending send as failed (with a reason) or as sending again.
func set_send_state(nonce: String, state: Send, error := "") -> Dictionary:
	var entry := find_pending(nonce)
	if entry.is_empty():
		return _change("none")
	entry["_send"] = state
	entry["_error"] = error
	return _change("update", entry["_key"])


func remove_pending(nonce: String) -> Dictionary:
	var entry := find_pending(nonce)
	if entry.is_empty():
		return _change("none")
	pending.erase(entry)
	return _change("reset", entry["_key"])


## Forgets confirmed messages (keeps pending sends and tombstones), e.g. before reloading
## the newest page after too long a gap.
func reset_history() -> void:
	confirmed.clear()
	_by_id.clear()
	loaded = false
	reached_start = false
	newer_missing = false
	loading_older = false
	loading_newer = false
	generation += 1


func _insert_sorted(entry: Dictionary) -> int:
	var id: String = entry["id"]
	var low := 0
	var high := confirmed.size()
	while low < high:
		var middle := (low + high) >> 1
		if Ids.compare(str(confirmed[middle]["id"]), id) < 0:
			low = middle + 1
		else:
			high = middle
	confirmed.insert(low, entry)
	_by_id[id] = entry
	return low


func _pending_index(nonce: String, author_id: String) -> int:
	if nonce == "" or nonce == "<null>":
		return -1
	for i in pending.size():
		if pending[i]["nonce"] == nonce and _author_id(pending[i]) == author_id:
			return i
	return -1


static func _author_id(msg: Dictionary) -> String:
	var author: Variant = msg.get("author")
	return Ids.of((author as Dictionary).get("id")) if author is Dictionary else ""


## True when `incoming` is an older edit than `current` (edited_at null counts as oldest).
static func _is_older_edit(incoming: Dictionary, current: Dictionary) -> bool:
	var new_edit: Variant = incoming.get("edited_at")
	var old_edit: Variant = current.get("edited_at")
	if not old_edit is String:
		return false
	if not new_edit is String:
		return true
	return (new_edit as String) < (old_edit as String)


## True when `source` has a server field whose value is not the one `target` holds.
static func _differs(target: Dictionary, source: Dictionary) -> bool:
	for key: Variant in source:
		if str(key).begins_with("_"):
			continue
		var old: Variant = target.get(key)
		if typeof(old) != typeof(source[key]) or old != source[key]:
			return true
	return false


static func _copy_server_fields(target: Dictionary, source: Dictionary) -> void:
	for key: Variant in source:
		if not str(key).begins_with("_"):
			target[key] = source[key]


static func _change(kind: String, key: Variant = "") -> Dictionary:
	return {"kind": kind, "key": key}
