## A round avatar: the person's initials on their colour, replaced by their picture (or a
## server's icon) once it is loaded from the image cache. Follows the user's avatar changes.
extends PanelContainer

const Style := preload("res://scripts/ui/style.gd")

const CIRCLE_SHADER := """
shader_type canvas_item;
void fragment() {
	vec4 color = texture(TEXTURE, UV);
	float edge = smoothstep(0.5, 0.47, length(UV - vec2(0.5)));
	COLOR = vec4(color.rgb, color.a * edge);
}
"""

static var _material: ShaderMaterial

var user_id := ""
var _url := ""
var _picture: TextureRect
var _size := 40


## `url` is the avatar (or icon) URL, "" for none; `user_id` ("" for a server icon) makes it
## follow later avatar changes.
func setup(id: String, display_name: String, url: String, size := 40, round := true) -> void:
	user_id = id
	_size = size
	var style := Style.box(Style.name_color(id), size >> 1 if round else size >> 2)
	add_theme_stylebox_override("panel", style)
	custom_minimum_size = Vector2(size, size)
	size_flags_vertical = Control.SIZE_SHRINK_BEGIN
	mouse_filter = Control.MOUSE_FILTER_IGNORE
	var text := Style.label(Style.initials(display_name), int(size * 0.4), Color.WHITE)
	text.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	text.vertical_alignment = VERTICAL_ALIGNMENT_CENTER
	text.add_theme_font_override("font", Style.bold_font())
	add_child(text)
	_picture = TextureRect.new()
	_picture.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	_picture.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_COVERED
	_picture.custom_minimum_size = Vector2(size, size)
	_picture.mouse_filter = Control.MOUSE_FILTER_IGNORE
	if round:
		_picture.material = circle_material()
	add_child(_picture)
	show_url(url)
	if user_id != "" and DataManager.has_signal("avatar_changed"):
		DataManager.avatar_changed.connect(_on_avatar_changed)


## Shows the picture at `url` ("" shows the initials).
func show_url(url: String) -> void:
	_url = url
	_picture.texture = null
	if url == "":
		return
	var ready := NetworkManager.cached_texture(url)
	if ready != null:
		_picture.texture = ready
		return
	var texture: Texture2D = await NetworkManager.texture(url)
	if is_instance_valid(self) and url == _url:
		_picture.texture = texture


func _on_avatar_changed(changed: String) -> void:
	if changed == user_id:
		show_url(DataManager.avatar_url(user_id, ""))


## A material that shows a texture as a circle (shared by every avatar and icon).
static func circle_material() -> ShaderMaterial:
	if _material == null:
		var shader := Shader.new()
		shader.code = CIRCLE_SHADER
		_material = ShaderMaterial.new()
		_material.shader = shader
	return _material
