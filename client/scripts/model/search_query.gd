## What the search box means: `from:name`, `in:channel` and `has:link|file|image` filters,
## everything else is the text to find (words, "exact phrases", -excluded words), sent to the
## server as it was typed. A filter inside quotes is text. Names are looked up in the current
## server's members and channels; an unknown one is an error the box shows.
extends RefCounted

const HAS_VALUES: Array[String] = ["link", "file", "image"]


## Parses `text`. `members`: user_id -> Member of the server; `channels`: its channels.
## Returns {"query": Dictionary for the REST query string, "error": String ("" when fine)}.
static func parse(text: String, members: Dictionary, channels: Array[Dictionary]) -> Dictionary:
	var content: PackedStringArray = []
	var authors: Array[String] = []
	var in_channels: Array[String] = []
	var has: Array[String] = []
	for token in tokens(text):
		var colon := token.find(":")
		var key := token.substr(0, colon).to_lower() if colon > 0 else ""
		var value := _unquote(token.substr(colon + 1)) if colon > 0 else ""
		match key:
			"from":
				var user_id := _member_named(value.trim_prefix("@"), members)
				if user_id == "":
					return _failed('No member named "%s" in this server.' % value)
				if user_id not in authors:
					authors.append(user_id)
			"in":
				var channel_id := _channel_named(value.trim_prefix("#"), channels)
				if channel_id == "":
					return _failed('No channel named "%s" in this server.' % value)
				if channel_id not in in_channels:
					in_channels.append(channel_id)
			"has":
				if value.to_lower() not in HAS_VALUES:
					return _failed("has: can be link, file or image.")
				if value.to_lower() not in has:
					has.append(value.to_lower())
			_:
				content.append(token)
	var query := {}
	if not content.is_empty():
		query["content"] = " ".join(content)
	if not authors.is_empty():
		query["author_id"] = authors
	if not in_channels.is_empty():
		query["channel_id"] = in_channels
	if not has.is_empty():
		query["has"] = has
	if query.is_empty():
		return _failed("Type something to search for.")
	return {"query": query, "error": ""}


## Splits at spaces outside double quotes; quotes stay in their token (an unbalanced quote
## runs to the end).
static func tokens(text: String) -> PackedStringArray:
	var out: PackedStringArray = []
	var current := ""
	var quoted := false
	for i in text.length():
		var c := text[i]
		if c == '"':
			quoted = not quoted
		if not quoted and (c == " " or c == "\t" or c == "\n"):
			if current != "":
				out.append(current)
			current = ""
		else:
			current += c
	if current != "":
		out.append(current)
	return out


static func _unquote(value: String) -> String:
	return value.replace('"', "").strip_edges()


static func _member_named(name: String, members: Dictionary) -> String:
	var wanted := name.to_lower()
	if wanted == "":
		return ""
	for user_id: Variant in members:
		var member: Dictionary = members[user_id]
		if str(member.get("user", {}).get("username", "")).to_lower() == wanted:
			return str(user_id)
	return ""


static func _channel_named(name: String, channels: Array[Dictionary]) -> String:
	var wanted := name.to_lower()
	if wanted == "":
		return ""
	for channel in channels:
		if str(channel.get("name", "")).to_lower() == wanted:
			return str(channel.get("id", ""))
	return ""


static func _failed(error: String) -> Dictionary:
	return {"query": {}, "error": error}
