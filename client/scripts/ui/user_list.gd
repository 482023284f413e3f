## UserList: the server's members, online first, each with presence and role; right-click a
## member to message them (open or start your DM), block or unblock them, and to change their
## role, time them out, remove or ban them when your role allows it. Under Home: the people
## of the DM or group DM shown (the group's creator can remove them).
## A large server's list is shown a page (100 members, by user id) at a time: the client
## subscribes to the page shown (gateway op 14) and gets presence for those members only;
## Prev / Next turn the page.
extends PanelContainer

const Style := preload("res://scripts/ui/style.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")
const ConfirmDialog := preload("res://scripts/ui/confirm_dialog.gd")
const Permissions := preload("res://scripts/model/permissions.gd")
const BanDialog := preload("res://scripts/ui/ban_dialog.gd")
const TimeoutDialog := preload("res://scripts/ui/timeout_dialog.gd")
const ModerationActions := preload("res://scripts/model/moderation_actions.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const Ids := preload("res://scripts/model/ids.gd")

const KICK_ID := 100
const BAN_ID := 101
const TIMEOUT_ID := 102
const LIFT_TIMEOUT_ID := 103
const MESSAGE_ID := 104
const BLOCK_ID := 105
const UNBLOCK_ID := 106
const REMOVE_FROM_GROUP_ID := 107
const ROLE_COLORS := {
	"owner": Color("f0b232"), "admin": Color("f47b67"), "moderator": Color("45ddc0")
}

var _column: VBoxContainer
var _menu := PopupMenu.new()
var _menu_user_id := ""
var _menu_username := ""
var _menu_roles: Array[String] = []
var _dirty := false


func _ready() -> void:
	custom_minimum_size = Vector2(240, 0)
	add_theme_stylebox_override("panel", Style.box(Style.BG_SIDEBAR, 0, 12, 8))
	var scroll := ScrollContainer.new()
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	add_child(scroll)
	_column = VBoxContainer.new()
	_column.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_column.add_theme_constant_override("separation", 2)
	scroll.add_child(_column)
	_menu.id_pressed.connect(_on_menu)
	add_child(_menu)
	DataManager.members_changed.connect(_on_members_changed)
	DataManager.selection_changed.connect(_mark_dirty)
	DataManager.presence_changed.connect(func(_id: String) -> void: _mark_dirty())
	DataManager.blocks_changed.connect(_mark_dirty)
	DataManager.channels_changed.connect(_on_members_changed)
	_mark_dirty()


## Redraws at most once a frame however many events arrive.
func _process(_delta: float) -> void:
	if _dirty:
		_dirty = false
		_rebuild()


func _mark_dirty() -> void:
	_dirty = true


func _on_members_changed(server_id: String) -> void:
	if server_id == DataManager.current_server_id:
		_mark_dirty()


func _rebuild() -> void:
	for child in _column.get_children():
		child.queue_free()
	var server_id := DataManager.current_server_id
	if server_id == "":
		return
	if DataManager.is_home():
		_rebuild_recipients()
		return
	if DataManager.is_large(server_id):
		_rebuild_page(server_id)
		return
	if not DataManager.members.has(server_id):
		_column.add_child(Style.label("Loading members...", 13, Style.TEXT_MUTED))
		return
	var online: Array[Dictionary] = []
	var offline: Array[Dictionary] = []
	for member: Dictionary in DataManager.members[server_id].values():
		var user_id := str(member.get("user", {}).get("id", ""))
		if DataManager.status_of(user_id) == "offline":
			offline.append(member)
		else:
			online.append(member)
	_section("ONLINE", online)
	_section("OFFLINE", offline)


## A large server: the page subscribed to, online first, with the page buttons on top.
func _rebuild_page(server_id: String) -> void:
	var page: Dictionary = DataManager.member_pages.get(server_id, {})
	var count := int(DataManager.servers.get(server_id, {}).get("member_count", 0))
	var number := DataManager.member_list_api.member_page_number(server_id)
	var bar := HBoxContainer.new()
	bar.add_theme_constant_override("separation", 6)
	var heading := Style.label("MEMBERS  -  %d  ·  PAGE %d" % [count, number], 12, Style.TEXT_MUTED)
	heading.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	bar.add_child(heading)
	var back := Button.new()
	back.text = "<"
	back.tooltip_text = "Previous page"
	back.disabled = number <= 1
	back.pressed.connect(
		func() -> void: DataManager.member_list_api.previous_member_page(server_id)
	)
	bar.add_child(back)
	var forward := Button.new()
	forward.text = ">"
	forward.tooltip_text = "Next page"
	forward.disabled = not DataManager.member_list_api.has_next_member_page(server_id)
	forward.pressed.connect(func() -> void: DataManager.member_list_api.next_member_page(server_id))
	bar.add_child(forward)
	_column.add_child(bar)
	if page.is_empty():
		_column.add_child(Style.label("Loading members...", 13, Style.TEXT_MUTED))
		return
	var online: Array[Dictionary] = []
	var offline: Array[Dictionary] = []
	for member: Dictionary in page.get("members", []):
		var user_id := str(member.get("user", {}).get("id", ""))
		if DataManager.status_of(user_id) == "offline":
			offline.append(member)
		else:
			online.append(member)
	_section("ONLINE", online)
	_section("OFFLINE", offline)


## Home: the people of the DM or group DM shown (its creator marked as the group's owner).
func _rebuild_recipients() -> void:
	var channel: Dictionary = DataManager.channels.get(DataManager.current_channel_id, {})
	if not PrivateChannels.is_private(channel):
		return
	var owner_id := Ids.of(channel.get("owner_id"))
	var online: Array[Dictionary] = []
	var offline: Array[Dictionary] = []
	for user: Variant in channel.get("recipients", []):
		if not user is Dictionary:
			continue
		var user_id := Ids.of((user as Dictionary).get("id"))
		var group_owner := PrivateChannels.is_group(channel) and user_id == owner_id
		var entry := {"user": user, "role": "owner" if group_owner else "member"}
		if DataManager.status_of(user_id) == "offline" and user_id != DataManager.me_id():
			offline.append(entry)
		else:
			online.append(entry)
	_section("ONLINE", online)
	_section("OFFLINE", offline)


func _section(title: String, list: Array[Dictionary]) -> void:
	if list.is_empty():
		return
	list.sort_custom(_member_before)
	var heading := Style.label("%s  -  %d" % [title, list.size()], 12, Style.TEXT_MUTED)
	heading.custom_minimum_size = Vector2(0, 30)
	heading.vertical_alignment = VERTICAL_ALIGNMENT_BOTTOM
	_column.add_child(heading)
	for member in list:
		_column.add_child(_member_row(member))


func _member_row(member: Dictionary) -> Control:
	var user: Dictionary = member.get("user", {})
	var user_id := str(user.get("id", ""))
	var username := str(user.get("username", "?"))
	var status := DataManager.status_of(user_id)
	var role := str(member.get("role", "member"))
	var row := Style.panel(Color(0, 0, 0, 0), 4, 4, 6)
	row.mouse_filter = Control.MOUSE_FILTER_STOP
	row.tooltip_text = "%s - %s, %s" % [username, Permissions.label(role), _status_text(status)]
	row.gui_input.connect(_on_row_input.bind(user_id, role, username))
	var line := HBoxContainer.new()
	line.add_theme_constant_override("separation", 10)
	line.mouse_filter = Control.MOUSE_FILTER_IGNORE
	row.add_child(line)
	var avatar := Avatar.new()
	avatar.setup(user_id, username, DataManager.avatar_url(user_id, user.get("avatar_url", "")), 32)
	line.add_child(avatar)
	line.add_child(Style.dot(Style.presence_color(status), 10))
	var name_label := Style.label(username, 14, Style.name_color(user_id))
	name_label.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	name_label.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	line.add_child(name_label)
	if Style.is_bot(user):
		line.add_child(Style.bot_tag())
	if DataManager.is_blocked(user_id):
		line.add_child(Style.label("blocked", 11, Style.RED))
	if role != "member":
		line.add_child(Style.label(Permissions.label(role), 11, ROLE_COLORS.get(role, Style.GRAY)))
	var timeout_end := ModerationActions.timeout_end(member)
	if timeout_end > 0.0:
		var muted := Style.label("timed out", 11, Style.YELLOW)
		muted.tooltip_text = (
			"Timed out until " + TimeFormat.friendly(member["communication_disabled_until"])
		)
		line.add_child(muted)
	if status == "offline":
		row.modulate.a = 0.45
	return row


func _on_row_input(event: InputEvent, user_id: String, role: String, username: String) -> void:
	var click := event as InputEventMouseButton
	if click == null or not click.pressed or click.button_index != MOUSE_BUTTON_RIGHT:
		return
	var mine := DataManager.my_role(DataManager.current_server_id)
	if user_id == DataManager.me_id():
		return
	_menu.clear()
	_menu_user_id = user_id
	_menu_username = username
	_add_people_items(user_id)
	_menu_roles = [] as Array[String]
	if not DataManager.is_home():
		_add_moderation_items(user_id, role, mine)
	_menu.popup(Rect2i(Vector2i(click.global_position), Vector2i.ZERO))


## Role changes, timeout, removal and ban, as far as your role allows.
func _add_moderation_items(user_id: String, role: String, mine: String) -> void:
	_menu_roles = Permissions.assignable_roles(mine, role)
	if not _menu_roles.is_empty():
		_menu.add_separator()
	for i in _menu_roles.size():
		_menu.add_item("Make " + Permissions.label(_menu_roles[i]).to_lower(), i)
	if Permissions.can_kick(mine, role):
		_menu.add_separator()
		var member: Dictionary = DataManager.members.get(DataManager.current_server_id, {}).get(
			user_id, {}
		)
		if ModerationActions.timeout_end(member) > 0.0:
			_menu.add_item("Remove timeout", LIFT_TIMEOUT_ID)
		else:
			_menu.add_item("Time out...", TIMEOUT_ID)
		_menu.add_item("Remove from server", KICK_ID)
	if Permissions.can_ban(mine, role):
		_menu.add_item("Ban...", BAN_ID)


## "Message", "Block" / "Unblock", and for the creator of the group shown "Remove from group".
func _add_people_items(user_id: String) -> void:
	var channel: Dictionary = DataManager.channels.get(DataManager.current_channel_id, {})
	var me_id := DataManager.me_id()
	var in_their_dm := (
		PrivateChannels.is_private(channel)
		and not PrivateChannels.is_group(channel)
		and PrivateChannels.other_id(channel, me_id) == user_id
	)
	if not in_their_dm:
		_menu.add_item("Message", MESSAGE_ID)
	if DataManager.is_blocked(user_id):
		_menu.add_item("Unblock", UNBLOCK_ID)
	else:
		_menu.add_item("Block", BLOCK_ID)
	if PrivateChannels.is_group(channel) and Ids.of(channel.get("owner_id")) == me_id:
		_menu.add_item("Remove from group", REMOVE_FROM_GROUP_ID)


func _on_menu(id: int) -> void:
	var server_id := DataManager.current_server_id
	var username := _menu_username
	if id in [MESSAGE_ID, BLOCK_ID, UNBLOCK_ID, REMOVE_FROM_GROUP_ID]:
		_on_people_item(id, _menu_user_id, username)
		return
	if id == BAN_ID:
		var dialog := BanDialog.new()
		dialog.submitted.connect(_on_ban.bind(dialog, server_id, _menu_user_id, username))
		dialog.ask(get_tree().root, username)
	elif id == TIMEOUT_ID:
		var dialog := TimeoutDialog.new()
		dialog.submitted.connect(_on_timeout.bind(dialog, server_id, _menu_user_id, username))
		dialog.ask(get_tree().root, username)
	elif id == LIFT_TIMEOUT_ID:
		var result: ApiResult = await DataManager.moderation_api.lift_timeout(
			server_id, _menu_user_id
		)
		if result.ok:
			DataManager.notice.emit("%s can talk again." % username, false)
		else:
			DataManager.notice.emit("Could not remove the timeout: " + result.message, true)
	elif id == KICK_ID:
		var dialog := ConfirmDialog.new()
		dialog.decided.connect(_on_kick_decided.bind(server_id, _menu_user_id))
		dialog.ask(
			get_tree().root, "Remove member", "Remove %s from the server?" % username, "Remove"
		)
	elif id >= 0 and id < _menu_roles.size():
		DataManager.servers_api.set_member_role(server_id, _menu_user_id, _menu_roles[id])


func _on_ban(
	reason: String,
	seconds: int,
	dialog: BanDialog,
	server_id: String,
	user_id: String,
	username: String
) -> void:
	var result: ApiResult = await DataManager.moderation_api.ban(
		server_id, user_id, reason, seconds
	)
	if result.ok:
		dialog.close()
		DataManager.notice.emit("%s is banned." % username, false)
	else:
		dialog.show_error(result.message)


func _on_timeout(
	seconds: int, dialog: TimeoutDialog, server_id: String, user_id: String, username: String
) -> void:
	var result: ApiResult = await DataManager.moderation_api.timeout(server_id, user_id, seconds)
	if result.ok:
		dialog.close()
		var until := str(result.dict().get("communication_disabled_until", ""))
		DataManager.notice.emit(
			"%s is timed out until %s." % [username, TimeFormat.friendly(until)], false
		)
	else:
		dialog.show_error(result.message)


func _on_people_item(id: int, user_id: String, username: String) -> void:
	match id:
		MESSAGE_ID:
			var result: ApiResult = await DataManager.dms_api.open_dm(user_id)
			if not result.ok:
				DataManager.notice.emit(
					"Could not message %s: %s" % [username, result.message], true
				)
		BLOCK_ID:
			var dialog := ConfirmDialog.new()
			dialog.decided.connect(
				func(accepted: bool) -> void:
					if accepted:
						DataManager.dms_api.block(user_id)
			)
			var text := (
				"Block %s? Their messages are collapsed, and neither of you can message the other."
				% username
			)
			dialog.ask(get_tree().root, "Block", text, "Block")
		UNBLOCK_ID:
			DataManager.dms_api.unblock(user_id)
		REMOVE_FROM_GROUP_ID:
			DataManager.dms_api.remove_person(DataManager.current_channel_id, user_id)


func _on_kick_decided(accepted: bool, server_id: String, user_id: String) -> void:
	if accepted:
		DataManager.servers_api.kick_member(server_id, user_id)


static func _status_text(status: String) -> String:
	return {"online": "online", "away": "away", "dnd": "do not disturb"}.get(status, "offline")


static func _member_before(a: Dictionary, b: Dictionary) -> bool:
	var ra := Permissions.rank(str(a.get("role", "member")))
	var rb := Permissions.rank(str(b.get("role", "member")))
	if ra != rb:
		return ra > rb
	return str(a.get("user", {}).get("username", "")) < str(b.get("user", {}).get("username", ""))
