## The message box under the chat: Enter sends, Esc cancels an edit, Up (in an empty box)
## edits your last message. Shows problems (too long, edit failed) right above it.
extends MarginContainer

signal send_requested(text: String)
signal edit_requested(message_id: String, text: String)
signal edit_last_requested
signal typing(text: String)

const Style := preload("res://scripts/ui/style.gd")
const Validation := preload("res://scripts/model/validation.gd")

const COUNT_FROM := 1800

var _field := LineEdit.new()
var _send := Button.new()
var _banner: Label
var _problem: Label
var _editing_id := ""


func _init() -> void:
	add_theme_constant_override("margin_left", 16)
	add_theme_constant_override("margin_right", 16)
	add_theme_constant_override("margin_top", 4)
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 4)
	add_child(column)
	_banner = Style.label("", 12, Style.YELLOW)
	_banner.visible = false
	column.add_child(_banner)
	_problem = Style.label("", 12, Style.RED, true)
	_problem.visible = false
	column.add_child(_problem)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 8)
	column.add_child(row)
	_field.theme_type_variation = &"ComposerEdit"
	_field.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_field.max_length = Validation.MESSAGE_MAX
	_field.text_submitted.connect(_submit)
	_field.text_changed.connect(_on_text_changed)
	_field.gui_input.connect(_on_field_input)
	row.add_child(_field)
	_send.text = "Send"
	_send.theme_type_variation = &"AccentButton"
	_send.pressed.connect(func() -> void: _submit(_field.text))
	row.add_child(_send)


func set_channel(channel_id: String, channel_name: String) -> void:
	var has_channel := channel_id != ""
	_field.editable = has_channel
	_send.disabled = not has_channel
	_field.placeholder_text = "Message #" + channel_name if has_channel else "No channel selected"


func begin_edit(message_id: String, text: String) -> void:
	_editing_id = message_id
	_banner.text = "Editing your message  -  Enter to save, Esc to cancel"
	_banner.visible = true
	_send.text = "Save"
	_field.text = text
	_field.grab_focus()
	_field.caret_column = text.length()
	show_problem("")


func cancel_edit() -> void:
	if _editing_id == "":
		return
	_editing_id = ""
	_banner.visible = false
	_send.text = "Send"
	clear()


func show_problem(text: String) -> void:
	_problem.text = text
	_problem.visible = text != ""
	_send.disabled = false


func clear() -> void:
	_field.clear()
	show_problem("")


func focus() -> void:
	_field.grab_focus()


func _submit(text: String) -> void:
	if text.strip_edges() == "":
		return
	if _editing_id != "":
		_send.disabled = true
		edit_requested.emit(_editing_id, text)
	else:
		send_requested.emit(text)


func _on_text_changed(text: String) -> void:
	if text.length() >= COUNT_FROM:
		_problem.text = "%d / %d characters" % [text.length(), Validation.MESSAGE_MAX]
		_problem.visible = true
	elif _problem.visible and _problem.text.ends_with("characters"):
		show_problem("")
	if text != "" and _editing_id == "":
		typing.emit(text)


func _on_field_input(event: InputEvent) -> void:
	var key := event as InputEventKey
	if key == null or not key.pressed:
		return
	if key.keycode == KEY_ESCAPE and _editing_id != "":
		cancel_edit()
		_field.accept_event()
	elif key.keycode == KEY_UP and _field.text == "" and _editing_id == "":
		edit_last_requested.emit()
		_field.accept_event()
