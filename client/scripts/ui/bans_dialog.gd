## Server settings > Bans (moderators and above): who is banned, why and since when, with
## "Lift ban" on each.
extends AcceptDialog

const Style := preload("res://scripts/ui/style.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")

var _server_id := ""
var _list := VBoxContainer.new()
var _status: Label


func _init() -> void:
	exclusive = true
	ok_button_text = "Close"
	min_size = Vector2i(520, 420)
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 8)
	_status = Style.label("Loading bans...", 13, Style.TEXT_MUTED, true)
	column.add_child(_status)
	var scroll := ScrollContainer.new()
	scroll.size_flags_vertical = Control.SIZE_EXPAND_FILL
	scroll.custom_minimum_size = Vector2(500, 340)
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	_list.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_list.add_theme_constant_override("separation", 6)
	scroll.add_child(_list)
	column.add_child(scroll)
	add_child(column)
	confirmed.connect(queue_free)
	canceled.connect(queue_free)


func open(parent: Node, server_id: String) -> void:
	_server_id = server_id
	var server_name := str(DataManager.servers.get(server_id, {}).get("name", "the server"))
	title = "Bans - %s" % server_name
	parent.add_child(self)
	popup_centered()
	await reload()


func reload() -> void:
	for child in _list.get_children():
		child.queue_free()
	_status.text = "Loading bans..."
	var result: ApiResult = await DataManager.moderation_api.load_bans(_server_id)
	if not result.ok:
		_status.text = "Could not load the bans: " + result.message
		return
	var bans := result.list()
	_status.text = "Nobody is banned." if bans.is_empty() else "%d banned" % bans.size()
	for ban: Variant in bans:
		if ban is Dictionary:
			_list.add_child(_row(ban))


func _row(ban: Dictionary) -> Control:
	var user: Dictionary = ban.get("user", {})
	var user_id := str(user.get("id", ""))
	var username := str(user.get("username", "?"))
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 10)
	var avatar := Avatar.new()
	avatar.setup(user_id, username, DataManager.avatar_url(user_id, user.get("avatar_url", "")), 32)
	row.add_child(avatar)
	var text := VBoxContainer.new()
	text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	text.add_theme_constant_override("separation", 0)
	text.add_child(Style.label(username, 14, Style.TEXT_STRONG))
	var reason: Variant = ban.get("reason")
	var why := str(reason) if reason is String and reason != "" else "No reason given"
	var since := TimeFormat.friendly(str(ban.get("created_at", "")))
	text.add_child(Style.label("%s - %s" % [why, since], 12, Style.TEXT_MUTED, true))
	row.add_child(text)
	var lift := Button.new()
	lift.text = "Lift ban"
	lift.pressed.connect(_lift.bind(user_id, username, lift))
	row.add_child(lift)
	return row


func _lift(user_id: String, username: String, button: Button) -> void:
	button.disabled = true
	var result: ApiResult = await DataManager.moderation_api.unban(_server_id, user_id)
	if result.ok or result.code == "unknown_ban":
		DataManager.notice.emit("%s can join again with an invite." % username, false)
		await reload()
	else:
		button.disabled = false
		_status.text = "Could not lift the ban: " + result.message
