## Message text as BBCode for a RichTextLabel, with the search's matches marked.
##
## User text never becomes markup: every "[" is written as "[lb]", so a message holding
## "[url=...]" or "[color=red]" shows those characters as they are. The server sends the
## matches as [start, end) offsets in code points (Godot strings index code points too);
## ranges that are malformed, outside the text, out of order or overlapping are skipped.
extends RefCounted

const MARK_OPEN := "[bgcolor=#f0b23259][color=#ffffff]"
const MARK_CLOSE := "[/color][/bgcolor]"


## Escapes text for BBCode.
static func escape(text: String) -> String:
	return text.replace("[", "[lb]")


## The valid ranges of `spans` for a text of `length` code points, sorted, not overlapping.
static func ranges(spans: Variant, length: int) -> Array[Vector2i]:
	var out: Array[Vector2i] = []
	if not spans is Array:
		return out
	for span: Variant in spans:
		if not span is Array or (span as Array).size() != 2:
			continue
		var pair: Array = span
		if not _is_number(pair[0]) or not _is_number(pair[1]):
			continue
		var start := int(pair[0])
		var end := int(pair[1])
		if start < 0 or end > length or start >= end:
			continue
		out.append(Vector2i(start, end))
	out.sort_custom(func(a: Vector2i, b: Vector2i) -> bool: return a.x < b.x)
	var kept: Array[Vector2i] = []
	for r in out:
		if kept.is_empty() or r.x >= kept[-1].y:
			kept.append(r)
	return kept


## `content` escaped, with each valid span wrapped in the highlight mark.
static func bbcode(content: String, spans: Variant) -> String:
	var out := ""
	var at := 0
	for r in ranges(spans, content.length()):
		out += escape(content.substr(at, r.x - at))
		out += MARK_OPEN + escape(content.substr(r.x, r.y - r.x)) + MARK_CLOSE
		at = r.y
	return out + escape(content.substr(at))


static func _is_number(value: Variant) -> bool:
	return typeof(value) == TYPE_INT or typeof(value) == TYPE_FLOAT
