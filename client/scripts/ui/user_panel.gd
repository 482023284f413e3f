## The signed-in user at the bottom of the channel column: avatar (click it to change or
## remove it, or open My account: download my data, delete my account), name, connection
## state (always visible), the status selector and sign-out.
extends PanelContainer

enum Picture { CHANGE, REMOVE, ACCOUNT }

const Style := preload("res://scripts/ui/style.gd")
const GatewaySession := preload("res://scripts/net/gateway_session.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")
const ImagePicker := preload("res://scripts/ui/image_picker.gd")
const AccountDialog := preload("res://scripts/ui/account_dialog.gd")

const STATUSES := [
	["online", "Online"], ["away", "Away"], ["dnd", "Do Not Disturb"], ["invisible", "Invisible"]
]

var _avatar_slot := MarginContainer.new()
var _name: Label
var _link_dot: Panel
var _link_text: Label
var _status := OptionButton.new()
var _last_link := ""
var _picture_menu := PopupMenu.new()


func _ready() -> void:
	add_theme_stylebox_override("panel", Style.box(Color("232428"), 0, 8, 8))
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 6)
	add_child(column)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 8)
	column.add_child(row)
	row.add_child(_avatar_slot)
	_avatar_slot.tooltip_text = "Your avatar and account"
	_avatar_slot.mouse_filter = Control.MOUSE_FILTER_STOP
	_avatar_slot.mouse_default_cursor_shape = Control.CURSOR_POINTING_HAND
	_avatar_slot.gui_input.connect(_on_avatar_input)
	_picture_menu.id_pressed.connect(_on_picture_menu)
	add_child(_picture_menu)
	var names := VBoxContainer.new()
	names.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	names.add_theme_constant_override("separation", 0)
	row.add_child(names)
	_name = Style.label("", 14, Style.TEXT_STRONG)
	_name.add_theme_font_override("font", Style.bold_font())
	_name.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	names.add_child(_name)
	var link := HBoxContainer.new()
	link.add_theme_constant_override("separation", 5)
	_link_dot = Style.dot(Style.GRAY, 8)
	link.add_child(_link_dot)
	_link_text = Style.label("", 12, Style.TEXT_MUTED)
	_link_text.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_link_text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	link.add_child(_link_text)
	names.add_child(link)
	var logout := Button.new()
	logout.text = "Log out"
	logout.theme_type_variation = &"FlatButton"
	logout.add_theme_font_size_override("font_size", 12)
	logout.tooltip_text = "Sign out of this device"
	logout.pressed.connect(func() -> void: AuthManager.logout())
	row.add_child(logout)
	for i in STATUSES.size():
		_status.add_item(STATUSES[i][1], i)
	_status.tooltip_text = "Your status"
	_status.add_theme_font_size_override("font_size", 13)
	_status.item_selected.connect(_on_status_selected)
	column.add_child(_status)
	DataManager.me_changed.connect(_refresh_me)
	NetworkManager.gateway_status_changed.connect(func(_s: int) -> void: _refresh_link())
	_refresh_me()
	_refresh_link()


func _process(_delta: float) -> void:
	if NetworkManager.gateway_status() == GatewaySession.Status.RECONNECTING:
		_refresh_link()


func _refresh_me() -> void:
	var me := DataManager.me
	_name.text = str(me.get("username", ""))
	for child in _avatar_slot.get_children():
		child.queue_free()
	var avatar := Avatar.new()
	var url: Variant = me.get("avatar_url")
	avatar.setup(DataManager.me_id(), _name.text, url if url is String else "", 32)
	_avatar_slot.add_child(avatar)
	var chosen := str(me.get("status", "online"))
	for i in STATUSES.size():
		if STATUSES[i][0] == chosen:
			_status.select(i)
	var colors := {"online": Style.GREEN, "away": Style.YELLOW, "dnd": Style.RED}
	_status.add_theme_color_override("font_color", colors.get(chosen, Style.GRAY))


func _refresh_link() -> void:
	var status := NetworkManager.gateway_status()
	var color := Style.GRAY
	var text := "Offline"
	match status:
		GatewaySession.Status.CONNECTED:
			color = Style.GREEN
			text = "Connected"
		GatewaySession.Status.CONNECTING:
			color = Style.YELLOW
			text = "Connecting..."
		GatewaySession.Status.RECONNECTING:
			color = Style.YELLOW
			var wait := ceili(NetworkManager.reconnect_in_seconds())
			text = "Reconnecting in %ds" % wait if wait > 0 else "Reconnecting..."
		GatewaySession.Status.AUTH_FAILED:
			color = Style.RED
			text = "Signed out"
	if text == _last_link:
		return
	_last_link = text
	_link_text.text = text
	_link_dot.add_theme_stylebox_override("panel", Style.box(color, 4))


func _on_status_selected(index: int) -> void:
	DataManager.servers_api.set_status(STATUSES[index][0])


func _on_avatar_input(event: InputEvent) -> void:
	var click := event as InputEventMouseButton
	if click == null or not click.pressed:
		return
	_picture_menu.clear()
	_picture_menu.add_item("Change avatar...", Picture.CHANGE)
	if DataManager.me.get("avatar_url") is String:
		_picture_menu.add_item("Remove avatar", Picture.REMOVE)
	_picture_menu.add_separator()
	_picture_menu.add_item("My account (data, delete)...", Picture.ACCOUNT)
	_picture_menu.popup(Rect2i(Vector2i(click.global_position), Vector2i.ZERO))
	accept_event()


func _on_picture_menu(id: int) -> void:
	if id == Picture.ACCOUNT:
		AccountDialog.new().open(get_tree().root)
		return
	if id == Picture.REMOVE:
		_report(await DataManager.servers_api.remove_avatar(), "Your avatar was removed.")
		return
	var picker := ImagePicker.new()
	picker.picked.connect(_on_avatar_picked)
	picker.open(get_tree().root, "Pick your avatar")


func _on_avatar_picked(path: String) -> void:
	DataManager.notice.emit("Uploading your avatar...", false)
	_report(await DataManager.servers_api.set_avatar(path), "Your avatar is updated.")


func _report(problem: String, success: String) -> void:
	if problem == "":
		DataManager.notice.emit(success, false)
	else:
		DataManager.notice.emit("Could not change your avatar: " + problem, true)
