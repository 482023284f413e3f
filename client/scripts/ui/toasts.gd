## Short notices in the bottom-right corner (errors in red); each fades after a few seconds.
extends VBoxContainer

const Style := preload("res://scripts/ui/style.gd")

const SECONDS := 6.0
const MAX_SHOWN := 4


func _ready() -> void:
	add_to_group(&"toasts")
	mouse_filter = Control.MOUSE_FILTER_IGNORE
	alignment = BoxContainer.ALIGNMENT_END
	add_theme_constant_override("separation", 8)
	DataManager.notice.connect(show_message)
	NetworkManager.rate_limited.connect(_on_rate_limited)


func show_message(text: String, is_error: bool) -> void:
	while get_child_count() >= MAX_SHOWN:
		var oldest := get_child(0)
		remove_child(oldest)
		oldest.queue_free()
	var toast := Style.panel(Color("5c2b2e") if is_error else Color("1e1f22"), 6, 10, 14)
	toast.custom_minimum_size = Vector2(320, 0)
	toast.mouse_filter = Control.MOUSE_FILTER_IGNORE
	var label := Style.label(text, 14, Color.WHITE, true)
	label.custom_minimum_size = Vector2(292, 0)
	toast.add_child(label)
	add_child(toast)
	var tween := toast.create_tween()
	tween.tween_interval(SECONDS)
	tween.tween_property(toast, "modulate:a", 0.0, 0.4)
	tween.tween_callback(toast.queue_free)


func _on_rate_limited(seconds: float) -> void:
	show_message("The server asked to slow down; retrying in %.1f s." % seconds, false)
