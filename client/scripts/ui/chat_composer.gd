## The message box under the chat: Enter sends, Esc cancels an edit or a reply, Up (in an
## empty box) edits your last message. "Replying to X" shows above it while a reply is being
## written (with "mention on/off" and a cancel button). Shows problems (too long, edit
## failed) right above it. The "+" button (or files dropped on the window) attaches files:
## they show as chips above the box, go with the next send, and upload with a progress bar
## and a Cancel button. Typing "@" and a name lists the channel's people (Up / Down, Tab or
## Enter picks, Esc closes) and inserts the pick as `<@id>` (@everyone and @here for
## moderators and above).
extends MarginContainer

signal send_requested(text: String)
## Enter while replying: `reply_to` is the message replied to.
signal reply_send_requested(text: String, reply_to: Dictionary, mention_author: bool)
signal files_send_requested(text: String, files: Array)
signal upload_cancel_requested
signal edit_requested(message_id: String, text: String)
signal edit_last_requested
signal typing(text: String)

const Style := preload("res://scripts/ui/style.gd")
const Validation := preload("res://scripts/model/validation.gd")
const Multipart := preload("res://scripts/model/multipart.gd")
const Attachments := preload("res://scripts/model/attachments.gd")
const ModerationActions := preload("res://scripts/model/moderation_actions.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const Mentions := preload("res://scripts/model/mentions.gd")
const Permissions := preload("res://scripts/model/permissions.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")

const COUNT_FROM := 1800

## The files attached to the next send: {"path", "name", "size"}.
var files: Array = []
## The message being replied to ({} for none).
var replying_to := {}

var _field := LineEdit.new()
var _send := Button.new()
var _banner: Label
var _problem: Label
var _editing_id := ""
var _reply_bar := HBoxContainer.new()
var _reply_label: Label
var _reply_mention := CheckButton.new()
var _attach := Button.new()
var _chips := HFlowContainer.new()
var _progress_row := HBoxContainer.new()
var _progress := ProgressBar.new()
var _progress_text: Label
var _dialog: FileDialog
var _sent_text := ""
var _input_row := HBoxContainer.new()
var _timeout_note: Label
var _timeout_end := 0.0
var _channel_id := ""
## The `@` autocomplete: its panel, the people offered, the one selected, and where the
## "@word" being replaced starts.
var _suggest := PanelContainer.new()
var _suggest_list := VBoxContainer.new()
var _suggestions: Array[Dictionary] = []
var _suggest_index := 0
var _suggest_start := -1


func _init() -> void:
	add_theme_constant_override("margin_left", 16)
	add_theme_constant_override("margin_right", 16)
	add_theme_constant_override("margin_top", 4)
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 4)
	add_child(column)
	_banner = Style.label("", 12, Style.YELLOW)
	_banner.visible = false
	column.add_child(_banner)
	_problem = Style.label("", 12, Style.RED, true)
	_problem.visible = false
	column.add_child(_problem)
	_build_reply_bar()
	column.add_child(_reply_bar)
	_chips.add_theme_constant_override("h_separation", 6)
	_chips.add_theme_constant_override("v_separation", 6)
	_chips.visible = false
	column.add_child(_chips)
	_build_progress()
	column.add_child(_progress_row)
	_timeout_note = Style.label("", 14, Style.YELLOW, true)
	_timeout_note.visible = false
	column.add_child(_timeout_note)
	_build_suggestions()
	column.add_child(_suggest)
	var row := _input_row
	row.add_theme_constant_override("separation", 8)
	column.add_child(row)
	_attach.text = "+"
	_attach.tooltip_text = "Attach files (or drop them on the window)"
	_attach.custom_minimum_size = Vector2(40, 0)
	_attach.pressed.connect(_pick_files)
	row.add_child(_attach)
	_field.theme_type_variation = &"ComposerEdit"
	_field.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_field.max_length = Validation.MESSAGE_MAX
	_field.text_submitted.connect(_submit)
	_field.text_changed.connect(_on_text_changed)
	_field.gui_input.connect(_on_field_input)
	row.add_child(_field)
	_send.text = "Send"
	_send.theme_type_variation = &"AccentButton"
	_send.pressed.connect(func() -> void: _submit(_field.text))
	row.add_child(_send)


func _ready() -> void:
	DataManager.servers_changed.connect(refresh_timeout)
	DataManager.selection_changed.connect(refresh_timeout)
	refresh_timeout()


## While you are timed out in the current server: a note saying why and until when instead
## of the message box (it comes back by itself when the timeout ends).
func _process(_delta: float) -> void:
	if _timeout_end > 0.0 and Time.get_unix_time_from_system() >= _timeout_end:
		refresh_timeout()


func refresh_timeout() -> void:
	var server: Dictionary = DataManager.servers.get(DataManager.current_server_id, {})
	_timeout_end = ModerationActions.timeout_end(server)
	var timed_out := _timeout_end > 0.0
	if timed_out:
		var until := str(server.get("communication_disabled_until", ""))
		_timeout_note.text = (
			(
				"You are timed out in %s until %s. You can read messages, but not send any, "
				% [str(server.get("name", "this server")), TimeFormat.friendly(until)]
			)
			+ "react or type until then."
		)
	_timeout_note.visible = timed_out
	_input_row.visible = not timed_out
	if timed_out:
		_chips.visible = false


func _build_suggestions() -> void:
	_suggest.name = "MentionSuggestions"
	_suggest.visible = false
	_suggest.add_theme_stylebox_override("panel", Style.box(Style.BG_SIDEBAR, 6, 6, 6))
	_suggest_list.add_theme_constant_override("separation", 2)
	_suggest.add_child(_suggest_list)


## Shows the people matching the "@word" at the caret (hides the list when there is none).
func refresh_suggestions() -> void:
	var found := Mentions.query_at(_field.text, _field.caret_column)
	if found.is_empty() or _channel_id == "":
		_hide_suggestions()
		return
	var server_id := DataManager.server_of(_channel_id)
	var everyone := (
		server_id != ""
		and Permissions.rank(DataManager.my_role(server_id)) >= Permissions.rank("moderator")
	)
	var people := DataManager.people_of(_channel_id)
	_suggestions = Mentions.suggestions(str(found["query"]), people, DataManager.me_id(), everyone)
	if _suggestions.is_empty():
		_hide_suggestions()
		return
	_suggest_start = int(found["start"])
	_suggest_index = clampi(_suggest_index, 0, _suggestions.size() - 1)
	_fill_suggestions()


func _fill_suggestions() -> void:
	for child in _suggest_list.get_children():
		_suggest_list.remove_child(child)
		child.queue_free()
	_suggest_list.add_child(Style.label("MEMBERS MATCHING @", 11, Style.TEXT_MUTED))
	for i in _suggestions.size():
		var user := _suggestions[i]
		var user_id := str(user.get("id", ""))
		var pick := Button.new()
		pick.theme_type_variation = &"ChannelButton"
		pick.alignment = HORIZONTAL_ALIGNMENT_LEFT
		pick.toggle_mode = true
		pick.button_pressed = i == _suggest_index
		pick.focus_mode = Control.FOCUS_NONE
		var note := str(user.get("note", ""))
		pick.text = "@" + str(user.get("username", "")) + ("   " + note if note != "" else "")
		if not user_id.begins_with("@"):
			var avatar := Avatar.new()
			var url := DataManager.avatar_url(user_id, user.get("avatar_url", ""))
			avatar.setup(user_id, str(user.get("username", "")), url, 20)
			avatar.set_anchors_and_offsets_preset(Control.PRESET_CENTER_LEFT)
			avatar.offset_left = 8
			avatar.offset_top = -10
			pick.add_child(avatar)
			pick.text = "       " + pick.text
		pick.pressed.connect(_pick_suggestion.bind(i))
		_suggest_list.add_child(pick)
	_suggest.visible = true


func _hide_suggestions() -> void:
	_suggest.visible = false
	_suggestions = []
	_suggest_index = 0
	_suggest_start = -1


func _pick_suggestion(index: int) -> void:
	if index < 0 or index >= _suggestions.size() or _suggest_start < 0:
		return
	var user_id := str(_suggestions[index].get("id", ""))
	var out := Mentions.insert(_field.text, _suggest_start, _field.caret_column, user_id)
	_field.text = out[0]
	_field.caret_column = out[1]
	_hide_suggestions()
	_field.grab_focus()


## Up / Down, Tab / Enter and Esc while the list is open. Returns whether the key was used.
func _suggestion_key(key: InputEventKey) -> bool:
	if not _suggest.visible or _suggestions.is_empty():
		return false
	match key.keycode:
		KEY_UP, KEY_DOWN:
			var step := -1 if key.keycode == KEY_UP else 1
			_suggest_index = posmod(_suggest_index + step, _suggestions.size())
			_fill_suggestions()
		KEY_TAB, KEY_ENTER, KEY_KP_ENTER:
			_pick_suggestion(_suggest_index)
		KEY_ESCAPE:
			_hide_suggestions()
		_:
			return false
	return true


func _build_reply_bar() -> void:
	_reply_bar.name = "ReplyBar"
	_reply_bar.visible = false
	_reply_bar.add_theme_constant_override("separation", 10)
	_reply_label = Style.label("", 13, Style.TEXT_MUTED)
	_reply_label.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_reply_label.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_reply_bar.add_child(_reply_label)
	_reply_mention.text = "@ mention"
	_reply_mention.button_pressed = true
	_reply_mention.tooltip_text = "Notify the author of the message you reply to"
	_reply_mention.add_theme_font_size_override("font_size", 12)
	_reply_bar.add_child(_reply_mention)
	var cancel := Button.new()
	cancel.text = "x"
	cancel.theme_type_variation = &"MiniButton"
	cancel.tooltip_text = "Cancel the reply (Esc)"
	cancel.pressed.connect(cancel_reply)
	_reply_bar.add_child(cancel)


## Starts a reply to `msg` (a confirmed message): the next send replies to it.
func begin_reply(msg: Dictionary) -> void:
	cancel_edit()
	replying_to = msg
	var who := str(msg.get("author", {}).get("username", "?"))
	_reply_label.text = "Replying to %s  -  Esc to cancel" % who
	_reply_mention.button_pressed = true
	_reply_bar.visible = true
	_field.grab_focus()


func cancel_reply() -> void:
	replying_to = {}
	_reply_bar.visible = false


func _build_progress() -> void:
	_progress_row.visible = false
	_progress_row.add_theme_constant_override("separation", 10)
	_progress_text = Style.label("", 12, Style.TEXT_MUTED)
	_progress_text.custom_minimum_size = Vector2(220, 0)
	_progress_text.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	_progress_row.add_child(_progress_text)
	_progress.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_progress.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	_progress.custom_minimum_size = Vector2(0, 10)
	_progress.show_percentage = false
	_progress.max_value = 1.0
	_progress_row.add_child(_progress)
	var cancel := Button.new()
	cancel.text = "Cancel"
	cancel.theme_type_variation = &"FlatButton"
	cancel.pressed.connect(func() -> void: upload_cancel_requested.emit())
	_progress_row.add_child(cancel)


## `label`: how the placeholder names the channel ("#general", "@alice", a group's name).
func set_channel(channel_id: String, label: String) -> void:
	if channel_id != _channel_id:
		_hide_suggestions()
	_channel_id = channel_id
	var has_channel := channel_id != ""
	_field.editable = has_channel
	_send.disabled = not has_channel
	_attach.disabled = not has_channel
	_field.placeholder_text = "Message " + label if has_channel else "No channel selected"


func begin_edit(message_id: String, text: String) -> void:
	cancel_reply()
	_editing_id = message_id
	_banner.text = "Editing your message  -  Enter to save, Esc to cancel"
	_banner.visible = true
	_send.text = "Save"
	_field.text = text
	_field.grab_focus()
	_field.caret_column = text.length()
	show_problem("")


func cancel_edit() -> void:
	if _editing_id == "":
		return
	_editing_id = ""
	_banner.visible = false
	_send.text = "Send"
	clear()


func show_problem(text: String) -> void:
	_problem.text = text
	_problem.visible = text != ""
	_send.disabled = false


func clear() -> void:
	_field.clear()
	_hide_suggestions()
	show_problem("")


func focus() -> void:
	_field.grab_focus()


## Attaches files by path (the file dialog, or files dropped on the window).
func add_files(paths: PackedStringArray) -> void:
	for path in paths:
		var file := FileAccess.open(path, FileAccess.READ)
		if file == null:
			show_problem("%s could not be read." % path.get_file())
			continue
		var size := file.get_length()
		file.close()
		var already := files.any(func(entry: Dictionary) -> bool: return entry["path"] == path)
		if not already:
			files.append({"path": path, "name": path.get_file(), "size": size})
	show_problem(Multipart.problem(files))
	_refresh_chips()


func clear_files() -> void:
	files.clear()
	_refresh_chips()


## Shows the channel's upload: progress with Cancel while it runs; its failure after.
func show_upload(state: Dictionary) -> void:
	var running := str(state.get("state", "")) == "sending"
	_progress_row.visible = running
	_attach.disabled = running or not _field.editable
	if running:
		var total := maxi(int(state.get("total", 1)), 1)
		_progress.value = float(state.get("sent", 0)) / float(total)
		var names: Array = state.get("names", [])
		var what := str(names[0]) if names.size() == 1 else "%d files" % names.size()
		_progress_text.text = (
			"Uploading %s  -  %s of %s"
			% [
				what,
				Attachments.human_size(int(state.get("sent", 0))),
				Attachments.human_size(total)
			]
		)
		return
	match str(state.get("state", "")):
		"done":
			clear_files()
			_sent_text = ""
		"failed":
			show_problem("The upload failed: %s" % state.get("error", ""))
			_restore_text()
		"cancelled":
			show_problem("Upload cancelled; your files are still attached.")
			_restore_text()


func _restore_text() -> void:
	if _field.text == "" and _sent_text != "":
		_field.text = _sent_text
	_sent_text = ""


func _pick_files() -> void:
	if _dialog == null:
		_dialog = FileDialog.new()
		_dialog.file_mode = FileDialog.FILE_MODE_OPEN_FILES
		_dialog.access = FileDialog.ACCESS_FILESYSTEM
		_dialog.title = "Attach files"
		_dialog.use_native_dialog = true
		_dialog.files_selected.connect(add_files)
		add_child(_dialog)
	_dialog.popup_centered_ratio(0.6)


func _refresh_chips() -> void:
	for child in _chips.get_children():
		child.queue_free()
	_chips.visible = not files.is_empty()
	for entry: Dictionary in files:
		var chip := PanelContainer.new()
		chip.add_theme_stylebox_override("panel", Style.box(Style.BG_INPUT, 6, 4, 8))
		var line := HBoxContainer.new()
		line.add_theme_constant_override("separation", 6)
		chip.add_child(line)
		var label := "%s  (%s)" % [entry["name"], Attachments.human_size(int(entry["size"]))]
		line.add_child(Style.label(label, 12, Style.TEXT))
		var remove := Button.new()
		remove.text = "x"
		remove.theme_type_variation = &"MiniButton"
		remove.tooltip_text = "Remove this file"
		remove.pressed.connect(_remove_file.bind(str(entry["path"])))
		line.add_child(remove)
		_chips.add_child(chip)


func _remove_file(path: String) -> void:
	files = files.filter(func(entry: Dictionary) -> bool: return entry["path"] != path)
	show_problem(Multipart.problem(files))
	_refresh_chips()


func _submit(text: String) -> void:
	if _editing_id != "":
		if text.strip_edges() == "":
			return
		_send.disabled = true
		edit_requested.emit(_editing_id, text)
	elif not files.is_empty():
		_sent_text = text
		files_send_requested.emit(text, files.duplicate())
	elif text.strip_edges() != "" and not replying_to.is_empty():
		reply_send_requested.emit(text, replying_to, _reply_mention.button_pressed)
	elif text.strip_edges() != "":
		send_requested.emit(text)


func _on_text_changed(text: String) -> void:
	if text.length() >= COUNT_FROM:
		_problem.text = "%d / %d characters" % [text.length(), Validation.MESSAGE_MAX]
		_problem.visible = true
	elif _problem.visible and _problem.text.ends_with("characters"):
		show_problem("")
	if text != "" and _editing_id == "":
		typing.emit(text)
	refresh_suggestions()


func _on_field_input(event: InputEvent) -> void:
	var key := event as InputEventKey
	if key == null or not key.pressed:
		return
	if _suggestion_key(key):
		_field.accept_event()
	elif key.keycode == KEY_ESCAPE and _editing_id != "":
		cancel_edit()
		_field.accept_event()
	elif key.keycode == KEY_ESCAPE and not replying_to.is_empty():
		cancel_reply()
		_field.accept_event()
	elif key.keycode == KEY_UP and _field.text == "" and _editing_id == "":
		edit_last_requested.emit()
		_field.accept_event()
