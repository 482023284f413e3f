## Above the chat while the first unread message (the "NEW" line) is out of sight: "New
## messages since 14:03 · 2 mentions", Jump (go to it) and Mark as read. Also draws the red
## "NEW" line itself (`divider`).
extends MarginContainer

signal jump_pressed
signal mark_read_pressed

const Style := preload("res://scripts/ui/style.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const Ids := preload("res://scripts/model/ids.gd")

var _text: Label


func _init() -> void:
	name = "NewMessagesBar"
	add_theme_constant_override("margin_left", 16)
	add_theme_constant_override("margin_right", 16)
	add_theme_constant_override("margin_top", 6)
	visible = false
	var bar := Style.panel(Style.ACCENT, 6, 3, 12)
	add_child(bar)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 12)
	bar.add_child(row)
	_text = Style.label("", 13, Color.WHITE)
	_text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_text.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	row.add_child(_text)
	for spec: Array in [["Jump", jump_pressed], ["Mark as read", mark_read_pressed]]:
		var link := LinkButton.new()
		link.text = spec[0]
		link.add_theme_color_override("font_color", Color.WHITE)
		link.add_theme_color_override("font_hover_color", Style.TEXT_STRONG)
		link.pressed.connect((spec[1] as Signal).emit)
		row.add_child(link)


## Shows the bar for unread messages after `after` (the last message read; "" hides it) with
## `mentions` of them, unless the NEW line is on screen.
func update(after: String, mentions: int, line_on_screen: bool) -> void:
	if after == "" or line_on_screen:
		visible = false
		return
	var since := TimeFormat.friendly(Ids.iso_time(after))
	var text := "New messages since %s" % since if since != "" else "New messages"
	if mentions > 0:
		text += "  ·  %d mention%s" % [mentions, "" if mentions == 1 else "s"]
	_text.text = text
	visible = true


## The red "NEW" line above the first unread message.
static func divider() -> Control:
	var row := HBoxContainer.new()
	row.name = "NewDivider"
	row.add_theme_constant_override("separation", 6)
	var line := Panel.new()
	line.custom_minimum_size = Vector2(0, 1)
	line.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	line.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	line.add_theme_stylebox_override("panel", Style.box(Style.RED))
	row.add_child(line)
	var tag := Style.panel(Style.RED, 3, 0, 4)
	var text := Style.label("NEW", 10, Color.WHITE)
	text.add_theme_font_override("font", Style.bold_font())
	tag.add_child(text)
	row.add_child(tag)
	return row
