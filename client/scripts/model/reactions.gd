## A message's reactions as the client holds them: `reactions` is
## [{"emoji": String, "count": int, "me": bool}, ...] in the order each emoji was first used
## (as the server sends it). REST pages carry them; gateway events change them
## (MESSAGE_REACTION_*: `me` is `user_id == mine`). Applying the same change twice for the
## signed-in user changes nothing (a REST answer and its event both arrive), so counts never
## drift from one's own clicks.
extends RefCounted


## Adds one reaction. Returns true when the list changed.
static func add(reactions: Array, emoji: String, is_me: bool) -> bool:
	for entry: Dictionary in reactions:
		if str(entry.get("emoji", "")) == emoji:
			if is_me and bool(entry.get("me", false)):
				return false
			entry["count"] = int(entry.get("count", 0)) + 1
			if is_me:
				entry["me"] = true
			return true
	reactions.append({"emoji": emoji, "count": 1, "me": is_me})
	return true


## Removes one reaction. Returns true when the list changed.
static func remove(reactions: Array, emoji: String, is_me: bool) -> bool:
	for i in reactions.size():
		var entry: Dictionary = reactions[i]
		if str(entry.get("emoji", "")) != emoji:
			continue
		if is_me and not bool(entry.get("me", false)):
			return false
		entry["count"] = int(entry.get("count", 0)) - 1
		if is_me:
			entry["me"] = false
		if int(entry["count"]) <= 0:
			reactions.remove_at(i)
		return true
	return false


## Removes every reaction with the emoji (a moderator cleared it).
static func clear_emoji(reactions: Array, emoji: String) -> bool:
	for i in reactions.size():
		if str((reactions[i] as Dictionary).get("emoji", "")) == emoji:
			reactions.remove_at(i)
			return true
	return false


## Whether the signed-in user reacted with the emoji.
static func mine(reactions: Array, emoji: String) -> bool:
	for entry: Dictionary in reactions:
		if str(entry.get("emoji", "")) == emoji:
			return bool(entry.get("me", false))
	return false
