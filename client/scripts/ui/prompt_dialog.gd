## A dialog asking for one line of text. It stays open while the caller works and shows the
## caller's error under the field; the caller closes it on success.
extends ConfirmationDialog

signal submitted(text: String)

const Style := preload("res://scripts/ui/style.gd")

var field := LineEdit.new()
var _hint: Label
var _error: Label


func _init() -> void:
	dialog_hide_on_ok = false
	exclusive = true
	var box := VBoxContainer.new()
	box.add_theme_constant_override("separation", 8)
	box.custom_minimum_size = Vector2(380, 0)
	_hint = Style.label("", 12, Style.TEXT_MUTED)
	box.add_child(_hint)
	box.add_child(field)
	_error = Style.label("", 13, Style.RED, true)
	_error.custom_minimum_size = Vector2(380, 0)
	_error.visible = false
	box.add_child(_error)
	add_child(box)
	register_text_enter(field)
	confirmed.connect(_on_confirmed)
	canceled.connect(queue_free)


## Fills in the texts and shows the dialog centred over `parent`.
func ask(parent: Node, heading: String, hint: String, initial := "", ok_text := "OK") -> void:
	title = heading
	_hint.text = hint.to_upper()
	field.text = initial
	ok_button_text = ok_text
	get_ok_button().theme_type_variation = &"AccentButton"
	parent.add_child(self)
	popup_centered()
	field.grab_focus()
	field.select_all()


func show_error(text: String) -> void:
	_error.text = text
	_error.visible = text != ""
	set_busy(false)


func set_busy(busy: bool) -> void:
	get_ok_button().disabled = busy
	field.editable = not busy


func close() -> void:
	hide()
	queue_free()


func _on_confirmed() -> void:
	set_busy(true)
	submitted.emit(field.text)
