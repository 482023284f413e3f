## ServerList: the left rail: Home (your DMs and group DMs) on top, then the server icons
## (initials until the icon loads), each with an unread mark (the pill) and a badge with the
## mentions waiting there, and "+" to create a server or join one with an invite code.
extends PanelContainer

enum Add { CREATE, JOIN }

const Style := preload("res://scripts/ui/style.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")
const PromptDialog := preload("res://scripts/ui/prompt_dialog.gd")
const Validation := preload("res://scripts/model/validation.gd")

const ICON_SIZE := 48

var _column: VBoxContainer
var _add_menu := PopupMenu.new()
var _add_button: Button


func _ready() -> void:
	custom_minimum_size = Vector2(72, 0)
	add_theme_stylebox_override("panel", Style.box(Style.BG_RAIL, 0, 12, 0))
	var scroll := ScrollContainer.new()
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	scroll.vertical_scroll_mode = ScrollContainer.SCROLL_MODE_SHOW_NEVER
	add_child(scroll)
	_column = VBoxContainer.new()
	_column.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_column.add_theme_constant_override("separation", 8)
	scroll.add_child(_column)
	_add_menu.add_item("Create a server", Add.CREATE)
	_add_menu.add_item("Join a server with an invite code", Add.JOIN)
	_add_menu.id_pressed.connect(_on_add_menu)
	add_child(_add_menu)
	DataManager.servers_changed.connect(_rebuild)
	DataManager.selection_changed.connect(_rebuild)
	DataManager.unread_changed.connect(_rebuild)
	DataManager.channels_changed.connect(_on_channels_changed)
	_rebuild()


## Opens the dialog for "create" or "join" (also used by the welcome screen).
func open_dialog(create: bool) -> void:
	_on_add_menu(Add.CREATE if create else Add.JOIN)


func _on_channels_changed(server_id: String) -> void:
	if server_id == DataManager.HOME:
		_rebuild()


func _rebuild() -> void:
	for child in _column.get_children():
		child.queue_free()
	_column.add_child(_home_icon())
	var top_line := HSeparator.new()
	top_line.custom_minimum_size = Vector2(32, 0)
	top_line.size_flags_horizontal = Control.SIZE_SHRINK_CENTER
	_column.add_child(top_line)
	for server in DataManager.sorted_servers():
		_column.add_child(_server_icon(server))
	if not DataManager.server_order.is_empty():
		var line := HSeparator.new()
		line.custom_minimum_size = Vector2(32, 0)
		line.size_flags_horizontal = Control.SIZE_SHRINK_CENTER
		_column.add_child(line)
	_add_button = Button.new()
	_add_button.text = "+"
	_add_button.tooltip_text = "Create or join a server"
	_add_button.theme_type_variation = &"AddServerButton"
	_add_button.custom_minimum_size = Vector2(ICON_SIZE, ICON_SIZE)
	_add_button.size_flags_horizontal = Control.SIZE_SHRINK_CENTER
	_add_button.pressed.connect(_show_add_menu)
	_column.add_child(_add_button)


## Home: your DMs and group DMs (a speech bubble; the pill when one of them is unread).
func _home_icon() -> Control:
	var row := _icon_row(DataManager.is_home(), DataManager.server_shows_unread(DataManager.HOME))
	var button := Button.new()
	button.name = "HomeButton"
	button.icon = Style.bubble_icon(26, Style.TEXT_STRONG)
	button.icon_alignment = HORIZONTAL_ALIGNMENT_CENTER
	button.tooltip_text = "Direct messages"
	button.theme_type_variation = &"ServerButton"
	button.toggle_mode = true
	button.button_pressed = DataManager.is_home()
	button.custom_minimum_size = Vector2(ICON_SIZE, ICON_SIZE)
	button.pressed.connect(DataManager.select_home)
	row.add_child(button)
	_add_badge(button, DataManager.server_badge(DataManager.HOME))
	return row


## The mention badge at the bottom right of an icon (none for 0).
static func _add_badge(button: Button, count: int) -> void:
	if count <= 0:
		return
	var badge := Style.badge(count)
	badge.set_anchors_and_offsets_preset(Control.PRESET_BOTTOM_RIGHT)
	badge.grow_horizontal = Control.GROW_DIRECTION_BEGIN
	badge.grow_vertical = Control.GROW_DIRECTION_BEGIN
	badge.offset_right = 3
	badge.offset_bottom = 3
	button.add_child(badge)


## A row of the rail with its pill: tall when selected, a dot when unread, else hidden.
static func _icon_row(selected: bool, unread: bool) -> HBoxContainer:
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 8)
	var pill := Style.panel(Color.WHITE, 2)
	pill.custom_minimum_size = Vector2(4, 40 if selected else 8)
	pill.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	pill.modulate.a = 1.0 if selected or unread else 0.0
	row.add_child(pill)
	return row


func _server_icon(server: Dictionary) -> Control:
	var server_id := str(server["id"])
	var selected := server_id == DataManager.current_server_id
	var row := _icon_row(selected, DataManager.server_shows_unread(server_id))
	var button := Button.new()
	button.text = Style.initials(str(server.get("name", "?")))
	button.tooltip_text = str(server.get("name", ""))
	button.theme_type_variation = &"ServerButton"
	button.toggle_mode = true
	button.button_pressed = selected
	button.custom_minimum_size = Vector2(ICON_SIZE, ICON_SIZE)
	button.clip_text = true
	button.add_theme_font_override("font", Style.bold_font())
	button.pressed.connect(DataManager.select_server.bind(server_id))
	row.add_child(button)
	var icon_url: Variant = server.get("icon_url")
	if icon_url is String:
		_show_icon(button, str(icon_url))
	_add_badge(button, DataManager.server_badge(server_id))
	button.tooltip_text = _tooltip(server_id, str(server.get("name", "")))
	return row


## The server's name, and how many mentions wait there.
static func _tooltip(server_id: String, server_name: String) -> String:
	var count := DataManager.server_badge(server_id)
	if count <= 0:
		return server_name
	return "%s - %d mention%s" % [server_name, count, "" if count == 1 else "s"]


## The server's icon on its button (the initials stay underneath until it loads).
func _show_icon(button: Button, url: String) -> void:
	var picture := TextureRect.new()
	picture.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	picture.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_COVERED
	picture.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	picture.mouse_filter = Control.MOUSE_FILTER_IGNORE
	picture.material = Avatar.circle_material()
	button.add_child(picture)
	var texture: Texture2D = NetworkManager.cached_texture(url)
	if texture == null:
		texture = await NetworkManager.texture(url)
	if is_instance_valid(picture) and texture != null:
		picture.texture = texture
		button.text = ""


func _show_add_menu() -> void:
	var at := _add_button.global_position + Vector2(ICON_SIZE + 8, 0)
	_add_menu.popup(Rect2i(Vector2i(at), Vector2i.ZERO))


func _on_add_menu(id: int) -> void:
	var dialog := PromptDialog.new()
	if id == Add.CREATE:
		dialog.field.placeholder_text = "My friends"
		dialog.submitted.connect(_create_server.bind(dialog))
		dialog.ask(get_tree().root, "Create a server", "Server name", "", "Create")
	else:
		dialog.field.placeholder_text = "e.g. x7Gq2Pk9"
		dialog.submitted.connect(_join_server.bind(dialog))
		dialog.ask(get_tree().root, "Join a server", "Invite code", "", "Join")


func _create_server(text: String, dialog: PromptDialog) -> void:
	var problem := Validation.entity_name(text, "Server name")
	if problem != "":
		dialog.show_error(problem)
		return
	var result := await DataManager.servers_api.create_server(text)
	if result.ok:
		dialog.close()
	else:
		dialog.show_error(result.message)


func _join_server(text: String, dialog: PromptDialog) -> void:
	var code := Validation.invite_code(text)
	if code == "":
		dialog.show_error("Enter an invite code.")
		return
	var result := await DataManager.servers_api.join_invite(code)
	if result.ok:
		dialog.close()
	else:
		dialog.show_error(result.message)
