## The composer's `@` autocomplete: the word being typed after an "@", the people of the
## channel whose names match it, and the text with the pick inserted as `<@id>` (Discord's
## form; the message shows it as a chip "@name"). @everyone and @here are offered to
## moderators and above (for others the server leaves them plain text). No state.
extends RefCounted

const Ids := preload("res://scripts/model/ids.gd")

const MAX_SUGGESTIONS := 8
## The pseudo-people @everyone and @here (their "id" is what is inserted).
const EVERYONE := {"id": "@everyone", "username": "everyone", "note": "everyone in the channel"}
const HERE := {"id": "@here", "username": "here", "note": "everyone online in the channel"}


## The "@word" the caret is at the end of: {"start": index of the "@", "query": the word
## after it}, or {} when the caret is not in one (an "@" starts a mention at the start of the
## text or after a space; the word has no spaces).
static func query_at(text: String, caret: int) -> Dictionary:
	caret = clampi(caret, 0, text.length())
	var i := caret - 1
	while i >= 0:
		var c := text[i]
		if c == "@":
			if i == 0 or text[i - 1] in " \t\n":
				return {"start": i, "query": text.substr(i + 1, caret - i - 1)}
			return {}
		if c in " \t\n<>":
			return {}
		i -= 1
	return {}


## Up to `limit` people (public user objects, or EVERYONE / HERE when `everyone`) whose name
## starts with `query` (then those whose name contains it), by name; never `me_id`.
static func suggestions(
	query: String, people: Array[Dictionary], me_id: String, everyone := false, limit := -1
) -> Array[Dictionary]:
	var wanted := query.to_lower()
	var starts: Array[Dictionary] = []
	var contains: Array[Dictionary] = []
	var pool: Array[Dictionary] = people.duplicate()
	if everyone:
		pool.append(EVERYONE)
		pool.append(HERE)
	var seen := {}
	for user in pool:
		var user_id := str(user.get("id", ""))
		if user_id == "" or user_id == me_id or seen.has(user_id):
			continue
		seen[user_id] = true
		var username := str(user.get("username", "")).to_lower()
		if username.begins_with(wanted):
			starts.append(user)
		elif wanted != "" and username.contains(wanted):
			contains.append(user)
	var by_name := func(a: Dictionary, b: Dictionary) -> bool:
		return str(a.get("username", "")).to_lower() < str(b.get("username", "")).to_lower()
	starts.sort_custom(by_name)
	contains.sort_custom(by_name)
	starts.append_array(contains)
	var most := MAX_SUGGESTIONS if limit < 0 else limit
	return starts.slice(0, most)


## The text with the "@word" at `start` (up to `caret`) replaced by the pick and a space:
## `<@id>` for a person, "@everyone" / "@here" as they are. Returns [text, new caret].
static func insert(text: String, start: int, caret: int, user_id: String) -> Array:
	var token := user_id if user_id.begins_with("@") else "<@%s>" % user_id
	var before := text.substr(0, start)
	var after := text.substr(caret)
	if not after.begins_with(" "):
		token += " "
	var out := before + token + after
	return [out, before.length() + token.length() + (1 if after.begins_with(" ") else 0)]


## The ids a text mentions as `<@id>` (or `<@!id>`), each once, in order.
static func mentioned_ids(text: String) -> Array[String]:
	var out: Array[String] = []
	var at := text.find("<@")
	while at >= 0:
		var close := text.find(">", at)
		if close < 0:
			break
		var body := text.substr(at + 2, close - at - 2).trim_prefix("!")
		if Ids.is_valid(body) and body not in out:
			out.append(body)
		at = text.find("<@", close)
	return out
