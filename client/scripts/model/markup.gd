## Safe message formatting: a small Markdown subset rendered as BBCode for a RichTextLabel.
##
## What renders: **bold**, *italic* / _italic_, __underline__, ~~strike~~, `inline code`,
## ```code blocks``` (an optional language word on the first line is dropped), "> " quotes,
## ||spoilers|| (hidden until clicked), http:// and https:// links, <@id> as @name and <#id> as
## a clickable #channel, and @everyone / @here as chips when the server says the message
## mentions everyone (`everyone`). Everything else is text.
##
## Why it is safe: every character of the user's text reaches the output through `_esc`, which
## turns each "[" into the tag [lb] (a literal "["), so the only tags in the output are the ones
## this script writes, always balanced. Clickable parts carry no user text in their tag: a link
## is [url=link:N] where N indexes `links` (the URL itself is kept aside and checked again
## before anything opens it), a spoiler is [url=spoiler:N], a channel [url=channel:<digits>].
## `audit` checks an output against exactly that (the hostile-input tests use it). The work is
## bounded: at most MAX_CHARS characters are rendered, nesting stops at MAX_DEPTH, and a marker
## with no closing one left is never searched for again.
extends RefCounted

const MAX_CHARS := 4000
const MAX_DEPTH := 6
const LINK_COLOR := "#00a8fc"
const MENTION_COLOR := "#c9cdfb"
const MENTION_BG := "#3c4270"
const CODE_BG := "#2b2d31"
const QUOTE_COLOR := "#4e5058"
const SPOILER_HIDDEN := "#1e1f22"
const SPOILER_SHOWN := "#3b3d44"

## Inline markers, longest first: [marker, BBCode tag].
const _MARKERS := [["**", "b"], ["__", "u"], ["~~", "s"], ["||", ""], ["*", "i"], ["_", "i"]]
const _URL_END := ' \t\n<>"[]'
const _TRAILING := ".,:;!?)'"

static var _tag_re: RegEx
static var _meta_re: RegEx
static var _color_re: RegEx

## The URLs of the rendered links, by index (the N of [url=link:N]).
var links: Array[String] = []
## How many spoilers the text has (spoiler N is shown when `revealed` has N).
var spoilers := 0
## Draw @everyone and @here as chips (the message's `mention_everyone`: a moderator wrote them).
var everyone := false

var _users: Dictionary
var _channels: Dictionary
var _revealed: Dictionary


## Renders `text`. `users`: user id -> name (for <@id>); `channels`: channel id -> name (for
## <#id>); `revealed`: spoiler index -> true for spoilers the reader clicked open.
func _init(users := {}, channels := {}, revealed := {}) -> void:
	_users = users
	_channels = channels
	_revealed = revealed


## The BBCode for a message's content (fills `links` and `spoilers`).
func render(text: String) -> String:
	links.clear()
	spoilers = 0
	var clipped := text.length() > MAX_CHARS
	if clipped:
		text = text.substr(0, MAX_CHARS)
	var out := PackedStringArray()
	var start := 0
	while true:
		var open := text.find("```", start)
		var close := text.find("```", open + 3) if open >= 0 else -1
		if open < 0 or close < 0:
			out.append(_lines(text.substr(start)))
			break
		out.append(_lines(text.substr(start, open - start)))
		out.append(_code_block(text.substr(open + 3, close - open - 3)))
		start = close + 3
	if clipped:
		out.append("...")
	return "".join(out)


## One-shot: BBCode for `text` with no names known and no spoiler open.
static func to_bbcode(text: String) -> String:
	return new().render(text)


## A literal: every "[" becomes [lb], so nothing the user typed is ever a tag.
static func _esc(text: String) -> String:
	return text.replace("[", "[lb]")


func _code_block(body: String) -> String:
	var first_break := body.find("\n")
	if first_break > 0:
		var first := body.substr(0, first_break).strip_edges()
		if first.length() <= 20 and first.is_valid_identifier():
			body = body.substr(first_break + 1)
	elif first_break == 0:
		body = body.substr(1)
	if body.ends_with("\n"):
		body = body.substr(0, body.length() - 1)
	return "[bgcolor=%s][code]%s[/code][/bgcolor]" % [CODE_BG, _esc(body)]


func _lines(text: String) -> String:
	var out := PackedStringArray()
	for line in text.split("\n"):
		if line.begins_with("> ") or line == ">":
			var bar := "[color=%s]\u258c[/color] " % QUOTE_COLOR
			out.append(bar + _inline(line.substr(2), 0))
		else:
			out.append(_inline(line, 0))
	return "\n".join(out)


func _inline(s: String, depth: int) -> String:
	# Markers known to have no closing one after a position (marker -> position): never
	# searched for again, so unbalanced input costs one search per marker.
	var no_close := {}
	var out := PackedStringArray()
	var n := s.length()
	var i := 0
	var plain := 0
	while i < n:
		var c := s[i]
		var piece := ""
		var used := 0
		if c == "`":
			var close := s.find("`", i + 1)
			if close > i + 1:
				piece = (
					"[bgcolor=%s][code]%s[/code][/bgcolor]"
					% [CODE_BG, _esc(s.substr(i + 1, close - i - 1))]
				)
				used = close + 1 - i
		elif c == "<":
			var token := _angle(s, i)
			piece = token[0]
			used = token[1]
		elif c == "@" and everyone and (i == 0 or not _is_word(s[i - 1])):
			for word: String in ["@everyone", "@here"]:
				var after := i + word.length()
				if s.substr(i, word.length()) == word and (after >= n or not _is_word(s[after])):
					piece = (
						"[bgcolor=%s][color=%s]%s[/color][/bgcolor]"
						% [MENTION_BG, MENTION_COLOR, word]
					)
					used = word.length()
					break
		elif c == "h" and (i == 0 or not _is_word(s[i - 1])):
			var link := _link(s, i)
			piece = link[0]
			used = link[1]
		elif depth < MAX_DEPTH and c in "*_~|":
			var styled := _styled(s, i, depth, no_close)
			piece = styled[0]
			used = styled[1]
		if used > 0:
			out.append(_esc(s.substr(plain, i - plain)))
			out.append(piece)
			i += used
			plain = i
		else:
			i += 1
	out.append(_esc(s.substr(plain)))
	return "".join(out)


## [bbcode, characters used] for a marked span at `i`, or ["", 0].
func _styled(s: String, i: int, depth: int, no_close: Dictionary) -> Array:
	for entry: Array in _MARKERS:
		var marker: String = entry[0]
		var size := marker.length()
		if s.substr(i, size) != marker:
			continue
		if marker == "_" and i > 0 and _is_word(s[i - 1]):
			continue  # snake_case_words stay as they are
		var close := _closing(s, marker, i + size, no_close)
		if close <= i + size:
			continue
		var inner := s.substr(i + size, close - i - size)
		var used := close + size - i
		if marker == "||":
			return [_spoiler(inner, depth), used]
		var tag: String = entry[1]
		return ["[%s]%s[/%s]" % [tag, _inline(inner, depth + 1), tag], used]
	return ["", 0]


## Where the closing `marker` after `from` is, or -1.
func _closing(s: String, marker: String, from: int, no_close: Dictionary) -> int:
	if no_close.has(marker) and int(no_close[marker]) <= from:
		return -1
	var at := s.find(marker, from)
	while at >= 0 and marker == "_" and at + 1 < s.length() and _is_word(s[at + 1]):
		at = s.find(marker, at + 1)
	# "***" closing "**": the last two close it (the first one closes an inner "*").
	while at >= 0 and marker.length() == 2 and s.substr(at + 2, 1) == marker[0]:
		at += 1
	if at < 0:
		no_close[marker] = from
	return at


func _spoiler(inner: String, depth: int) -> String:
	var index := spoilers
	spoilers += 1
	if _revealed.has(index):
		return (
			"[url=spoiler:%d][bgcolor=%s]%s[/bgcolor][/url]"
			% [index, SPOILER_SHOWN, _inline(inner, depth + 1)]
		)
	# Hidden: the raw text in the background's colour (no inner tag could show it).
	return (
		"[url=spoiler:%d][bgcolor=%s][color=%s]%s[/color][/bgcolor][/url]"
		% [index, SPOILER_HIDDEN, SPOILER_HIDDEN, _esc(inner)]
	)


## <@id>, <@!id> and <#id> at `i`: [bbcode, characters used], or ["", 0].
func _angle(s: String, i: int) -> Array:
	var close := s.find(">", i)
	if close < 0 or close - i > 24:
		return ["", 0]
	var body := s.substr(i + 1, close - i - 1)
	var piece := ""
	if body.begins_with("@!"):
		piece = _mention(body.substr(2))
	elif body.begins_with("@"):
		piece = _mention(body.substr(1))
	elif body.begins_with("#"):
		piece = _channel_ref(body.substr(1))
	return [piece, close + 1 - i] if piece != "" else ["", 0]


func _mention(id: String) -> String:
	if not _is_id(id):
		return ""
	var who := str(_users.get(id, "unknown-user"))
	return "[bgcolor=%s][color=%s]@%s[/color][/bgcolor]" % [MENTION_BG, MENTION_COLOR, _esc(who)]


func _channel_ref(id: String) -> String:
	if not _is_id(id):
		return ""
	if not _channels.has(id):
		return "[color=%s]#deleted-channel[/color]" % MENTION_COLOR
	return (
		"[url=channel:%s][bgcolor=%s][color=%s]#%s[/color][/bgcolor][/url]"
		% [id, MENTION_BG, MENTION_COLOR, _esc(str(_channels[id]))]
	)


## An http(s) URL at `i`: [bbcode, characters used], or ["", 0].
func _link(s: String, i: int) -> Array:
	var scheme_len := 0
	if s.substr(i, 8).to_lower() == "https://":
		scheme_len = 8
	elif s.substr(i, 7).to_lower() == "http://":
		scheme_len = 7
	else:
		return ["", 0]
	var end := i + scheme_len
	while end < s.length() and not s[end] in _URL_END:
		end += 1
	while end > i + scheme_len and s[end - 1] in _TRAILING:
		end -= 1
	var url := s.substr(i, end - i)
	if not is_openable(url):
		return ["", 0]
	links.append(url)
	return [
		"[url=link:%d][color=%s]%s[/color][/url]" % [links.size() - 1, LINK_COLOR, _esc(url)],
		end - i
	]


## Whether a URL may be opened: http or https, a host, no spaces or control characters.
static func is_openable(url: String) -> bool:
	var lower := url.to_lower()
	var rest := ""
	if lower.begins_with("https://"):
		rest = url.substr(8)
	elif lower.begins_with("http://"):
		rest = url.substr(7)
	else:
		return false
	var host := rest.get_slice("/", 0).get_slice("?", 0).get_slice("#", 0)
	if host == "" or host.begins_with("@") or host.begins_with(":"):
		return false
	for c in url:
		if c.unicode_at(0) < 32 or c.unicode_at(0) == 127 or c == " ":
			return false
	return true


static func _is_id(text: String) -> bool:
	return text.length() > 0 and text.length() <= 20 and text.is_valid_int() and text[0] != "-"


static func _is_word(c: String) -> bool:
	var code := c.unicode_at(0)
	return (
		(code >= 48 and code <= 57)
		or (code >= 65 and code <= 90)
		or (code >= 97 and code <= 122)
		or code > 127
	)


## Problems with a rendered output: a tag not written by this script, a [url] meta that is not
## link:N / spoiler:N / channel:<digits>, a colour that is not #hex, or unbalanced tags. Empty
## when the output is safe.
static func audit(bbcode: String) -> Array[String]:
	if _tag_re == null:
		_tag_re = RegEx.create_from_string("\\[(/?)([a-z_]*)(=([^\\]]*))?\\]")
		_meta_re = RegEx.create_from_string("^(link|spoiler|channel):[0-9]{1,20}$")
		_color_re = RegEx.create_from_string("^#[0-9a-f]{6}$")
	var problems: Array[String] = []
	var stack: Array[String] = []
	var allowed := ["b", "i", "u", "s", "code", "color", "bgcolor", "url", "lb"]
	var seen_brackets := bbcode.count("[")
	var tags := _tag_re.search_all(bbcode)
	if tags.size() != seen_brackets:
		problems.append("a [ that is not a tag of ours")
	for tag in tags:
		var closing := tag.get_string(1) == "/"
		var name := tag.get_string(2)
		var value := tag.get_string(4)
		if not name in allowed:
			problems.append("tag [%s]" % name)
			continue
		if name == "lb":
			continue
		if closing:
			if stack.is_empty() or stack[-1] != name:
				problems.append("unbalanced [/%s]" % name)
			else:
				stack.pop_back()
			continue
		if name == "url" and not _meta_re.search(value):
			problems.append("url meta %s" % value)
		if name in ["color", "bgcolor"] and not _color_re.search(value):
			problems.append("%s value %s" % [name, value])
		if not name in ["url", "color", "bgcolor"] and tag.get_string(3) != "":
			problems.append("[%s] with a value" % name)
		stack.append(name)
	if not stack.is_empty():
		problems.append("unclosed %s" % str(stack))
	return problems
