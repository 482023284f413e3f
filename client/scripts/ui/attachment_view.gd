## A message's files under its text: images as previews (their thumbnail, at the image's own
## aspect; click for the full size), every other file as a chip with its name, size and a
## Download button.
extends VBoxContainer

signal image_opened(attachment: Dictionary)
signal download_requested(attachment: Dictionary)

const Style := preload("res://scripts/ui/style.gd")
const Attachments := preload("res://scripts/model/attachments.gd")


func setup(attachments: Array) -> void:
	add_theme_constant_override("separation", 6)
	mouse_filter = Control.MOUSE_FILTER_PASS
	for item: Variant in attachments:
		if not item is Dictionary:
			continue
		var attachment: Dictionary = item
		if Attachments.is_image(attachment):
			add_child(_preview(attachment))
		else:
			add_child(_chip(attachment))


func _preview(attachment: Dictionary) -> Control:
	var size := Attachments.preview_size(attachment)
	var frame := PanelContainer.new()
	frame.add_theme_stylebox_override("panel", Style.box(Color("2b2d31"), 6))
	frame.custom_minimum_size = size
	frame.size_flags_horizontal = Control.SIZE_SHRINK_BEGIN
	frame.tooltip_text = "%s  -  click to open" % attachment.get("filename", "")
	frame.mouse_default_cursor_shape = Control.CURSOR_POINTING_HAND
	var picture := TextureRect.new()
	picture.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	picture.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	picture.custom_minimum_size = size
	picture.mouse_filter = Control.MOUSE_FILTER_IGNORE
	frame.add_child(picture)
	var loading := Style.label("Loading image...", 12, Style.TEXT_MUTED)
	loading.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	loading.vertical_alignment = VERTICAL_ALIGNMENT_CENTER
	frame.add_child(loading)
	frame.gui_input.connect(
		func(event: InputEvent) -> void:
			var click := event as InputEventMouseButton
			if click != null and click.pressed and click.button_index == MOUSE_BUTTON_LEFT:
				image_opened.emit(attachment)
	)
	_load(picture, loading, str(attachment.get("thumbnail_url", "")))
	return frame


func _load(picture: TextureRect, loading: Label, url: String) -> void:
	var ready := NetworkManager.cached_texture(url)
	var texture: Texture2D = ready if ready != null else await NetworkManager.texture(url)
	if not is_instance_valid(picture):
		return
	picture.texture = texture
	loading.visible = texture == null
	loading.text = "Image unavailable"


func _chip(attachment: Dictionary) -> Control:
	var chip := PanelContainer.new()
	chip.add_theme_stylebox_override("panel", Style.box(Color("2b2d31"), 6, 8, 12))
	chip.size_flags_horizontal = Control.SIZE_SHRINK_BEGIN
	chip.custom_minimum_size = Vector2(300, 0)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 10)
	chip.add_child(row)
	var kind := str(attachment.get("filename", "")).get_extension().to_upper().substr(0, 4)
	var badge := Style.label(kind if kind != "" else "FILE", 11, Color.WHITE)
	badge.add_theme_font_override("font", Style.bold_font())
	var badge_box := PanelContainer.new()
	badge_box.add_theme_stylebox_override("panel", Style.box(Style.ACCENT, 4, 6, 6))
	badge_box.add_child(badge)
	badge_box.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	row.add_child(badge_box)
	var text := VBoxContainer.new()
	text.add_theme_constant_override("separation", 0)
	text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	var name_label := Style.label(str(attachment.get("filename", "file")), 14, Color("00a8fc"))
	name_label.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	text.add_child(name_label)
	text.add_child(
		Style.label(Attachments.human_size(int(attachment.get("size", 0))), 12, Style.TEXT_MUTED)
	)
	row.add_child(text)
	var save := Button.new()
	save.text = "Download"
	save.theme_type_variation = &"FlatButton"
	save.tooltip_text = "Save to your Downloads folder"
	save.pressed.connect(func() -> void: download_requested.emit(attachment))
	row.add_child(save)
	return chip
