## Names for the message renderer: user id -> username (everyone whose membership is loaded,
## the people of your DMs, and you) for <@id>, channel id -> name for <#id>. Read from the
## client's cache.
extends RefCounted


static func users(state: Node) -> Dictionary:
	var out := {}
	var members: Dictionary = state.get("members")
	for by_user: Dictionary in members.values():
		for user_id: String in by_user:
			var user: Variant = (by_user[user_id] as Dictionary).get("user")
			if user is Dictionary:
				out[user_id] = str((user as Dictionary).get("username", ""))
	var all: Dictionary = state.get("channels")
	for channel: Dictionary in all.values():
		for user: Variant in channel.get("recipients", []):
			if user is Dictionary:
				var recipient: Dictionary = user
				var recipient_id := str(recipient.get("id", ""))
				if not out.has(recipient_id):
					out[recipient_id] = str(recipient.get("username", ""))
	var me: Dictionary = state.get("me")
	if not me.is_empty():
		out[str(me.get("id", ""))] = str(me.get("username", ""))
	return out


static func channels(state: Node) -> Dictionary:
	var out := {}
	var all: Dictionary = state.get("channels")
	for channel_id: String in all:
		out[channel_id] = str((all[channel_id] as Dictionary).get("name", ""))
	return out
