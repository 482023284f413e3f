## Server settings > Audit log (admins and the owner): who did what to whom and why, newest
## first, filtered by kind of action, 50 at a time ("Load older").
extends AcceptDialog

const Style := preload("res://scripts/ui/style.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const ModerationActions := preload("res://scripts/model/moderation_actions.gd")
const Api := preload("res://scripts/net/api.gd")
const Ids := preload("res://scripts/model/ids.gd")

var _server_id := ""
var _filter := OptionButton.new()
var _actions: Array[String] = [""]
var _list := VBoxContainer.new()
var _status: Label
var _older := Button.new()
var _last_id := ""


func _init() -> void:
	exclusive = true
	ok_button_text = "Close"
	min_size = Vector2i(640, 480)
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 8)
	var top := HBoxContainer.new()
	top.add_theme_constant_override("separation", 8)
	top.add_child(Style.label("SHOW", 12, Style.TEXT_MUTED))
	_filter.add_item("Every action", 0)
	for action: String in ModerationActions.ACTION_TEXT:
		_actions.append(action)
		_filter.add_item(action.replace("_", " ").capitalize(), _actions.size() - 1)
	_filter.item_selected.connect(func(_i: int) -> void: reload())
	top.add_child(_filter)
	column.add_child(top)
	_status = Style.label("Loading the audit log...", 13, Style.TEXT_MUTED, true)
	column.add_child(_status)
	var scroll := ScrollContainer.new()
	scroll.size_flags_vertical = Control.SIZE_EXPAND_FILL
	scroll.custom_minimum_size = Vector2(620, 360)
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	_list.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_list.add_theme_constant_override("separation", 8)
	scroll.add_child(_list)
	column.add_child(scroll)
	_older.text = "Load older"
	_older.visible = false
	_older.pressed.connect(_load_more)
	column.add_child(_older)
	add_child(column)
	confirmed.connect(queue_free)
	canceled.connect(queue_free)


func open(parent: Node, server_id: String) -> void:
	_server_id = server_id
	var server_name := str(DataManager.servers.get(server_id, {}).get("name", "the server"))
	title = "Audit log - %s" % server_name
	parent.add_child(self)
	popup_centered()
	await reload()


func reload() -> void:
	for child in _list.get_children():
		child.queue_free()
	_last_id = ""
	await _load_more()


func _load_more() -> void:
	_older.disabled = true
	_status.text = "Loading the audit log..."
	var action := _actions[_filter.selected]
	var result: ApiResult = await DataManager.moderation_api.load_audit_log(
		_server_id, _last_id, action
	)
	_older.disabled = false
	if not result.ok:
		_status.text = "Could not load the audit log: " + result.message
		return
	var entries := result.list()
	var names := _names()
	for entry: Variant in entries:
		if entry is Dictionary:
			_list.add_child(_row(entry, names))
			_last_id = Ids.of(entry.get("id"))
	var shown := _list.get_child_count()
	_status.text = "Nothing recorded yet." if shown == 0 and entries.is_empty() else ""
	_status.visible = _status.text != ""
	_older.visible = entries.size() >= Api.AUDIT_PAGE_LIMIT


func _row(entry: Dictionary, names: Dictionary) -> Control:
	var row := VBoxContainer.new()
	row.add_theme_constant_override("separation", 0)
	var text := Style.label(ModerationActions.describe(entry, names), 14, Style.TEXT, true)
	text.custom_minimum_size = Vector2(600, 0)
	row.add_child(text)
	var when := TimeFormat.friendly(str(entry.get("created_at", "")))
	row.add_child(Style.label(when, 11, Style.TEXT_MUTED))
	return row


## The usernames the client knows (the server's members), by user id.
func _names() -> Dictionary:
	var out := {}
	for member: Dictionary in DataManager.members.get(_server_id, {}).values():
		var user: Dictionary = member.get("user", {})
		out[str(user.get("id", ""))] = str(user.get("username", "?"))
	return out
