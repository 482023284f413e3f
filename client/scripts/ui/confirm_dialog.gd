## A yes / no question. Emits `decided(true)` when confirmed; frees itself either way.
extends ConfirmationDialog

signal decided(accepted: bool)


func ask(parent: Node, heading: String, text: String, ok_text: String) -> void:
	title = heading
	dialog_text = text
	ok_button_text = ok_text
	get_ok_button().theme_type_variation = &"DangerButton"
	dialog_autowrap = true
	exclusive = true
	min_size = Vector2i(420, 0)
	confirmed.connect(_finish.bind(true))
	canceled.connect(_finish.bind(false))
	parent.add_child(self)
	popup_centered()


func _finish(accepted: bool) -> void:
	decided.emit(accepted)
	queue_free()
