## Direct messages and group DMs ("private channels": no server, a list of recipients that
## includes you): how one is named and pictured, when it was last active, the order of the DM
## list, who a group can be made of, and the limits the server applies. No state, no network.
extends RefCounted

const Ids := preload("res://scripts/model/ids.gd")

const TYPE_TEXT := "text"
const TYPE_DM := "dm"
const TYPE_GROUP := "group_dm"
## A group DM holds at most this many people, you included (so 9 others).
const GROUP_MAX := 10
const GROUP_NAME_MAX := 100


static func is_private(channel: Dictionary) -> bool:
	return str(channel.get("type", TYPE_TEXT)) in [TYPE_DM, TYPE_GROUP]


static func is_group(channel: Dictionary) -> bool:
	return str(channel.get("type", "")) == TYPE_GROUP


## The recipients other than you (the server sends everyone the same list, you included).
static func others(channel: Dictionary, me_id: String) -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	for user: Variant in channel.get("recipients", []):
		if user is Dictionary and Ids.of((user as Dictionary).get("id")) != me_id:
			out.append(user)
	return out


## Every recipient's id, you included.
static func recipient_ids(channel: Dictionary) -> Array[String]:
	var out: Array[String] = []
	for user: Variant in channel.get("recipients", []):
		if user is Dictionary:
			out.append(Ids.of((user as Dictionary).get("id")))
	return out


## What the DM list and the chat header call it: the other person of a DM; a group's name, or
## its other members' names ("alice, bob and 3 others") when it has none.
static func display_name(channel: Dictionary, me_id: String) -> String:
	var people := others(channel, me_id)
	if not is_group(channel):
		return str(people[0].get("username", "?")) if not people.is_empty() else "Unknown user"
	var named := str(channel.get("name", "")).strip_edges()
	if named != "":
		return named
	if people.is_empty():
		return "Just you"
	var names: PackedStringArray = []
	for user in people:
		names.append(str(user.get("username", "?")))
	names.sort()
	if names.size() <= 3:
		return ", ".join(names)
	return "%s and %d others" % [", ".join(names.slice(0, 2)), names.size() - 2]


## The user whose avatar pictures the entry: the other person of a DM ({} for a group).
static func picture_user(channel: Dictionary, me_id: String) -> Dictionary:
	if is_group(channel):
		return {}
	var people := others(channel, me_id)
	return people[0] if not people.is_empty() else {}


## The other person of a one-to-one DM ("" for a group or an empty DM).
static func other_id(channel: Dictionary, me_id: String) -> String:
	var user := picture_user(channel, me_id)
	return Ids.of(user.get("id"))


## The newest id that says when the channel was last active: its last message (the channel's
## `last_message_id`, or `seen`, the newest message the client saw there), else the channel's
## own id (when it was opened).
static func activity_id(channel: Dictionary, seen := "") -> String:
	var newest := Ids.of(channel.get("id"))
	for candidate: String in [Ids.of(channel.get("last_message_id")), seen]:
		if candidate != "" and Ids.compare(candidate, newest) > 0:
			newest = candidate
	return newest


## Private channels, most recently active first (`seen`: channel id -> newest message id the
## client saw there); ties by id, newest first.
static func sorted_by_activity(channels: Array[Dictionary], seen: Dictionary) -> Array[Dictionary]:
	var keyed: Array = []
	for channel in channels:
		var channel_id := Ids.of(channel.get("id"))
		keyed.append([activity_id(channel, str(seen.get(channel_id, ""))), channel_id, channel])
	keyed.sort_custom(
		func(a: Array, b: Array) -> bool:
			var by_time := Ids.compare(a[0], b[0])
			if by_time != 0:
				return by_time > 0
			return Ids.compare(a[1], b[1]) > 0
	)
	var out: Array[Dictionary] = []
	for entry: Array in keyed:
		out.append(entry[2])
	return out


## The one-to-one DM you have with `user_id` among `channels`, or "".
static func find_dm(channels: Array[Dictionary], user_id: String, me_id: String) -> String:
	for channel in channels:
		if not is_group(channel) and is_private(channel) and other_id(channel, me_id) == user_id:
			return Ids.of(channel.get("id"))
	return ""


## The people a group can be made of: everyone you share a server with (the member lists the
## client holds, `members`: server_id -> {user_id -> Member}; the pages of large servers,
## `pages`: server_id -> {"members": [...]}) and the people of your DMs, without you, bots or
## the ids in `leave_out`. Public user objects, by name.
static func candidates(
	members: Dictionary,
	pages: Dictionary,
	channels: Array[Dictionary],
	me_id: String,
	leave_out: Array[String] = []
) -> Array[Dictionary]:
	var by_id := {}
	for by_user: Variant in members.values():
		for member: Variant in (by_user as Dictionary).values():
			_add_candidate(by_id, (member as Dictionary).get("user"))
	for page: Variant in pages.values():
		for member: Variant in (page as Dictionary).get("members", []):
			if member is Dictionary:
				_add_candidate(by_id, (member as Dictionary).get("user"))
	for channel in channels:
		for user in others(channel, me_id):
			_add_candidate(by_id, user)
	by_id.erase(me_id)
	for user_id in leave_out:
		by_id.erase(user_id)
	var out: Array[Dictionary] = []
	for user: Dictionary in by_id.values():
		out.append(user)
	out.sort_custom(
		func(a: Dictionary, b: Dictionary) -> bool:
			return str(a.get("username", "")).to_lower() < str(b.get("username", "")).to_lower()
	)
	return out


static func _add_candidate(by_id: Dictionary, user: Variant) -> void:
	if not user is Dictionary:
		return
	var user_id := Ids.of((user as Dictionary).get("id"))
	if user_id != "" and (user as Dictionary).get("bot", false) != true:
		by_id[user_id] = user


## What is wrong with a group of `picked` other people joining a group that has `existing`
## people already (0 for a new group: you are its first), or "".
static func group_problem(picked: int, existing := 1) -> String:
	if picked <= 0:
		return "Pick at least one person."
	var room := GROUP_MAX - existing
	if room <= 0:
		return "This group is full: a group DM holds at most %d people." % GROUP_MAX
	if picked > room:
		var what := (
			"A group DM holds you and at most %d others" % (GROUP_MAX - 1)
			if existing <= 1
			else "This group has room for %d more" % room
		)
		return "%s: you picked %d. Remove %d." % [what, picked, picked - room]
	return ""


## What is wrong with a group name ("" for none: a group may have no name), or "".
static func group_name_problem(text: String) -> String:
	if text.strip_edges().length() > GROUP_NAME_MAX:
		return "A group name can be at most %d characters." % GROUP_NAME_MAX
	return ""
