## ChannelList: the server's name with its menu (invite, create channel, bans, audit log,
## export, mark read, notification settings, leave, delete), the text channels (unread ones
## bold with a dot, a badge with the mentions waiting, muted ones dim; right-click: mark read,
## notification settings, and rename / delete for admins), and the user panel at the bottom.
## Under Home: your DMs and group DMs instead (avatar, name, last activity, most recent
## first; unread and badges the same), "+" to start a group, and on right-click rename / add
## people / leave for a group, block / unblock for a DM.
extends PanelContainer

enum Item {
	INVITE,
	CREATE_CHANNEL,
	LEAVE,
	DELETE_SERVER,
	COPY_ID,
	RENAME_CHANNEL,
	DELETE_CHANNEL,
	CHANGE_ICON,
	REMOVE_ICON,
	BANS,
	AUDIT_LOG,
	EXPORT,
	NEW_GROUP,
	RENAME_GROUP,
	ADD_PEOPLE,
	LEAVE_GROUP,
	BLOCK,
	UNBLOCK,
	COPY_CHANNEL_ID,
	MARK_READ,
	MARK_SERVER_READ,
	CHANNEL_NOTIFICATIONS,
	SERVER_NOTIFICATIONS,
}

const Style := preload("res://scripts/ui/style.gd")
const PromptDialog := preload("res://scripts/ui/prompt_dialog.gd")
const ConfirmDialog := preload("res://scripts/ui/confirm_dialog.gd")
const InviteDialog := preload("res://scripts/ui/invite_dialog.gd")
const UserPanel := preload("res://scripts/ui/user_panel.gd")
const Permissions := preload("res://scripts/model/permissions.gd")
const Validation := preload("res://scripts/model/validation.gd")
const ImagePicker := preload("res://scripts/ui/image_picker.gd")
const BansDialog := preload("res://scripts/ui/bans_dialog.gd")
const AuditLogDialog := preload("res://scripts/ui/audit_log_dialog.gd")
const GroupDmDialog := preload("res://scripts/ui/group_dm_dialog.gd")
const NotificationDialog := preload("res://scripts/ui/notification_dialog.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const Ids := preload("res://scripts/model/ids.gd")

var _server_button: Button
var _add_channel: Button
var _section: Label
var _channels: VBoxContainer
var _server_menu := PopupMenu.new()
var _channel_menu := PopupMenu.new()
var _menu_channel_id := ""


func _ready() -> void:
	custom_minimum_size = Vector2(240, 0)
	add_theme_stylebox_override("panel", Style.box(Style.BG_SIDEBAR))
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 0)
	add_child(column)
	column.add_child(_build_header())
	var scroll := ScrollContainer.new()
	scroll.size_flags_vertical = Control.SIZE_EXPAND_FILL
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	column.add_child(scroll)
	var margin := MarginContainer.new()
	margin.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	for side: String in ["left", "right", "top"]:
		margin.add_theme_constant_override("margin_" + side, 8)
	scroll.add_child(margin)
	var inner := VBoxContainer.new()
	margin.add_child(inner)
	inner.add_child(_build_section_title())
	_channels = VBoxContainer.new()
	_channels.add_theme_constant_override("separation", 2)
	inner.add_child(_channels)
	column.add_child(UserPanel.new())
	_server_menu.id_pressed.connect(_on_item)
	_channel_menu.id_pressed.connect(_on_item)
	add_child(_server_menu)
	add_child(_channel_menu)
	DataManager.servers_changed.connect(_rebuild)
	DataManager.selection_changed.connect(_rebuild)
	DataManager.unread_changed.connect(_rebuild)
	DataManager.channels_changed.connect(func(_id: String) -> void: _rebuild())
	_rebuild()


func _build_header() -> Control:
	var header := Style.panel(Style.BG_SIDEBAR, 0, 6, 8)
	var line := Style.box(Style.BG_SIDEBAR, 0, 6, 8)
	line.border_color = Color("1f2023")
	line.border_width_bottom = 2
	header.add_theme_stylebox_override("panel", line)
	_server_button = Button.new()
	_server_button.theme_type_variation = &"FlatButton"
	_server_button.alignment = HORIZONTAL_ALIGNMENT_LEFT
	_server_button.icon_alignment = HORIZONTAL_ALIGNMENT_RIGHT
	_server_button.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_server_button.add_theme_font_override("font", Style.bold_font())
	_server_button.add_theme_font_size_override("font_size", 16)
	_server_button.add_theme_color_override("font_color", Style.TEXT_STRONG)
	_server_button.custom_minimum_size = Vector2(0, 36)
	_server_button.tooltip_text = "Server menu"
	_server_button.pressed.connect(_show_server_menu)
	header.add_child(_server_button)
	return header


func _build_section_title() -> Control:
	var row := HBoxContainer.new()
	_section = Style.label("TEXT CHANNELS", 12, Style.TEXT_MUTED)
	_section.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(_section)
	_add_channel = Button.new()
	_add_channel.name = "AddButton"
	_add_channel.text = "+"
	_add_channel.theme_type_variation = &"FlatButton"
	_add_channel.pressed.connect(
		func() -> void: _on_item(Item.NEW_GROUP if DataManager.is_home() else Item.CREATE_CHANNEL)
	)
	row.add_child(_add_channel)
	return row


func _rebuild() -> void:
	if DataManager.is_home():
		_rebuild_home()
		return
	_section.text = "TEXT CHANNELS"
	_add_channel.tooltip_text = "Create a channel"
	var server_id := DataManager.current_server_id
	var server: Dictionary = DataManager.servers.get(server_id, {})
	_server_button.text = str(server.get("name", "No server"))
	_server_button.icon = Style.chevron(Style.TEXT) if server_id != "" else null
	_server_button.disabled = server_id == ""
	var role := DataManager.my_role(server_id)
	_add_channel.visible = server_id != "" and Permissions.can_manage_channels(role)
	for child in _channels.get_children():
		child.queue_free()
	if server_id == "":
		_channels.add_child(
			Style.label("Create or join a server to start.", 13, Style.TEXT_MUTED, true)
		)
		return
	for channel in DataManager.channels_of(server_id):
		_channels.add_child(_channel_button(channel))


## Home: the DM list, most recently active first.
func _rebuild_home() -> void:
	_server_button.text = "Direct Messages"
	_server_button.icon = Style.chevron(Style.TEXT)
	_server_button.disabled = false
	_section.text = "DIRECT MESSAGES"
	_add_channel.visible = true
	_add_channel.tooltip_text = "Start a group DM"
	for child in _channels.get_children():
		child.queue_free()
	var list := DataManager.private_channels()
	if list.is_empty():
		var hint := (
			"No direct messages yet. Right-click someone in a server's member list and pick "
			+ "Message, or start a group with +."
		)
		_channels.add_child(Style.label(hint, 13, Style.TEXT_MUTED, true))
		return
	for channel in list:
		_channels.add_child(_dm_button(channel))


## One DM entry: avatar (the other person's, or the group's initials), name, last activity.
func _dm_button(channel: Dictionary) -> Button:
	var channel_id := str(channel["id"])
	var me_id := DataManager.me_id()
	var title := PrivateChannels.display_name(channel, me_id)
	var unread := DataManager.shows_unread(channel_id)
	var button := Button.new()
	button.theme_type_variation = &"ChannelButton"
	button.toggle_mode = true
	button.button_pressed = channel_id == DataManager.current_channel_id
	button.custom_minimum_size = Vector2(0, 46)
	button.tooltip_text = title
	button.pressed.connect(DataManager.select_channel.bind(channel_id))
	button.gui_input.connect(_on_dm_input.bind(channel_id))
	var row := HBoxContainer.new()
	row.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	row.offset_left = 8
	row.offset_right = -8
	row.add_theme_constant_override("separation", 10)
	row.mouse_filter = Control.MOUSE_FILTER_IGNORE
	button.add_child(row)
	var avatar := Avatar.new()
	var user := PrivateChannels.picture_user(channel, me_id)
	if user.is_empty():
		avatar.setup("", title, "", 32)
		avatar.add_theme_stylebox_override("panel", Style.box(Style.name_color(channel_id), 16))
	else:
		var user_id := Ids.of(user.get("id"))
		avatar.setup(
			user_id, title, DataManager.avatar_url(user_id, user.get("avatar_url", "")), 32
		)
	avatar.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	row.add_child(avatar)
	var text := VBoxContainer.new()
	text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	text.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	text.add_theme_constant_override("separation", 0)
	text.mouse_filter = Control.MOUSE_FILTER_IGNORE
	row.add_child(text)
	var strong := unread or button.button_pressed
	var name_label := Style.label(title, 14, Style.TEXT_STRONG if strong else Style.TEXT)
	name_label.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	if unread:
		name_label.add_theme_font_override("font", Style.bold_font())
	text.add_child(name_label)
	var when := TimeFormat.friendly(Ids.iso_time(DataManager.last_activity_id(channel_id)))
	var about := when
	if PrivateChannels.is_group(channel):
		var people := PrivateChannels.recipient_ids(channel).size()
		about = "%d members" % people + ("  ·  " + when if when != "" else "")
	var sub := Style.label(about, 11, Style.TEXT_MUTED)
	sub.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	text.add_child(sub)
	var count := DataManager.badge(channel_id)
	if count > 0:
		row.add_child(Style.badge(count))
	elif unread:
		row.add_child(Style.dot(Style.TEXT_STRONG, 8))
	if DataManager.reads.is_muted("", channel_id):
		button.modulate.a = 0.45
	return button


func _on_dm_input(event: InputEvent, channel_id: String) -> void:
	var click := event as InputEventMouseButton
	if click == null or not click.pressed or click.button_index != MOUSE_BUTTON_RIGHT:
		return
	var channel: Dictionary = DataManager.channels.get(channel_id, {})
	var me_id := DataManager.me_id()
	_menu_channel_id = channel_id
	_channel_menu.clear()
	_add_read_items(channel_id)
	_channel_menu.add_separator()
	if PrivateChannels.is_group(channel):
		_channel_menu.add_item("Rename group", Item.RENAME_GROUP)
		if Ids.of(channel.get("owner_id")) == me_id:
			_channel_menu.add_item("Add people", Item.ADD_PEOPLE)
		_channel_menu.add_item("Leave group", Item.LEAVE_GROUP)
	else:
		var other := PrivateChannels.other_id(channel, me_id)
		if other != "":
			var blocked := DataManager.is_blocked(other)
			_channel_menu.add_item(
				"Unblock" if blocked else "Block", Item.UNBLOCK if blocked else Item.BLOCK
			)
	_channel_menu.add_item("Copy channel ID", Item.COPY_CHANNEL_ID)
	_channel_menu.popup(Rect2i(Vector2i(click.global_position), Vector2i.ZERO))
	accept_event()


## "Mark as read" (when it is unread) and "Notification settings..." of a channel or DM.
func _add_read_items(channel_id: String) -> void:
	var reads := DataManager.reads
	if reads.is_unread(channel_id) or reads.mention_count(channel_id) > 0:
		_channel_menu.add_item("Mark as read", Item.MARK_READ)
	_channel_menu.add_item("Notification settings...", Item.CHANNEL_NOTIFICATIONS)


func _channel_button(channel: Dictionary) -> Button:
	var channel_id := str(channel["id"])
	var button := Button.new()
	button.text = "#  " + str(channel.get("name", ""))
	button.tooltip_text = str(channel.get("topic", ""))
	button.theme_type_variation = &"ChannelButton"
	button.alignment = HORIZONTAL_ALIGNMENT_LEFT
	button.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	button.toggle_mode = true
	button.button_pressed = channel_id == DataManager.current_channel_id
	var unread := DataManager.shows_unread(channel_id)
	if button.button_pressed or unread:
		button.add_theme_color_override("font_color", Style.TEXT_STRONG)
	if unread:
		button.add_theme_font_override("font", Style.bold_font())
	_mark(button, channel_id, unread)
	button.pressed.connect(DataManager.select_channel.bind(channel_id))
	button.gui_input.connect(_on_channel_input.bind(channel_id))
	return button


## The unread dot at the left edge, the mention badge at the right, and dim when muted.
static func _mark(button: Button, channel_id: String, unread: bool) -> void:
	if unread:
		var dot := Style.dot(Style.TEXT_STRONG, 8)
		dot.set_anchors_and_offsets_preset(Control.PRESET_CENTER_LEFT)
		dot.offset_left = -6
		dot.offset_right = 2
		dot.offset_top = -4
		dot.offset_bottom = 4
		button.add_child(dot)
	var count := DataManager.badge(channel_id)
	if count > 0:
		var badge := Style.badge(count)
		badge.set_anchors_and_offsets_preset(Control.PRESET_CENTER_RIGHT)
		badge.grow_horizontal = Control.GROW_DIRECTION_BEGIN
		badge.grow_vertical = Control.GROW_DIRECTION_BOTH
		badge.offset_right = -6
		button.add_child(badge)
		button.tooltip_text = (
			"%d mention%s" % [count, "" if count == 1 else "s"]
			+ ("\n" + button.tooltip_text if button.tooltip_text != "" else "")
		)
	if DataManager.reads.is_muted(DataManager.server_of(channel_id), channel_id):
		button.modulate.a = 0.45


func _on_channel_input(event: InputEvent, channel_id: String) -> void:
	var click := event as InputEventMouseButton
	if click == null or not click.pressed or click.button_index != MOUSE_BUTTON_RIGHT:
		return
	_menu_channel_id = channel_id
	_channel_menu.clear()
	_add_read_items(channel_id)
	if Permissions.can_manage_channels(DataManager.my_role(DataManager.current_server_id)):
		_channel_menu.add_separator()
		_channel_menu.add_item("Rename channel", Item.RENAME_CHANNEL)
		_channel_menu.add_item("Delete channel", Item.DELETE_CHANNEL)
	_channel_menu.popup(Rect2i(Vector2i(click.global_position), Vector2i.ZERO))
	accept_event()


func _show_server_menu() -> void:
	if DataManager.is_home():
		_server_menu.clear()
		_server_menu.add_item("Start a group DM", Item.NEW_GROUP)
		if DataManager.server_shows_unread(DataManager.HOME):
			_server_menu.add_item("Mark all DMs as read", Item.MARK_SERVER_READ)
		var below := _server_button.global_position + Vector2(0, _server_button.size.y + 4)
		_server_menu.popup(Rect2i(Vector2i(below), Vector2i(int(_server_button.size.x), 0)))
		return
	var server_id := DataManager.current_server_id
	var role := DataManager.my_role(server_id)
	_server_menu.clear()
	if Permissions.can_create_invites(role):
		_server_menu.add_item("Invite people", Item.INVITE)
	if Permissions.can_manage_channels(role):
		_server_menu.add_item("Create channel", Item.CREATE_CHANNEL)
		_server_menu.add_item("Change server icon...", Item.CHANGE_ICON)
		if DataManager.servers.get(server_id, {}).get("icon_url") is String:
			_server_menu.add_item("Remove server icon", Item.REMOVE_ICON)
	if Permissions.can_view_bans(role):
		_server_menu.add_item("Bans", Item.BANS)
	if Permissions.can_view_audit_log(role):
		_server_menu.add_item("Audit log", Item.AUDIT_LOG)
	if Permissions.can_export_server(role):
		_server_menu.add_item("Export server (JSON)", Item.EXPORT)
	_server_menu.add_item("Mark server as read", Item.MARK_SERVER_READ)
	_server_menu.add_item("Notification settings...", Item.SERVER_NOTIFICATIONS)
	_server_menu.add_item("Copy server ID", Item.COPY_ID)
	_server_menu.add_separator()
	if role == "owner":
		_server_menu.add_item("Delete server", Item.DELETE_SERVER)
	else:
		_server_menu.add_item("Leave server", Item.LEAVE)
	var at := _server_button.global_position + Vector2(0, _server_button.size.y + 4)
	_server_menu.popup(Rect2i(Vector2i(at), Vector2i(int(_server_button.size.x), 0)))


func _on_item(id: int) -> void:
	var server_id := DataManager.current_server_id
	var server_name := str(DataManager.servers.get(server_id, {}).get("name", ""))
	match id:
		Item.INVITE:
			InviteDialog.new().open(get_tree().root, server_id)
		Item.CREATE_CHANNEL:
			_prompt("Create a channel", "Channel name", "", "Create", _create_channel)
		Item.RENAME_CHANNEL:
			var current := str(DataManager.channels.get(_menu_channel_id, {}).get("name", ""))
			_prompt("Rename channel", "Channel name", current, "Save", _rename_channel)
		Item.DELETE_CHANNEL:
			var channel_name := str(DataManager.channels.get(_menu_channel_id, {}).get("name"))
			var text := "Delete #%s and all of its messages? This cannot be undone." % channel_name
			_confirm("Delete channel", text, "Delete", _delete_channel.bind(_menu_channel_id))
		Item.LEAVE:
			var text := "Leave %s? You will need a new invite to come back." % server_name
			_confirm(
				"Leave server", text, "Leave", DataManager.servers_api.leave_server.bind(server_id)
			)
		Item.DELETE_SERVER:
			var text := "Delete %s for everyone, with all its channels and messages?" % server_name
			_confirm(
				"Delete server",
				text,
				"Delete",
				DataManager.servers_api.delete_server.bind(server_id)
			)
		Item.COPY_ID:
			DisplayServer.clipboard_set(server_id)
		Item.CHANGE_ICON:
			var picker := ImagePicker.new()
			picker.picked.connect(_on_icon_picked.bind(server_id))
			picker.open(get_tree().root, "Pick an icon for %s" % server_name)
		Item.REMOVE_ICON:
			_icon_done(await DataManager.servers_api.remove_server_icon(server_id))
		Item.BANS:
			BansDialog.new().open(get_tree().root, server_id)
		Item.AUDIT_LOG:
			AuditLogDialog.new().open(get_tree().root, server_id)
		Item.EXPORT:
			_export(server_id, server_name)
		Item.NEW_GROUP:
			GroupDmDialog.new().open(get_tree().root)
		Item.ADD_PEOPLE:
			GroupDmDialog.new().open(get_tree().root, _menu_channel_id)
		Item.RENAME_GROUP, Item.LEAVE_GROUP, Item.BLOCK, Item.UNBLOCK, Item.COPY_CHANNEL_ID:
			_on_dm_item(id, _menu_channel_id)
		Item.MARK_READ:
			DataManager.reads_api.mark_channel_read(_menu_channel_id)
		Item.MARK_SERVER_READ:
			if DataManager.is_home():
				for channel in DataManager.private_channels():
					DataManager.reads_api.mark_channel_read(str(channel["id"]))
			else:
				DataManager.reads_api.mark_server_read(server_id)
		Item.CHANNEL_NOTIFICATIONS:
			NotificationDialog.new().open(get_tree().root, "", _menu_channel_id)
		Item.SERVER_NOTIFICATIONS:
			NotificationDialog.new().open(get_tree().root, server_id, "")


func _on_dm_item(id: int, channel_id: String) -> void:
	var channel: Dictionary = DataManager.channels.get(channel_id, {})
	var title := PrivateChannels.display_name(channel, DataManager.me_id())
	var other := PrivateChannels.other_id(channel, DataManager.me_id())
	match id:
		Item.RENAME_GROUP:
			var current := str(channel.get("name", ""))
			var dialog := PromptDialog.new()
			dialog.field.placeholder_text = title
			dialog.submitted.connect(_rename_group.bind(dialog, channel_id))
			dialog.ask(
				get_tree().root,
				"Rename group",
				"Group name (empty: its people's names)",
				current,
				"Save"
			)
		Item.LEAVE_GROUP:
			var text := (
				"Leave %s? You will not see its messages unless someone adds you back." % title
			)
			_confirm("Leave group", text, "Leave", DataManager.dms_api.leave_group.bind(channel_id))
		Item.BLOCK:
			var text := (
				"Block %s? Their messages are collapsed, and neither of you can message the other."
				% title
			)
			_confirm("Block", text, "Block", DataManager.dms_api.block.bind(other))
		Item.UNBLOCK:
			DataManager.dms_api.unblock(other)
		Item.COPY_CHANNEL_ID:
			DisplayServer.clipboard_set(channel_id)


func _rename_group(text: String, dialog: PromptDialog, channel_id: String) -> void:
	var result := await DataManager.dms_api.rename_group(channel_id, text)
	if result.ok:
		dialog.close()
	else:
		dialog.show_error(result.message)


func _export(server_id: String, server_name: String) -> void:
	var folder := OS.get_system_dir(OS.SYSTEM_DIR_DOWNLOADS)
	if folder == "":
		folder = OS.get_user_data_dir()
	DataManager.notice.emit("Exporting %s..." % server_name, false)
	var saved: String = await DataManager.moderation_api.export_server(server_id, folder)
	if saved.begins_with("!"):
		DataManager.notice.emit("Could not export the server: " + saved.substr(1), true)
	else:
		DataManager.notice.emit("Saved " + saved, false)


func _on_icon_picked(path: String, server_id: String) -> void:
	DataManager.notice.emit("Uploading the server icon...", false)
	_icon_done(await DataManager.servers_api.set_server_icon(server_id, path))


func _icon_done(problem: String) -> void:
	if problem == "":
		DataManager.notice.emit("The server icon is updated.", false)
	else:
		DataManager.notice.emit("Could not change the server icon: " + problem, true)


func _prompt(heading: String, hint: String, initial: String, ok: String, then: Callable) -> void:
	var dialog := PromptDialog.new()
	dialog.submitted.connect(then.bind(dialog))
	dialog.ask(get_tree().root, heading, hint, initial, ok)


func _confirm(heading: String, text: String, ok: String, then: Callable) -> void:
	var dialog := ConfirmDialog.new()
	dialog.decided.connect(_on_decided.bind(then))
	dialog.ask(get_tree().root, heading, text, ok)


func _on_decided(accepted: bool, then: Callable) -> void:
	if accepted:
		then.call()


func _create_channel(text: String, dialog: PromptDialog) -> void:
	var problem := Validation.entity_name(text, "Channel name")
	if problem != "":
		dialog.show_error(problem)
		return
	var result := await DataManager.servers_api.create_channel(DataManager.current_server_id, text)
	if result.ok:
		dialog.close()
	else:
		dialog.show_error(result.message)


func _rename_channel(text: String, dialog: PromptDialog) -> void:
	var problem := Validation.entity_name(text, "Channel name")
	if problem != "":
		dialog.show_error(problem)
		return
	var result := await DataManager.servers_api.rename_channel(_menu_channel_id, text)
	if result.ok:
		dialog.close()
	else:
		dialog.show_error(result.message)


func _delete_channel(channel_id: String) -> void:
	DataManager.servers_api.delete_channel(channel_id)
