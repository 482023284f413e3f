## The channel's pinned messages (from the header's Pins button): the latest pinned first,
## each with its author, time and text; clicking one jumps to it, moderators can unpin.
## Reloads while open when a pin changes (CHANNEL_PINS_UPDATE).
extends PopupPanel

signal jump_requested(message_id: String)

const Style := preload("res://scripts/ui/style.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const Permissions := preload("res://scripts/model/permissions.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")

var channel_id := ""
var _list := VBoxContainer.new()
var _status: Label
var _loads := 0


func _init() -> void:
	add_theme_stylebox_override("panel", Style.box(Style.BG_SIDEBAR, 8, 10, 10))
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 8)
	add_child(column)
	var title := Style.label("Pinned messages", 15, Style.TEXT_STRONG)
	title.add_theme_font_override("font", Style.bold_font())
	column.add_child(title)
	_status = Style.label("", 13, Style.TEXT_MUTED, true)
	column.add_child(_status)
	var scroll := ScrollContainer.new()
	scroll.custom_minimum_size = Vector2(420, 360)
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	column.add_child(scroll)
	_list.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_list.add_theme_constant_override("separation", 6)
	scroll.add_child(_list)


func _ready() -> void:
	DataManager.pins_changed.connect(
		func(changed: String) -> void:
			if visible and changed == channel_id:
				reload()
	)


## Opens below `at` for the channel.
func open(for_channel: String, at: Vector2) -> void:
	channel_id = for_channel
	popup(Rect2i(Vector2i(at), Vector2i.ZERO))
	reload()


func reload() -> void:
	_loads += 1
	var mine := _loads
	_status.text = "Loading..."
	var result: ApiResult = await DataManager.messages_api.load_pins(channel_id)
	if mine != _loads:
		return  # a newer load started meanwhile
	for child in _list.get_children():
		_list.remove_child(child)
		child.queue_free()
	if not result.ok:
		_status.text = "Could not load the pins: " + result.message
		return
	var pins := result.list()
	_status.text = "No pinned messages yet." if pins.is_empty() else ""
	var role := DataManager.my_role(DataManager.current_server_id)
	# Anyone in a DM or group DM pins and unpins (no one moderates them).
	var may_unpin := Permissions.can_pin(role) or DataManager.is_private(channel_id)
	for pin: Variant in pins:
		if pin is Dictionary:
			_list.add_child(_entry(pin, may_unpin))


func _entry(msg: Dictionary, can_unpin: bool) -> Control:
	var box := Style.panel(Style.BG_CHAT, 6, 6, 10)
	var column := VBoxContainer.new()
	box.add_child(column)
	var head := HBoxContainer.new()
	head.add_theme_constant_override("separation", 8)
	column.add_child(head)
	var author: Dictionary = msg.get("author", {})
	var who := Style.label(str(author.get("username", "?")), 14, Style.TEXT_STRONG)
	who.add_theme_font_override("font", Style.bold_font())
	head.add_child(who)
	var when := Style.label(
		TimeFormat.friendly(str(msg.get("created_at", ""))), 12, Style.TEXT_MUTED
	)
	when.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	head.add_child(when)
	var message_id := str(msg.get("id", ""))
	var jump := Button.new()
	jump.text = "Jump"
	jump.theme_type_variation = &"MiniButton"
	jump.pressed.connect(
		func() -> void:
			jump_requested.emit(message_id)
			hide()
	)
	head.add_child(jump)
	if can_unpin:
		var unpin := Button.new()
		unpin.text = "Unpin"
		unpin.theme_type_variation = &"MiniButton"
		unpin.pressed.connect(
			func() -> void: DataManager.messages_api.set_pinned(channel_id, message_id, false)
		)
		head.add_child(unpin)
	# Plain text (a Label shows no markup at all), cut to a few lines.
	var text := Style.label(str(msg.get("content", "")).substr(0, 300), 13, Style.TEXT, true)
	column.add_child(text)
	return box
