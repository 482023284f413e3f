## In the chat, instead of the messages of someone you blocked: one muted line ("Blocked
## message", or "3 blocked messages" for several in a row) with "Show", which asks to show
## them in place.
extends HBoxContainer

signal reveal_requested(keys: Array[String])

const Style := preload("res://scripts/ui/style.gd")

## The row keys of the messages this line stands for.
var keys: Array[String] = []

var _text: Label


## `indent`: the width of the avatar column, so the line starts where the text does.
func setup(key: String, indent: int) -> void:
	name = "Blocked"
	add_theme_constant_override("separation", 6)
	var gutter := Control.new()
	gutter.custom_minimum_size = Vector2(indent, 0)
	add_child(gutter)
	_text = Style.label("", 13, Style.TEXT_MUTED)
	add_child(_text)
	var reveal := LinkButton.new()
	reveal.text = "Show"
	reveal.tooltip_text = "Show what someone you blocked wrote here"
	reveal.pressed.connect(func() -> void: reveal_requested.emit(keys))
	add_child(reveal)
	add(key)


## One more message of theirs, right after the others.
func add(key: String) -> void:
	keys.append(key)
	_text.text = (
		"Blocked message  \u2014"
		if keys.size() == 1
		else "%d blocked messages  \u2014" % keys.size()
	)
