## Ban a member: a reason (shown in the bans list and the audit log) and how much of their
## recent history to delete. Stays open while the ban is sent and shows the server's error.
extends ConfirmationDialog

signal submitted(reason: String, delete_seconds: int)

const Style := preload("res://scripts/ui/style.gd")
const ModerationActions := preload("res://scripts/model/moderation_actions.gd")

var reason := LineEdit.new()
var clean_up := OptionButton.new()
var _error: Label


func _init() -> void:
	dialog_hide_on_ok = false
	exclusive = true
	var box := VBoxContainer.new()
	box.add_theme_constant_override("separation", 8)
	box.custom_minimum_size = Vector2(420, 0)
	box.add_child(Style.label("REASON (OPTIONAL)", 12, Style.TEXT_MUTED))
	reason.max_length = ModerationActions.REASON_MAX
	reason.placeholder_text = "Why? Moderators and admins see it."
	box.add_child(reason)
	box.add_child(Style.label("DELETE THEIR MESSAGES FROM", 12, Style.TEXT_MUTED))
	for i in ModerationActions.CLEAN_UP_CHOICES.size():
		clean_up.add_item(ModerationActions.CLEAN_UP_CHOICES[i][0], i)
	box.add_child(clean_up)
	_error = Style.label("", 13, Style.RED, true)
	_error.visible = false
	box.add_child(_error)
	add_child(box)
	register_text_enter(reason)
	confirmed.connect(_on_confirmed)
	canceled.connect(queue_free)


func ask(parent: Node, username: String) -> void:
	title = "Ban %s" % username
	ok_button_text = "Ban"
	get_ok_button().theme_type_variation = &"DangerButton"
	parent.add_child(self)
	popup_centered()
	reason.grab_focus()


func show_error(text: String) -> void:
	_error.text = text
	_error.visible = text != ""
	get_ok_button().disabled = false


func close() -> void:
	hide()
	queue_free()


func _on_confirmed() -> void:
	get_ok_button().disabled = true
	var seconds: int = ModerationActions.CLEAN_UP_CHOICES[clean_up.selected][1]
	submitted.emit(reason.text, seconds)
