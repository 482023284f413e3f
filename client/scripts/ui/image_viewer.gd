## The full-size view of an image attachment: over everything, dimmed behind; the image fits
## the window (never enlarged past its own size). Click outside or press Esc to close.
extends Control

signal download_requested(attachment: Dictionary)

const Style := preload("res://scripts/ui/style.gd")
const Attachments := preload("res://scripts/model/attachments.gd")

var attachment := {}
var _picture: TextureRect
var _status: Label


func open(item: Dictionary) -> void:
	attachment = item
	set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	mouse_filter = Control.MOUSE_FILTER_STOP
	var dim := ColorRect.new()
	dim.color = Color(0, 0, 0, 0.82)
	dim.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	dim.mouse_filter = Control.MOUSE_FILTER_IGNORE
	add_child(dim)
	var column := VBoxContainer.new()
	column.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	column.add_theme_constant_override("separation", 10)
	column.alignment = BoxContainer.ALIGNMENT_CENTER
	column.mouse_filter = Control.MOUSE_FILTER_IGNORE
	add_child(column)
	_picture = TextureRect.new()
	_picture.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	_picture.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	_picture.size_flags_horizontal = Control.SIZE_SHRINK_CENTER
	_picture.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	_picture.mouse_filter = Control.MOUSE_FILTER_IGNORE
	column.add_child(_picture)
	_status = Style.label("Loading...", 14, Style.TEXT_MUTED)
	_status.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	column.add_child(_status)
	var bar := HBoxContainer.new()
	bar.alignment = BoxContainer.ALIGNMENT_CENTER
	bar.add_theme_constant_override("separation", 14)
	var caption := (
		"%s  -  %s" % [item.get("filename", ""), Attachments.human_size(int(item.get("size", 0)))]
	)
	if item.has("width"):
		caption += "  -  %d x %d" % [int(item["width"]), int(item["height"])]
	bar.add_child(Style.label(caption, 13, Style.TEXT))
	var save := Button.new()
	save.text = "Download"
	save.pressed.connect(func() -> void: download_requested.emit(attachment))
	bar.add_child(save)
	var close := Button.new()
	close.text = "Close"
	close.pressed.connect(queue_free)
	bar.add_child(close)
	column.add_child(bar)
	_load()


func _load() -> void:
	var url := Attachments.full_view_url(attachment)
	var texture: Texture2D = NetworkManager.cached_texture(url)
	if texture == null:
		texture = await NetworkManager.texture(url)
	if not is_instance_valid(self):
		return
	if texture == null:
		_status.text = "The image could not be loaded."
		return
	_status.visible = false
	_picture.texture = texture
	var room := get_viewport_rect().size * Vector2(0.92, 0.8)
	var own := texture.get_size()
	var scale := minf(1.0, minf(room.x / own.x, room.y / own.y))
	_picture.custom_minimum_size = own * scale


func _gui_input(event: InputEvent) -> void:
	var click := event as InputEventMouseButton
	if click != null and click.pressed and click.button_index == MOUSE_BUTTON_LEFT:
		queue_free()


func _unhandled_key_input(event: InputEvent) -> void:
	var key := event as InputEventKey
	if key != null and key.pressed and key.keycode == KEY_ESCAPE:
		queue_free()
		get_viewport().set_input_as_handled()
