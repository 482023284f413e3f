## What you have read and what you want to hear about: per channel the last message read
## (`last_read_id`), the newest message known, and how many messages since then mention you
## (in a DM: every message by someone else); per server and channel the notification level
## ("all", "mentions", "nothing") and a mute end. READY sets it all (`reset`), MESSAGE_CREATE,
## MESSAGE_ACK and NOTIFICATION_SETTINGS_UPDATE keep it current, and the lists ask it what to
## show: bold, a mention badge, or nothing. No network, no signals (DataState emits them).
extends RefCounted

const Ids := preload("res://scripts/model/ids.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")

const LEVEL_ALL := "all"
const LEVEL_MENTIONS := "mentions"
const LEVEL_NOTHING := "nothing"
const LEVELS: Array[String] = ["all", "mentions", "nothing"]
const LEVEL_LABELS := {"all": "All messages", "mentions": "Only @mentions", "nothing": "Nothing"}
## The mute choices of the notification settings: [label, seconds] (0: not muted).
const MUTE_CHOICES := [
	["Not muted", 0],
	["For 15 minutes", 900],
	["For 1 hour", 3600],
	["For 8 hours", 28800],
	["For 24 hours", 86400],
	["For a week", 604800],
]
const APP_TITLE := "Concord"

## channel_id -> the last message read ("" when never read).
var _last_read := {}
## channel_id -> the newest message known there.
var _last_message := {}
## channel_id -> messages after the last read one that mention you.
var _mentions := {}
## server_id -> {"level": String, "muted_until": String or null}
var _server_settings := {}
## channel_id -> {"level": String or null (follow the server), "muted_until": String or null}
var _channel_settings := {}


## READY: every channel's read state ([{channel_id, last_read_id, mention_count}]) and the
## notification settings ({"servers": [...], "channels": [...]}); what was known is dropped.
func reset(read_states: Variant, settings: Variant) -> void:
	_last_read.clear()
	_mentions.clear()
	_server_settings.clear()
	_channel_settings.clear()
	var states: Array = read_states if read_states is Array else []
	for entry: Variant in states:
		if entry is Dictionary:
			var channel_id := Ids.of((entry as Dictionary).get("channel_id"))
			if channel_id != "":
				_last_read[channel_id] = Ids.of((entry as Dictionary).get("last_read_id"))
				_mentions[channel_id] = maxi(int((entry as Dictionary).get("mention_count", 0)), 0)
	var all: Dictionary = settings if settings is Dictionary else {}
	for entry: Variant in all.get("servers", []):
		if entry is Dictionary:
			set_setting(entry)
	for entry: Variant in all.get("channels", []):
		if entry is Dictionary:
			set_setting(entry)


## A channel object (READY, CHANNEL_CREATE / UPDATE): its `last_message_id`, never backwards.
func learn_channel(channel: Dictionary) -> void:
	_advance(_last_message, Ids.of(channel.get("id")), Ids.of(channel.get("last_message_id")))


func forget(channel_id: String) -> void:
	_last_read.erase(channel_id)
	_last_message.erase(channel_id)
	_mentions.erase(channel_id)
	_channel_settings.erase(channel_id)


func forget_server(server_id: String) -> void:
	_server_settings.erase(server_id)


func last_read(channel_id: String) -> String:
	return str(_last_read.get(channel_id, ""))


func last_message(channel_id: String) -> String:
	return str(_last_message.get(channel_id, ""))


func mention_count(channel_id: String) -> int:
	return int(_mentions.get(channel_id, 0))


## Whether the channel has a message newer than the last one read.
func is_unread(channel_id: String) -> bool:
	var newest := last_message(channel_id)
	return newest != "" and Ids.compare(newest, last_read(channel_id)) > 0


## A message arrived (MESSAGE_CREATE). Yours marks the channel read (the server does the same:
## posting reads the channel); a newer one by someone else makes it unread and counts when it
## mentions you (every one in a DM). A message seen before (a replay, the REST answer of a
## send) counts once. `ignored`: the author is blocked (nothing counts).
## Returns {"changed": bool (unread or count changed), "mention": bool (a new mention)}.
func on_message(msg: Dictionary, me_id: String, is_private: bool, ignored := false) -> Dictionary:
	var channel_id := Ids.of(msg.get("channel_id"))
	var id := Ids.of(msg.get("id"))
	var out := {"changed": false, "mention": false}
	if channel_id == "" or id == "" or Ids.compare(id, last_message(channel_id)) <= 0:
		return out
	var was_unread := is_unread(channel_id)
	_last_message[channel_id] = id
	var author_id := Ids.of(msg.get("author", {}).get("id"))
	if author_id == me_id:
		var counted := mention_count(channel_id)
		_last_read[channel_id] = id
		_mentions[channel_id] = 0
		out["changed"] = was_unread or counted > 0
		return out
	if ignored:
		# Not unread for it either: what was read stays read.
		if not was_unread:
			_last_read[channel_id] = id
		return out
	out["changed"] = not was_unread
	if is_private or mentions_me(msg, me_id):
		_mentions[channel_id] = mention_count(channel_id) + 1
		out["changed"] = true
		out["mention"] = true
	return out


## MESSAGE_ACK {channel_id, message_id, mention_count} (read on one of your devices, or the
## answer to your own ack): the last read never moves backwards. Returns whether it changed.
func on_ack(channel_id: String, message_id: String, count: int) -> bool:
	if channel_id == "" or message_id == "":
		return false
	var before := [last_read(channel_id), mention_count(channel_id)]
	if Ids.compare(message_id, last_read(channel_id)) > 0:
		_last_read[channel_id] = message_id
		_advance(_last_message, channel_id, message_id)
		_mentions[channel_id] = maxi(count, 0)
	elif message_id == last_read(channel_id):
		_mentions[channel_id] = maxi(count, 0)
	return before != [last_read(channel_id), mention_count(channel_id)]


## Marks the channel read up to `message_id` (its newest known when ""), here and now.
## Returns the id to acknowledge to the server, or "" when nothing was unread.
func mark_read(channel_id: String, message_id := "") -> String:
	var newest := message_id if message_id != "" else last_message(channel_id)
	if newest == "" or Ids.compare(newest, last_read(channel_id)) <= 0:
		if mention_count(channel_id) > 0 and newest != "":
			_mentions[channel_id] = 0
			return newest
		return ""
	_advance(_last_message, channel_id, newest)
	_last_read[channel_id] = newest
	_mentions[channel_id] = 0
	return newest


## A notification settings entry (READY, the PATCH answer, NOTIFICATION_SETTINGS_UPDATE):
## {"server_id" | "channel_id", "level", "muted_until"}.
func set_setting(entry: Dictionary) -> void:
	var muted: Variant = entry.get("muted_until")
	var until: Variant = muted if muted is String and muted != "" else null
	var server_id := Ids.of(entry.get("server_id"))
	var channel_id := Ids.of(entry.get("channel_id"))
	if channel_id != "":
		var level: Variant = entry.get("level")
		_channel_settings[channel_id] = {
			"level": level if level is String and level in LEVELS else null,
			"muted_until": until,
		}
	elif server_id != "":
		var level := str(entry.get("level", LEVEL_ALL))
		_server_settings[server_id] = {
			"level": level if level in LEVELS else LEVEL_ALL, "muted_until": until
		}


## A server's settings: {"level": String, "muted_until": String or null} (defaults: all, null).
func server_setting(server_id: String) -> Dictionary:
	return _server_settings.get(server_id, {"level": LEVEL_ALL, "muted_until": null})


## A channel's own settings: {"level": String or null (follow the server), "muted_until"}.
func channel_setting(channel_id: String) -> Dictionary:
	return _channel_settings.get(channel_id, {"level": null, "muted_until": null})


## The level that applies to a channel: its own, else its server's ("all" by default).
func level_of(server_id: String, channel_id: String) -> String:
	var own: Variant = channel_setting(channel_id).get("level")
	if own is String:
		return own
	return str(server_setting(server_id).get("level", LEVEL_ALL))


## Whether the channel, or its server, is muted at `now` (Unix seconds; -1: the clock).
func is_muted(server_id: String, channel_id: String, now := -1.0) -> bool:
	var at := Time.get_unix_time_from_system() if now < 0.0 else now
	for setting: Dictionary in [channel_setting(channel_id), server_setting(server_id)]:
		var until: Variant = setting.get("muted_until")
		if until is String and TimeFormat.parse_iso(until) > at:
			return true
	return false


## The channel shows as unread (bold, with a dot): it is, its level is "all", not muted.
func shows_unread(server_id: String, channel_id: String, now := -1.0) -> bool:
	return (
		is_unread(channel_id)
		and level_of(server_id, channel_id) == LEVEL_ALL
		and not is_muted(server_id, channel_id, now)
	)


## The mention badge of a channel: its count, unless its level is "nothing" (a muted channel
## still shows who mentioned you; it only stops asking for attention).
func badge(server_id: String, channel_id: String) -> int:
	if level_of(server_id, channel_id) == LEVEL_NOTHING:
		return 0
	return mention_count(channel_id)


## Whether a new mention in the channel asks for your attention (window flash).
func notifies(server_id: String, channel_id: String, now := -1.0) -> bool:
	return (
		level_of(server_id, channel_id) != LEVEL_NOTHING
		and not is_muted(server_id, channel_id, now)
	)


## Whether a message mentions `me_id`: by id (the server's `mentions`, or `<@id>` in the text
## when it sent none) or @everyone / @here (`mention_everyone`, only honoured for moderators).
static func mentions_me(msg: Dictionary, me_id: String) -> bool:
	if me_id == "":
		return false
	if msg.get("mention_everyone", false) == true:
		return true
	var listed: Variant = msg.get("mentions")
	if listed is Array:
		for user_id: Variant in listed:
			if Ids.of(user_id) == me_id:
				return true
		return false
	var content := str(msg.get("content", ""))
	return content.contains("<@%s>" % me_id) or content.contains("<@!%s>" % me_id)


## The window's title: the app's name, after the number of mentions waiting when any.
static func window_title(mentions: int) -> String:
	return "(%d) %s" % [mentions, APP_TITLE] if mentions > 0 else APP_TITLE


## The mute end `seconds` from `now` as the server reads a time, or null for 0.
static func mute_until(seconds: int, now := -1.0) -> Variant:
	if seconds <= 0:
		return null
	var at := Time.get_unix_time_from_system() if now < 0.0 else now
	return Time.get_datetime_string_from_unix_time(int(at) + seconds) + "Z"


static func _advance(table: Dictionary, channel_id: String, id: String) -> void:
	if channel_id == "" or id == "":
		return
	if Ids.compare(id, str(table.get(channel_id, ""))) > 0:
		table[channel_id] = id
