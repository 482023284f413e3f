## Time a member out: pick how long. Until then they can read but not post, react or type.
extends ConfirmationDialog

signal submitted(seconds: int)

const Style := preload("res://scripts/ui/style.gd")
const ModerationActions := preload("res://scripts/model/moderation_actions.gd")

var duration := OptionButton.new()
var _error: Label


func _init() -> void:
	dialog_hide_on_ok = false
	exclusive = true
	var box := VBoxContainer.new()
	box.add_theme_constant_override("separation", 8)
	box.custom_minimum_size = Vector2(380, 0)
	var note := "They will still read the server, but cannot send messages, react or type."
	box.add_child(Style.label(note, 13, Style.TEXT_MUTED, true))
	box.add_child(Style.label("DURATION", 12, Style.TEXT_MUTED))
	for i in ModerationActions.TIMEOUT_CHOICES.size():
		duration.add_item(ModerationActions.TIMEOUT_CHOICES[i][0], i)
	duration.select(2)
	box.add_child(duration)
	_error = Style.label("", 13, Style.RED, true)
	_error.visible = false
	box.add_child(_error)
	add_child(box)
	confirmed.connect(_on_confirmed)
	canceled.connect(queue_free)


func ask(parent: Node, username: String) -> void:
	title = "Time out %s" % username
	ok_button_text = "Time out"
	get_ok_button().theme_type_variation = &"DangerButton"
	parent.add_child(self)
	popup_centered()


func show_error(text: String) -> void:
	_error.text = text
	_error.visible = text != ""
	get_ok_button().disabled = false


func close() -> void:
	hide()
	queue_free()


func _on_confirmed() -> void:
	get_ok_button().disabled = true
	submitted.emit(int(ModerationActions.TIMEOUT_CHOICES[duration.selected][1]))
