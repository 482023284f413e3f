## Starts a group DM, or adds people to one you created: pick up to 9 others (fewer when the
## group has people already) from everyone you share a server with, filter by name, and for a
## new group optionally name it. The limit and the server's refusals show under the list.
extends ConfirmationDialog

const Style := preload("res://scripts/ui/style.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const Ids := preload("res://scripts/model/ids.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")

## The group people are added to ("" for a new group).
var channel_id := ""

var _name := LineEdit.new()
var _name_title: Label
var _filter := LineEdit.new()
var _list := VBoxContainer.new()
var _count: Label
var _error: Label
var _people: Array[Dictionary] = []
## user_id -> true for the people ticked.
var _picked := {}
var _existing := 1


func _init() -> void:
	dialog_hide_on_ok = false
	exclusive = true
	var box := VBoxContainer.new()
	box.add_theme_constant_override("separation", 8)
	box.custom_minimum_size = Vector2(420, 0)
	_name_title = Style.label("GROUP NAME (OPTIONAL)", 12, Style.TEXT_MUTED)
	box.add_child(_name_title)
	_name.name = "GroupName"
	_name.max_length = PrivateChannels.GROUP_NAME_MAX
	box.add_child(_name)
	_filter.name = "Filter"
	_filter.placeholder_text = "Type a name to filter"
	_filter.clear_button_enabled = true
	_filter.text_changed.connect(func(_text: String) -> void: _fill())
	box.add_child(_filter)
	var scroll := ScrollContainer.new()
	scroll.custom_minimum_size = Vector2(0, 260)
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	_list.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_list.add_theme_constant_override("separation", 2)
	scroll.add_child(_list)
	box.add_child(scroll)
	_count = Style.label("", 12, Style.TEXT_MUTED)
	box.add_child(_count)
	_error = Style.label("", 13, Style.RED, true)
	_error.custom_minimum_size = Vector2(420, 0)
	_error.visible = false
	box.add_child(_error)
	add_child(box)
	confirmed.connect(_on_confirmed)
	canceled.connect(queue_free)


## Shows the dialog over `parent`: a new group, or adding people to `group_id`.
func open(parent: Node, group_id := "") -> void:
	channel_id = group_id
	var channel: Dictionary = DataManager.channels.get(group_id, {})
	_existing = PrivateChannels.recipient_ids(channel).size() if group_id != "" else 1
	if group_id == "":
		title = "Start a group DM"
		ok_button_text = "Create group"
	else:
		title = "Add people to %s" % PrivateChannels.display_name(channel, DataManager.me_id())
		ok_button_text = "Add"
		_name_title.visible = false
		_name.visible = false
	get_ok_button().theme_type_variation = &"AccentButton"
	parent.add_child(self)
	popup_centered()
	_filter.grab_focus()
	_list.add_child(
		Style.label("Loading the people you share servers with...", 13, Style.TEXT_MUTED)
	)
	_update_count()
	await DataManager.dms_api.load_people()
	if not is_inside_tree():
		return
	_people = DataManager.dms_api.candidates(PrivateChannels.recipient_ids(channel))
	_fill()


## Ticks someone (for screenshots and tests of the dialog).
func pick(user_id: String, on := true) -> void:
	if on:
		_picked[user_id] = true
	else:
		_picked.erase(user_id)
	_fill()


func show_error(text: String) -> void:
	_error.text = text
	_error.visible = text != ""
	get_ok_button().disabled = false


func _fill() -> void:
	for child in _list.get_children():
		_list.remove_child(child)
		child.queue_free()
	var wanted := _filter.text.strip_edges().to_lower()
	var shown := 0
	for user in _people:
		var username := str(user.get("username", ""))
		var user_id := Ids.of(user.get("id"))
		if wanted != "" and not username.to_lower().contains(wanted) and not _picked.has(user_id):
			continue
		_list.add_child(_row(user))
		shown += 1
	if shown == 0:
		var why := (
			"Nobody matches."
			if wanted != ""
			else "Nobody to add: you share no server with anyone else."
		)
		_list.add_child(Style.label(why, 13, Style.TEXT_MUTED, true))
	_update_count()


func _row(user: Dictionary) -> Control:
	var user_id := Ids.of(user.get("id"))
	var username := str(user.get("username", "?"))
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 10)
	var avatar := Avatar.new()
	avatar.setup(user_id, username, DataManager.avatar_url(user_id, user.get("avatar_url", "")), 28)
	avatar.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	row.add_child(avatar)
	var tick := CheckBox.new()
	tick.text = username
	tick.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	tick.button_pressed = _picked.has(user_id)
	tick.toggled.connect(
		func(on: bool) -> void:
			if on:
				_picked[user_id] = true
			else:
				_picked.erase(user_id)
			_update_count()
	)
	row.add_child(tick)
	return row


func _update_count() -> void:
	var room := PrivateChannels.GROUP_MAX - _existing
	_count.text = "%d of %d picked" % [_picked.size(), room]
	var over := _picked.size() > room
	_count.add_theme_color_override("font_color", Style.RED if over else Style.TEXT_MUTED)
	if over:
		show_error(PrivateChannels.group_problem(_picked.size(), _existing))
	elif _error.visible and _picked.size() > 0:
		show_error("")


func _chosen() -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	for user in _people:
		if _picked.has(Ids.of(user.get("id"))):
			out.append(user)
	return out


func _on_confirmed() -> void:
	var chosen := _chosen()
	var problem := PrivateChannels.group_problem(chosen.size(), _existing)
	if problem != "":
		show_error(problem)
		return
	get_ok_button().disabled = true
	var result: ApiResult
	if channel_id == "":
		var ids: Array[String] = []
		for user in chosen:
			ids.append(Ids.of(user.get("id")))
		result = await DataManager.dms_api.create_group(ids, _name.text)
	else:
		result = await DataManager.dms_api.add_people(channel_id, chosen)
	if not is_inside_tree():
		return
	if result.ok:
		hide()
		queue_free()
	else:
		show_error(result.message)
