## Notification settings of a server, a channel or a DM: what makes it unread and counts
## (all messages, only @mentions, nothing; a server channel may follow its server) and a mute
## for a while (a muted place never asks for attention and does not show as unread).
extends ConfirmationDialog

const Style := preload("res://scripts/ui/style.gd")
const ReadStates := preload("res://scripts/model/read_states.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")

const FOLLOW := "follow"

var _server_id := ""
var _channel_id := ""
var _levels: Array[CheckBox] = []
var _level_keys: Array[String] = []
var _mute := OptionButton.new()
## The mute choice's values: seconds from now, or -1 to keep the mute as it is.
var _mute_seconds: Array[int] = []
var _kept_until: Variant = null
var _error: Label


func _init() -> void:
	dialog_hide_on_ok = false
	exclusive = true
	ok_button_text = "Save"
	confirmed.connect(_on_confirmed)
	canceled.connect(queue_free)


## Shows the settings of a server (`channel_id` "") or of a channel or DM over `parent`.
func open(parent: Node, server_id: String, channel_id: String) -> void:
	_channel_id = channel_id
	_server_id = server_id if channel_id == "" else DataManager.server_of(channel_id)
	var reads := DataManager.reads
	var setting := (
		reads.channel_setting(channel_id) if channel_id != "" else reads.server_setting(server_id)
	)
	title = "Notifications: " + _place_name()
	var box := VBoxContainer.new()
	box.add_theme_constant_override("separation", 6)
	box.custom_minimum_size = Vector2(380, 0)
	box.add_child(Style.label("WHAT SHOWS AS UNREAD AND COUNTS", 12, Style.TEXT_MUTED))
	var group := ButtonGroup.new()
	var current: Variant = setting.get("level")
	if channel_id != "" and _server_id != "":
		var follow: String = ReadStates.LEVEL_LABELS[reads.level_of(_server_id, "")]
		_add_level(box, group, FOLLOW, "Follow the server (%s)" % follow, current == null)
	for key: String in ReadStates.LEVELS:
		var on: bool = current == key or (current == null and _server_id == "" and key == "all")
		_add_level(box, group, key, ReadStates.LEVEL_LABELS[key], on)
	box.add_child(HSeparator.new())
	box.add_child(Style.label("MUTE", 12, Style.TEXT_MUTED))
	var until: Variant = setting.get("muted_until")
	var muted := until is String and TimeFormat.parse_iso(until) > Time.get_unix_time_from_system()
	if muted:
		_kept_until = until
		_mute.add_item("Keep: muted until " + TimeFormat.friendly(until))
		_mute_seconds.append(-1)
	for choice: Array in ReadStates.MUTE_CHOICES:
		_mute.add_item(choice[0])
		_mute_seconds.append(int(choice[1]))
	_mute.select(0)
	box.add_child(_mute)
	_error = Style.label("", 13, Style.RED, true)
	_error.visible = false
	box.add_child(_error)
	add_child(box)
	get_ok_button().theme_type_variation = &"AccentButton"
	parent.add_child(self)
	popup_centered()


func _add_level(box: Control, group: ButtonGroup, key: String, text: String, on: bool) -> void:
	var pick := CheckBox.new()
	pick.text = text
	pick.button_group = group
	pick.button_pressed = on
	box.add_child(pick)
	_levels.append(pick)
	_level_keys.append(key)


func _place_name() -> String:
	if _channel_id == "":
		return str(DataManager.servers.get(_server_id, {}).get("name", "server"))
	var channel: Dictionary = DataManager.channels.get(_channel_id, {})
	if PrivateChannels.is_private(channel):
		return PrivateChannels.display_name(channel, DataManager.me_id())
	return "#" + str(channel.get("name", ""))


func _on_confirmed() -> void:
	var level: Variant = null
	for i in _levels.size():
		if _levels[i].button_pressed and _level_keys[i] != FOLLOW:
			level = _level_keys[i]
	var seconds: int = _mute_seconds[maxi(_mute.selected, 0)]
	var until: Variant = _kept_until if seconds < 0 else ReadStates.mute_until(seconds)
	get_ok_button().disabled = true
	var result: ApiResult = await DataManager.reads_api.set_notifications(
		_server_id, _channel_id, level, until
	)
	if not is_inside_tree():
		return
	if result.ok:
		hide()
		queue_free()
	else:
		_error.text = result.message
		_error.visible = true
		get_ok_button().disabled = false
