# gdlint: disable=max-public-methods
## The client's cache of servers, channels (server channels and private ones: DMs and group
## DMs, shown under Home), members, presence, typing, blocks, messages and read states (what
## is unread, mention counts, notification settings: see read_states.gd), and the rules that
## apply gateway events to it (one query method per thing the scenes read, hence more
## than gdlint's 20 public methods). Emits the signals the scenes listen to. Free of
## networking (DataManager adds that), so tests drive it with events directly.
extends Node

signal servers_changed
signal channels_changed(server_id: String)
signal members_changed(server_id: String)
signal messages_changed(channel_id: String, kind: String, key: String)
signal typing_changed(channel_id: String)
signal presence_changed(user_id: String)
signal selection_changed
signal me_changed
## What is unread, or a mention count, or a notification setting changed (`reads`).
signal unread_changed
## A new message mentions you (or is a DM to you) where notifications are on.
signal mentioned(channel_id: String, message: Dictionary)
## Show this message (a jump from a search result): it is in the channel's store now.
signal jump_requested(channel_id: String, message_id: String)
## Something the user should read (e.g. "You were removed from X").
signal notice(text: String, is_error: bool)
## An upload of files to the channel started, progressed, or ended (see `uploads`).
signal upload_changed(channel_id: String)
## Someone's avatar changed (a new URL in `avatar_url`).
signal avatar_changed(user_id: String)
## A message of the channel was pinned or unpinned (CHANNEL_PINS_UPDATE).
signal pins_changed(channel_id: String)
## Someone was blocked or unblocked (`blocked`).
signal blocks_changed

const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Ids := preload("res://scripts/model/ids.gd")
const ChannelMessages := preload("res://scripts/model/channel_messages.gd")
const EmojiData := preload("res://scripts/model/emoji_data.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const ReadStates := preload("res://scripts/model/read_states.gd")

const TYPING_MS := 10000
## `current_server_id` while Home (the DM list) is shown; channels_changed's id for DMs.
const HOME := "@me"

## The signed-in user (Me).
var me := {}
## id -> server (ServerDetail without its channels), in `server_order`.
var servers := {}
var server_order: Array[String] = []
## id -> Channel: server channels and private ones (type "dm" / "group_dm", no server_id,
## `recipients` including you).
var channels := {}
## server_id -> {user_id -> Member}, for servers whose member list was loaded.
var members := {}
## user_id -> "online" | "away" | "dnd" | "offline"
var presence := {}
## server_id -> true for large servers (READY's `large_servers`, or a MEMBER_LIST saying so):
## their presence comes only for the page of the member list the client subscribed to.
var large_servers := {}
## server_id -> the member-list page shown (the last MEMBER_LIST): {"after": String,
## "members": Array of Member (with presence), ascending by user id}.
var member_pages := {}
## Read states, mention counts and notification settings.
var reads := ReadStates.new()
## user_id -> true for the people you blocked (their messages are collapsed).
var blocked := {}
var current_server_id := ""
var current_channel_id := ""
## READY has been received since sign-in (the server list is known).
var ready_received := false
## channel_id -> the upload running or last ended there: {"sent": int, "total": int,
## "names": Array, "state": "sending" | "done" | "failed" | "cancelled", "error": String}.
var uploads := {}

## The emoji the reader reacts with most (the picker shows them first).
var frequent_emoji := EmojiData.new()

## user_id -> their avatar URL ("" for none), learnt from READY, members and messages.
var _avatars := {}

var _stores := {}
## channel_id -> {user_id -> {"username": String, "until": int (ticks ms)}}
var _typing := {}
var _last_channel_of := {}
## server_id -> [[event, data], ...] received while its member list was loading.
var _members_loading := {}
var _replaying := false
## channel_id -> the newest message id seen in a private channel (the DM list's order).
var _activity := {}


func me_id() -> String:
	return Ids.of(me.get("id"))


## The freshest avatar URL known for a user ("" for none): what member and profile events
## said last, else `fallback` (e.g. the one a message carries).
func avatar_url(user_id: String, fallback: Variant = "") -> String:
	if _avatars.has(user_id):
		return str(_avatars[user_id])
	return fallback if fallback is String else ""


## Learns a user's avatar from an object that has one (Member.user, Message.author, Me).
func learn_avatar(user: Dictionary) -> void:
	var user_id := Ids.of(user.get("id"))
	if user_id == "" or not user.has("avatar_url"):
		return
	var url: Variant = user.get("avatar_url")
	var value: String = url if url is String else ""
	if _avatars.get(user_id, null) != value:
		var known := _avatars.has(user_id)
		_avatars[user_id] = value
		if known:
			avatar_changed.emit(user_id)


## The message store of a channel (created on first use).
func store(channel_id: String) -> ChannelMessages:
	if not _stores.has(channel_id):
		_stores[channel_id] = ChannelMessages.new()
	return _stores[channel_id]


func loaded_channel_ids() -> Array[String]:
	var out: Array[String] = []
	for channel_id: String in _stores:
		if (_stores[channel_id] as ChannelMessages).loaded:
			out.append(channel_id)
	return out


func sorted_servers() -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	for server_id in server_order:
		out.append(servers[server_id])
	return out


## A server's channels by position, then id.
func channels_of(server_id: String) -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	for channel: Dictionary in channels.values():
		if channel.get("server_id") == server_id:
			out.append(channel)
	out.sort_custom(_channel_before)
	return out


## Your DMs and group DMs, most recently active first.
func private_channels() -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	for channel: Dictionary in channels.values():
		if PrivateChannels.is_private(channel):
			out.append(channel)
	return PrivateChannels.sorted_by_activity(out, _activity)


func is_private(channel_id: String) -> bool:
	return PrivateChannels.is_private(channels.get(channel_id, {}))


## Home (the DM list) is shown rather than a server.
func is_home() -> bool:
	return current_server_id == HOME


func is_blocked(user_id: String) -> bool:
	return blocked.has(user_id)


## The server a channel belongs to ("" for a DM or group DM).
func server_of(channel_id: String) -> String:
	return Ids.of(channels.get(channel_id, {}).get("server_id"))


## The channel shows as unread (bold, a dot): new messages, and its settings want them seen.
func shows_unread(channel_id: String) -> bool:
	return reads.shows_unread(server_of(channel_id), channel_id)


## The channel's mention badge (0: none).
func badge(channel_id: String) -> int:
	return reads.badge(server_of(channel_id), channel_id)


## A server's (or HOME's: the DMs') channels, for their totals.
func _channels_under(server_id: String) -> Array[Dictionary]:
	return private_channels() if server_id == HOME else channels_of(server_id)


## The mentions waiting in a server (or under HOME).
func server_badge(server_id: String) -> int:
	var total := 0
	for channel in _channels_under(server_id):
		total += badge(str(channel["id"]))
	return total


## Whether any channel of a server (or a DM, for HOME) shows as unread.
func server_shows_unread(server_id: String) -> bool:
	for channel in _channels_under(server_id):
		if shows_unread(str(channel["id"])):
			return true
	return false


## Every mention waiting (the window title's number).
func total_mentions() -> int:
	var total := server_badge(HOME)
	for server_id in server_order:
		total += server_badge(server_id)
	return total


## Messages fetched after a gap in the gateway (a backfill): counted as if they had come
## live (those seen already count nothing), oldest first.
func count_missed(channel_id: String, page: Array) -> void:
	var fresh: Array = page.filter(func(m: Variant) -> bool: return m is Dictionary)
	fresh.sort_custom(
		func(a: Dictionary, b: Dictionary) -> bool:
			return Ids.compare(Ids.of(a.get("id")), Ids.of(b.get("id"))) < 0
	)
	var changed := false
	for msg: Dictionary in fresh:
		var author_id := Ids.of(msg.get("author", {}).get("id"))
		var read := reads.on_message(msg, me_id(), is_private(channel_id), blocked.has(author_id))
		changed = changed or bool(read["changed"])
	if changed:
		unread_changed.emit()


## Marks a channel read here (up to `message_id`, else its newest message). Returns the id to
## acknowledge to the server, or "" when it was read already.
func mark_read(channel_id: String, message_id := "") -> String:
	var newest := message_id
	if newest == "":
		var held := store(channel_id).newest_id() if _stores.has(channel_id) else ""
		newest = reads.last_message(channel_id)
		if held != "" and Ids.compare(held, newest) > 0:
			newest = held
	var acked := reads.mark_read(channel_id, newest)
	if acked != "":
		unread_changed.emit()
	return acked


## The people of a channel (public user objects): a DM's recipients, or the server's members
## the client holds (the page shown, in a large server). For `@` autocomplete.
func people_of(channel_id: String) -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	var channel: Dictionary = channels.get(channel_id, {})
	if PrivateChannels.is_private(channel):
		for user: Variant in channel.get("recipients", []):
			if user is Dictionary:
				out.append(user)
		return out
	var server_id := server_of(channel_id)
	var held: Array = (members.get(server_id, {}) as Dictionary).values()
	if held.is_empty():
		held = member_pages.get(server_id, {}).get("members", [])
	for member: Variant in held:
		if member is Dictionary and (member as Dictionary).get("user") is Dictionary:
			out.append((member as Dictionary)["user"])
	return out


## The id of the newest message known in a channel ("" when none).
func last_activity_id(channel_id: String) -> String:
	return PrivateChannels.activity_id(
		channels.get(channel_id, {}), str(_activity.get(channel_id, ""))
	)


func my_role(server_id: String) -> String:
	return str(servers.get(server_id, {}).get("role", "member"))


func status_of(user_id: String) -> String:
	return str(presence.get(user_id, "offline"))


## Names of the people typing in a channel now (never yourself).
func typing_names(channel_id: String) -> Array[String]:
	var out: Array[String] = []
	var now := Time.get_ticks_msec()
	var by_user: Dictionary = _typing.get(channel_id, {})
	for user_id: String in by_user:
		if int(by_user[user_id]["until"]) > now:
			out.append(str(by_user[user_id]["username"]))
	out.sort()
	return out


func select_server(server_id: String) -> void:
	if server_id == HOME:
		select_home()
		return
	if not servers.has(server_id):
		server_id = server_order[0] if not server_order.is_empty() else ""
	current_server_id = server_id
	var channel_id: String = _last_channel_of.get(server_id, "")
	if not channels.has(channel_id):
		var list := channels_of(server_id)
		channel_id = str(list[0]["id"]) if not list.is_empty() else ""
	_set_channel(channel_id)


func select_channel(channel_id: String) -> void:
	if channels.has(channel_id):
		current_server_id = _home_of(channels[channel_id])
	_set_channel(channel_id)


## Shows Home: the DM open last there, else the most recently active one (none when you have
## no DMs).
func select_home() -> void:
	current_server_id = HOME
	var channel_id: String = _last_channel_of.get(HOME, "")
	if not channels.has(channel_id):
		var list := private_channels()
		channel_id = Ids.of(list[0].get("id")) if not list.is_empty() else ""
	_set_channel(channel_id)


## Replaces the private channels with a fresh list of them (GET /users/@me/channels).
func set_private_channels(list: Array) -> void:
	for channel_id: String in channels.keys():
		if PrivateChannels.is_private(channels[channel_id]):
			channels.erase(channel_id)
	for channel: Variant in list:
		if channel is Dictionary:
			_put_channel(channel)
	_forget_lost_channels()
	channels_changed.emit(HOME)
	if is_home() and not channels.has(current_channel_id):
		select_home()


## A member list request for the server has been sent: member and presence events that
## arrive before its answer are kept and applied again on top of it (the answer may predate
## them).
func begin_members_load(server_id: String) -> void:
	_members_loading[server_id] = []


## Replaces a server's member list (from REST), then replays the events that came meanwhile.
func set_members(server_id: String, list: Array) -> void:
	var by_user := {}
	for member: Variant in list:
		if member is Dictionary:
			var user_id := Ids.of(member.get("user", {}).get("id"))
			by_user[user_id] = member
			learn_avatar(member.get("user", {}))
			if member.has("presence"):
				presence[user_id] = member["presence"]
	members[server_id] = by_user
	var replay: Array = _members_loading.get(server_id, [])
	_members_loading.erase(server_id)
	_replaying = true  # counts were already adjusted when the events first came
	for event: Array in replay:
		apply_dispatch(event[0], event[1])
	_replaying = false
	members_changed.emit(server_id)


func emit_messages(channel_id: String, change: Dictionary) -> void:
	if change["kind"] != "none":
		messages_changed.emit(channel_id, change["kind"], change["key"])


## Forgets everything (sign-out).
func clear() -> void:
	me = {}
	servers.clear()
	server_order.clear()
	channels.clear()
	members.clear()
	presence.clear()
	large_servers.clear()
	member_pages.clear()
	reads = ReadStates.new()
	blocked.clear()
	_activity.clear()
	_stores.clear()
	_typing.clear()
	_last_channel_of.clear()
	_members_loading.clear()
	_avatars.clear()
	uploads.clear()
	current_server_id = ""
	current_channel_id = ""
	ready_received = false
	servers_changed.emit()
	selection_changed.emit()


## Applies one gateway event (or a REST answer shaped like one) to the cache.
func apply_dispatch(event: String, data: Variant) -> void:
	var d: Dictionary = data if data is Dictionary else {}
	match event:
		Protocol.EVENT_READY:
			_apply_ready(d)
		Protocol.EVENT_MESSAGE_CREATE:
			_apply_message_create(d)
		Protocol.EVENT_MESSAGE_UPDATE:
			var channel_id := Ids.of(d.get("channel_id"))
			emit_messages(channel_id, store(channel_id).apply_update(d))
		Protocol.EVENT_MESSAGE_DELETE:
			var channel_id := Ids.of(d.get("channel_id"))
			emit_messages(channel_id, store(channel_id).remove(Ids.of(d.get("id"))))
		Protocol.EVENT_CHANNEL_CREATE, Protocol.EVENT_CHANNEL_UPDATE:
			_put_channel(d)
			channels_changed.emit(_home_of(d))
		Protocol.EVENT_CHANNEL_RECIPIENT_ADD, Protocol.EVENT_CHANNEL_RECIPIENT_REMOVE:
			_apply_recipient(d, event == Protocol.EVENT_CHANNEL_RECIPIENT_ADD)
		Protocol.EVENT_USER_BLOCK_ADD:
			var user: Variant = d.get("user")
			var user_id := Ids.of(user.get("id")) if user is Dictionary else ""
			if user_id != "" and not blocked.has(user_id):
				blocked[user_id] = true
				blocks_changed.emit()
		Protocol.EVENT_USER_BLOCK_REMOVE:
			if blocked.erase(Ids.of(d.get("user_id"))):
				blocks_changed.emit()
		Protocol.EVENT_CHANNEL_DELETE:
			_remove_channel(Ids.of(d.get("id")))
		Protocol.EVENT_SERVER_CREATE:
			_put_server(d)
			servers_changed.emit()
			channels_changed.emit(Ids.of(d.get("id")))
			if current_server_id == "":
				select_server(Ids.of(d.get("id")))
		Protocol.EVENT_SERVER_UPDATE:
			_update_server(d)
		Protocol.EVENT_SERVER_DELETE:
			_remove_server(Ids.of(d.get("id")))
		Protocol.EVENT_MEMBER_ADD, Protocol.EVENT_MEMBER_UPDATE:
			_remember_while_loading(event, d)
			_put_member(d, event == Protocol.EVENT_MEMBER_ADD)
		Protocol.EVENT_MEMBER_REMOVE:
			_remember_while_loading(event, d)
			_remove_member(d)
		Protocol.EVENT_PRESENCE_UPDATE:
			_remember_while_loading(event, d)
			var user_id := Ids.of(d.get("user_id"))
			presence[user_id] = str(d.get("status", "offline"))
			presence_changed.emit(user_id)
		Protocol.EVENT_TYPING_START:
			_apply_typing(d)
		Protocol.EVENT_USER_UPDATE:
			me = d
			learn_avatar(d)
			me_changed.emit()
		Protocol.EVENT_MEMBER_LIST:
			_apply_member_list(d)
		Protocol.EVENT_MESSAGE_REACTION_ADD, Protocol.EVENT_MESSAGE_REACTION_REMOVE:
			var kind := "add" if event == Protocol.EVENT_MESSAGE_REACTION_ADD else "remove"
			_apply_reaction(d, kind, Ids.of(d.get("user_id")) == me_id())
		Protocol.EVENT_MESSAGE_REACTION_REMOVE_EMOJI:
			_apply_reaction(d, "clear_emoji", false)
		Protocol.EVENT_MESSAGE_REACTION_REMOVE_ALL:
			_apply_reaction(d, "clear_all", false)
		Protocol.EVENT_CHANNEL_PINS_UPDATE:
			pins_changed.emit(Ids.of(d.get("channel_id")))
		Protocol.EVENT_MESSAGE_ACK:
			var acked := reads.on_ack(
				Ids.of(d.get("channel_id")),
				Ids.of(d.get("message_id")),
				int(d.get("mention_count", 0))
			)
			if acked:
				unread_changed.emit()
		Protocol.EVENT_NOTIFICATION_SETTINGS_UPDATE:
			reads.set_setting(d)
			unread_changed.emit()


func _process(_delta: float) -> void:
	var now := Time.get_ticks_msec()
	for channel_id: String in _typing.keys():
		var by_user: Dictionary = _typing[channel_id]
		for user_id: String in by_user.keys():
			if int(by_user[user_id]["until"]) <= now:
				by_user.erase(user_id)
				typing_changed.emit(channel_id)
		if by_user.is_empty():
			_typing.erase(channel_id)


## Whether the server's member list is shown a page at a time (its presence is lazy).
func is_large(server_id: String) -> bool:
	return large_servers.has(server_id)


## After a member event: whether the page shown of this large server should be asked for again
## (a newcomer may belong on it: it is the last page, not full yet; or someone on it left).
func member_page_stale(event: String, d: Dictionary) -> bool:
	var server_id := Ids.of(d.get("server_id"))
	if not is_large(server_id) or not member_pages.has(server_id):
		return false
	var page: Dictionary = member_pages[server_id]
	var shown: Array = page.get("members", [])
	if event == Protocol.EVENT_MEMBER_ADD:
		return shown.size() < Protocol.MEMBER_LIST_PAGE
	if event == Protocol.EVENT_MEMBER_REMOVE:
		var user_id := Ids.of(d.get("user_id"))
		for member: Dictionary in shown:
			if Ids.of(member.get("user", {}).get("id")) == user_id:
				return true
	return false


func _apply_member_list(d: Dictionary) -> void:
	var server_id := Ids.of(d.get("server_id"))
	if not servers.has(server_id):
		return
	if d.get("large", false):
		large_servers[server_id] = true
	else:
		large_servers.erase(server_id)
	var shown: Array = []
	for member: Variant in d.get("members", []):
		if member is Dictionary:
			var user_id := Ids.of(member.get("user", {}).get("id"))
			learn_avatar(member.get("user", {}))
			presence[user_id] = str(member.get("presence", "offline"))
			shown.append(member)
	member_pages[server_id] = {"after": Ids.of(d.get("after")), "members": shown}
	members_changed.emit(server_id)


func _remember_while_loading(event: String, d: Dictionary) -> void:
	var server_id := Ids.of(d.get("server_id"))
	if _members_loading.has(server_id):
		(_members_loading[server_id] as Array).append([event, d])


func _apply_ready(d: Dictionary) -> void:
	ready_received = true
	me = d.get("user", {})
	learn_avatar(me)
	servers.clear()
	server_order.clear()
	channels.clear()
	members.clear()
	presence.clear()
	large_servers.clear()
	member_pages.clear()
	reads.reset(d.get("read_states", []), d.get("notification_settings", {}))
	for server: Variant in d.get("servers", []):
		if server is Dictionary:
			_put_server(server)
	for server_id: Variant in d.get("large_servers", []):
		large_servers[Ids.of(server_id)] = true
	for channel: Variant in d.get("private_channels", []):
		if channel is Dictionary:
			_put_channel(channel)
	blocked.clear()
	for user_id: Variant in d.get("blocked_user_ids", []):
		if Ids.of(user_id) != "":
			blocked[Ids.of(user_id)] = true
	for entry: Variant in d.get("presences", []):
		if entry is Dictionary:
			presence[Ids.of(entry.get("user_id"))] = str(entry.get("status", "offline"))
	_forget_lost_channels()
	me_changed.emit()
	servers_changed.emit()
	channels_changed.emit(HOME)
	unread_changed.emit()
	blocks_changed.emit()
	if is_home():
		select_home()
	elif servers.has(current_server_id) and channels.has(current_channel_id):
		select_channel(current_channel_id)
	else:
		select_server(current_server_id)


## Drops the messages and activity of channels no longer held.
func _forget_lost_channels() -> void:
	for channel_id: String in _stores.keys():
		if not channels.has(channel_id):
			_stores.erase(channel_id)
	for channel_id: String in _activity.keys():
		if not channels.has(channel_id):
			_activity.erase(channel_id)


func _apply_message_create(d: Dictionary) -> void:
	var channel_id := Ids.of(d.get("channel_id"))
	var author_id := Ids.of(d.get("author", {}).get("id"))
	learn_avatar(d.get("author", {}))
	emit_messages(channel_id, store(channel_id).upsert(d))
	if _typing.has(channel_id) and (_typing[channel_id] as Dictionary).erase(author_id):
		typing_changed.emit(channel_id)
	_note_activity(channel_id, Ids.of(d.get("id")))
	if not channels.has(channel_id):
		return
	var read := reads.on_message(d, me_id(), is_private(channel_id), blocked.has(author_id))
	if read["changed"]:
		unread_changed.emit()
	if read["mention"] and reads.notifies(server_of(channel_id), channel_id):
		mentioned.emit(channel_id, d)


func _apply_reaction(d: Dictionary, kind: String, is_me: bool) -> void:
	var channel_id := Ids.of(d.get("channel_id"))
	if not _stores.has(channel_id):
		return
	var change := store(channel_id).apply_reaction(
		Ids.of(d.get("message_id")), kind, str(d.get("emoji", "")), is_me
	)
	emit_messages(channel_id, change)


func _apply_typing(d: Dictionary) -> void:
	var user_id := Ids.of(d.get("user_id"))
	var channel_id := Ids.of(d.get("channel_id"))
	if user_id == me_id() or channel_id == "":
		return
	if not _typing.has(channel_id):
		_typing[channel_id] = {}
	_typing[channel_id][user_id] = {
		"username": str(d.get("username", "Someone")), "until": Time.get_ticks_msec() + TYPING_MS
	}
	typing_changed.emit(channel_id)


func _put_server(d: Dictionary) -> void:
	var server_id := Ids.of(d.get("id"))
	if server_id == "":
		return
	var entry := d.duplicate(true)
	entry.erase("channels")
	if servers.has(server_id) and not entry.has("role"):
		entry["role"] = servers[server_id].get("role", "member")
	servers[server_id] = entry
	if server_id not in server_order:
		server_order.append(server_id)
	for channel: Variant in d.get("channels", []):
		if channel is Dictionary:
			_put_channel(channel)


func _update_server(d: Dictionary) -> void:
	var server_id := Ids.of(d.get("id"))
	if not servers.has(server_id):
		return
	var entry: Dictionary = servers[server_id]
	for key: Variant in d:
		if key != "channels":
			entry[key] = d[key]
	servers_changed.emit()


func _remove_server(server_id: String) -> void:
	if not servers.has(server_id):
		return
	for channel in channels_of(server_id):
		_stores.erase(channel["id"])
		reads.forget(channel["id"])
		channels.erase(channel["id"])
	reads.forget_server(server_id)
	servers.erase(server_id)
	server_order.erase(server_id)
	members.erase(server_id)
	large_servers.erase(server_id)
	member_pages.erase(server_id)
	_last_channel_of.erase(server_id)
	servers_changed.emit()
	unread_changed.emit()
	if current_server_id == server_id:
		select_server("")


func _put_channel(d: Dictionary) -> void:
	var channel_id := Ids.of(d.get("id"))
	if channel_id == "":
		return
	channels[channel_id] = d.duplicate(true)
	reads.learn_channel(d)
	for user: Variant in d.get("recipients", []):
		if user is Dictionary:
			learn_avatar(user)


## Where a channel is listed: its server's id, or HOME for a DM or group DM.
static func _home_of(channel: Dictionary) -> String:
	return HOME if PrivateChannels.is_private(channel) else Ids.of(channel.get("server_id"))


## A message in a private channel moves it up the DM list.
func _note_activity(channel_id: String, message_id: String) -> void:
	if message_id == "" or not is_private(channel_id):
		return
	if Ids.compare(message_id, last_activity_id(channel_id)) > 0:
		_activity[channel_id] = message_id
		channels_changed.emit(HOME)


## CHANNEL_RECIPIENT_ADD / REMOVE {channel_id, user}: someone joined or left a group DM (you
## leaving, or being removed, comes as CHANNEL_DELETE).
func _apply_recipient(d: Dictionary, added: bool) -> void:
	var channel_id := Ids.of(d.get("channel_id"))
	var user: Variant = d.get("user")
	if not channels.has(channel_id) or not user is Dictionary:
		return
	var user_id := Ids.of((user as Dictionary).get("id"))
	if user_id == me_id() and not added:
		_remove_channel(channel_id)
		return
	var channel: Dictionary = channels[channel_id]
	var recipients: Array = channel.get("recipients", [])
	var kept: Array = []
	for entry: Variant in recipients:
		if entry is Dictionary and Ids.of((entry as Dictionary).get("id")) != user_id:
			kept.append(entry)
	if added:
		kept.append((user as Dictionary).duplicate(true))
		learn_avatar(user)
	channel["recipients"] = kept
	channels_changed.emit(HOME)
	members_changed.emit(HOME)


func _remove_channel(channel_id: String) -> void:
	if not channels.has(channel_id):
		return
	var home := _home_of(channels[channel_id])
	channels.erase(channel_id)
	_stores.erase(channel_id)
	_activity.erase(channel_id)
	var was_unread := reads.is_unread(channel_id) or reads.mention_count(channel_id) > 0
	reads.forget(channel_id)
	if was_unread:
		unread_changed.emit()
	channels_changed.emit(home)
	if current_channel_id == channel_id:
		select_server(home)


func _put_member(d: Dictionary, is_new: bool) -> void:
	var server_id := Ids.of(d.get("server_id"))
	var user_id := Ids.of(d.get("user", {}).get("id"))
	if not servers.has(server_id) or user_id == "":
		return
	learn_avatar(d.get("user", {}))
	var known: bool = members.has(server_id) and (members[server_id] as Dictionary).has(user_id)
	if members.has(server_id):
		var entry := d.duplicate(true)
		if known and not entry.has("presence"):
			entry["presence"] = members[server_id][user_id].get("presence", "offline")
		members[server_id][user_id] = entry
	if is_new and not known and not _replaying:
		servers[server_id]["member_count"] = int(servers[server_id].get("member_count", 0)) + 1
	if user_id == me_id() and d.has("role"):
		servers[server_id]["role"] = d["role"]
		servers[server_id]["communication_disabled_until"] = d.get("communication_disabled_until")
		servers_changed.emit()
		channels_changed.emit(server_id)
	members_changed.emit(server_id)


func _remove_member(d: Dictionary) -> void:
	var server_id := Ids.of(d.get("server_id"))
	var user_id := Ids.of(d.get("user_id"))
	if not servers.has(server_id):
		return
	if members.has(server_id):
		(members[server_id] as Dictionary).erase(user_id)
	if not _replaying:
		var count := int(servers[server_id].get("member_count", 1))
		servers[server_id]["member_count"] = maxi(count - 1, 0)
	if user_id == me_id() and d.get("kicked", false) and not _replaying:
		notice.emit("You were removed from %s." % servers[server_id].get("name", "a server"), true)
	members_changed.emit(server_id)


func _set_channel(channel_id: String) -> void:
	current_channel_id = channel_id
	if channel_id != "":
		_last_channel_of[current_server_id] = channel_id
	selection_changed.emit()


static func _channel_before(a: Dictionary, b: Dictionary) -> bool:
	var pa := int(a.get("position", 0))
	var pb := int(b.get("position", 0))
	if pa != pb:
		return pa < pb
	return Ids.compare(str(a["id"]), str(b["id"])) < 0
