## ChatUI: the open channel. Header (the Pins button and the server's search box), the
## message list (older pages load as you scroll up; grouped by author and time, with day
## separators; formatted text, replies' quoted lines, reaction chips), "X is typing...", and
## the composer (send, reply, edit your message, Up to edit your last one). After a jump to a
## search result the list shows the history around it; newer pages load as you scroll down,
## or "Jump to present". Only a window of at most WINDOW_ROWS messages has rows at a time (the
## newest, or where you scrolled or jumped to); scrolling past its top or bottom moves it by
## WINDOW_SHIFT messages in memory, so thousands of loaded messages cost what 150 do
## (client/README.md, scrolling benchmark). DMs and group DMs show here too (named by their
## people; no server search). Messages of people you blocked are collapsed to one line with
## "Show". A "NEW" divider marks the first message after the last one read when the channel
## was opened, and a bar above the list jumps there (or marks the channel read) while it is
## out of sight. The channel counts as read only while its newest messages are shown (and
## the window has focus: see read_actions.gd). Reads DataManager; never the network.
extends VBoxContainer

enum Menu { EDIT, DELETE, COPY, COPY_ID, REPLY, REACT, PIN, UNPIN }

const Style := preload("res://scripts/ui/style.gd")
const MessageRow := preload("res://scripts/ui/message_row.gd")
const ChatComposer := preload("res://scripts/ui/chat_composer.gd")
const ConfirmDialog := preload("res://scripts/ui/confirm_dialog.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const Permissions := preload("res://scripts/model/permissions.gd")
const ChannelMessages := preload("res://scripts/model/channel_messages.gd")
const ImageViewer := preload("res://scripts/ui/image_viewer.gd")
const Attachments := preload("res://scripts/model/attachments.gd")
const Markup := preload("res://scripts/model/markup.gd")
const EmojiPicker := preload("res://scripts/ui/emoji_picker.gd")
const PinsPanel := preload("res://scripts/ui/pins_panel.gd")
const PrivateChannels := preload("res://scripts/model/private_channels.gd")
const Ids := preload("res://scripts/model/ids.gd")
const NewMessagesBar := preload("res://scripts/ui/new_messages_bar.gd")
const BlockedLine := preload("res://scripts/ui/blocked_line.gd")

const GROUP_GAP_S := 7 * 60
const LOAD_OLDER_AT_PX := 120
const WINDOW_ROWS := 150
const WINDOW_SHIFT := 50

## WINDOW_ROWS; the scrolling benchmark sets it huge to measure rows for every message.
var window_rows := WINDOW_ROWS

var _channel_id := ""
var _title: Label
var _sigil: Label
var _topic: Label
var _search: LineEdit
var _present_bar: MarginContainer
var _scroll: ScrollContainer
var _list: VBoxContainer
var _top_note: Label
var _typing: Label
var _composer: ChatComposer
var _menu := PopupMenu.new()
var _menu_key := ""
var _menu_at := Vector2.ZERO
var _picker := EmojiPicker.new()
var _picker_key := ""
var _pins := PinsPanel.new()
var _pins_button := Button.new()
var _rows := {}
var _stick_to_bottom := true
var _keep_from_bottom := -1.0
## Keep the scroll position as it is on the next content change (rows added below).
var _hold_value := false
## The row a jump marked, and until when (ticks ms): kept marked when the list is redrawn.
var _flash_key := ""
var _flash_until := 0
var _last_value := 0.0
## The key of the newest message with a row when the window stops before the newest message
## held ("": it ends at the newest, and live messages are added).
var _window_end_key := ""
## Index (in the store's list) of the first message with a row, and how many have one.
var _window_first := 0
var _window_count := 0
## Moving the window: the programmatic scroll that keeps the rows in place is under way.
var _shifting := false
## Row keys of blocked people's messages the reader chose to show.
var _shown_blocked := {}
## The last message read when the channel was opened ("" when it was read): the "NEW"
## divider goes above the first message after it.
var _divider_after := ""
var _divider_mentions := 0
var _divider: Control
var _new_bar := NewMessagesBar.new()


func _ready() -> void:
	add_theme_constant_override("separation", 0)
	add_child(_build_header())
	_new_bar.jump_pressed.connect(_jump_to_new)
	_new_bar.mark_read_pressed.connect(_mark_read_from_bar)
	add_child(_new_bar)
	_scroll = ScrollContainer.new()
	_scroll.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	add_child(_scroll)
	var margin := MarginContainer.new()
	margin.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	margin.add_theme_constant_override("margin_left", 8)
	margin.add_theme_constant_override("margin_right", 12)
	margin.add_theme_constant_override("margin_bottom", 8)
	margin.add_theme_constant_override("margin_top", 10)
	_scroll.add_child(margin)
	_list = VBoxContainer.new()
	_list.add_theme_constant_override("separation", 0)
	margin.add_child(_list)
	_top_note = Style.label("", 13, Style.TEXT_MUTED, true)
	_composer = ChatComposer.new()
	_composer.send_requested.connect(_on_send)
	_composer.reply_send_requested.connect(_on_reply_send)
	_composer.files_send_requested.connect(_on_send_files)
	_composer.upload_cancel_requested.connect(
		func() -> void: DataManager.messages_api.cancel_upload(_channel_id)
	)
	_composer.edit_requested.connect(_on_edit_submitted)
	_composer.edit_last_requested.connect(_edit_last)
	_composer.typing.connect(_on_typing)
	_typing = Style.label("", 12, Style.TEXT_MUTED)
	_typing.custom_minimum_size = Vector2(0, 20)
	var typing_margin := MarginContainer.new()
	typing_margin.add_theme_constant_override("margin_left", 18)
	typing_margin.add_child(_typing)
	_present_bar = _build_present_bar()
	add_child(_present_bar)
	add_child(_composer)
	add_child(typing_margin)
	_menu.id_pressed.connect(_on_menu)
	add_child(_menu)
	_picker.picked.connect(_on_emoji_picked)
	add_child(_picker)
	_pins.jump_requested.connect(
		func(message_id: String) -> void: DataManager.messages_api.jump_to(_channel_id, message_id)
	)
	add_child(_pins)
	var bar := _scroll.get_v_scroll_bar()
	bar.value_changed.connect(_on_scrolled)
	bar.value_changed.connect(func(_value: float) -> void: _after_scroll())
	bar.changed.connect(_on_scroll_range_changed)
	visibility_changed.connect(_update_viewing)
	DataManager.selection_changed.connect(_on_selection_changed)
	DataManager.messages_changed.connect(_on_messages_changed)
	DataManager.typing_changed.connect(_on_typing_changed)
	DataManager.upload_changed.connect(_on_upload_changed)
	get_window().files_dropped.connect(_on_files_dropped)
	DataManager.channels_changed.connect(func(_s: String) -> void: _refresh_header())
	DataManager.servers_changed.connect(_refresh_header)
	DataManager.jump_requested.connect(_on_jump)
	DataManager.search_api.changed.connect(_on_search_changed)
	DataManager.blocks_changed.connect(_on_blocks_changed)
	_on_selection_changed()


func _build_header() -> PanelContainer:
	var header := Style.panel(Style.BG_CHAT, 0, 12, 16)
	var line := Style.box(Style.BG_CHAT, 0, 12, 16)
	line.border_color = Color("26272b")
	line.border_width_bottom = 2
	header.add_theme_stylebox_override("panel", line)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 8)
	header.add_child(row)
	_sigil = Style.label("#", 22, Style.TEXT_MUTED)
	row.add_child(_sigil)
	_title = Style.label("", 16, Style.TEXT_STRONG)
	_title.add_theme_font_override("font", Style.bold_font())
	row.add_child(_title)
	_topic = Style.label("", 13, Style.TEXT_MUTED)
	_topic.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_topic.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	row.add_child(_topic)
	_pins_button.name = "PinsButton"
	_pins_button.text = "Pins"
	_pins_button.theme_type_variation = &"FlatButton"
	_pins_button.tooltip_text = "Pinned messages of this channel"
	_pins_button.pressed.connect(open_pins)
	row.add_child(_pins_button)
	_search = LineEdit.new()
	_search.name = "SearchBox"
	_search.placeholder_text = "Search"
	_search.custom_minimum_size = Vector2(240, 0)
	_search.clear_button_enabled = true
	_search.max_length = 1024
	_search.tooltip_text = (
		'Search this server: words (all must appear), "an exact phrase", -word to leave out;'
		+ "\nfilters from:name, in:channel, has:link|file|image. Enter searches, Esc closes."
	)
	_search.text_submitted.connect(search)
	_search.gui_input.connect(_on_search_input)
	row.add_child(_search)
	return header


## The bar shows while the divider is out of sight (above or below the view, or not loaded).
func _update_new_bar() -> void:
	var on_screen := false
	if _divider != null and is_instance_valid(_divider) and _divider.is_inside_tree():
		var top := _scroll.global_position.y
		var y := _divider.global_position.y
		on_screen = y >= top - 4.0 and y <= top + _scroll.size.y
	var after := _divider_after if _channel_id != "" else ""
	_new_bar.update(after, _divider_mentions, on_screen)


## Scrolls the divider to the top of the view, or loads the history around the last message
## read when it is not held.
func _jump_to_new() -> void:
	if _divider != null and is_instance_valid(_divider) and _divider.is_inside_tree():
		_stick_to_bottom = false
		_keep_from_bottom = -1.0
		_hold_value = false
		var bar := _scroll.get_v_scroll_bar()
		var target := _divider.global_position.y - _list.global_position.y - 8.0
		target = clampf(target, 0.0, maxf(bar.max_value - bar.page, 0.0))
		_last_value = target
		_scroll.scroll_vertical = int(target)
		_update_new_bar()
		_update_viewing()
		return
	DataManager.messages_api.jump_to(_channel_id, _divider_after)


func _mark_read_from_bar() -> void:
	DataManager.reads_api.mark_channel_read(_channel_id)
	_divider_after = ""
	_divider_mentions = 0
	_keep_scroll_from_bottom()
	_rebuild()
	_update_new_bar()


## Whether the "NEW" divider goes right above `msg` (`before`: the message held before it).
func _divider_before(msg: Dictionary, before: Dictionary) -> bool:
	var id := str(msg.get("id", ""))
	if _divider_after == "" or id == "" or Ids.compare(id, _divider_after) <= 0:
		return false
	return before.is_empty() or Ids.compare(str(before.get("id", "")), _divider_after) <= 0


## Tells the read tracking whether this channel's newest messages are on screen.
func _update_viewing() -> void:
	var showing := ""
	if _channel_id != "" and is_visible_in_tree() and _stick_to_bottom and _window_end_key == "":
		var messages := DataManager.store(_channel_id)
		if messages.loaded and not messages.newer_missing:
			showing = _channel_id
	if DataManager.reads_api != null and DataManager.reads_api.viewing != showing:
		DataManager.reads_api.set_viewing(showing)


## The "NEW" line moves with layout and scrolling: the bar follows it each frame (only while
## there is one).
func _process(_delta: float) -> void:
	if _divider_after != "":
		_update_new_bar()


func _after_scroll() -> void:
	_update_viewing()
	_update_new_bar()


func _build_present_bar() -> MarginContainer:
	var margin := MarginContainer.new()
	margin.add_theme_constant_override("margin_left", 16)
	margin.add_theme_constant_override("margin_right", 16)
	margin.add_theme_constant_override("margin_top", 4)
	margin.visible = false
	var bar := Style.panel(Style.BG_SIDEBAR, 6, 4, 12)
	margin.add_child(bar)
	var row := HBoxContainer.new()
	bar.add_child(row)
	var note := Style.label("You are viewing older messages", 13, Style.TEXT_MUTED)
	note.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(note)
	var present := LinkButton.new()
	present.text = "Jump to present"
	present.pressed.connect(_jump_to_present)
	row.add_child(present)
	return margin


## Searches the current server for `text` (the search box's Enter); empty closes it.
func search(text: String) -> void:
	_search.text = text
	if text.strip_edges() == "":
		DataManager.search_api.close()
		return
	DataManager.search_api.search(DataManager.current_server_id, text)


func _on_search_input(event: InputEvent) -> void:
	var key := event as InputEventKey
	if key != null and key.pressed and key.keycode == KEY_ESCAPE:
		_search.text = ""
		_search.release_focus()
		DataManager.search_api.close()
		_search.accept_event()


func _on_search_changed() -> void:
	if not DataManager.search_api.open and _search.text != "" and not _search.has_focus():
		_search.text = ""


func _refresh_header() -> void:
	var channel: Dictionary = DataManager.channels.get(_channel_id, {})
	var is_dm := PrivateChannels.is_private(channel)
	var title := str(channel.get("name", ""))
	var topic := str(channel.get("topic", ""))
	if is_dm:
		title = PrivateChannels.display_name(channel, DataManager.me_id())
		topic = ""
		if PrivateChannels.is_group(channel):
			topic = "%d members" % PrivateChannels.recipient_ids(channel).size()
	_sigil.text = "@" if is_dm else "#"
	if _channel_id == "" and DataManager.is_home():
		_sigil.text = " "  # keeps the header's height
	_title.text = title
	_pins_button.disabled = _channel_id == ""
	_pins_button.visible = _channel_id != ""
	_search.visible = not DataManager.is_home()
	_topic.text = "|  " + topic if topic != "" else ""
	var named := ("@" if is_dm else "#") + title
	if PrivateChannels.is_group(channel):
		named = title
	_composer.set_channel(_channel_id, named)


func _on_selection_changed() -> void:
	if DataManager.current_channel_id == _channel_id and _channel_id != "":
		return
	_channel_id = DataManager.current_channel_id
	_shown_blocked.clear()
	var reads := DataManager.reads
	var unread := _channel_id != "" and reads.is_unread(_channel_id)
	_divider_after = reads.last_read(_channel_id) if unread else ""
	_divider_mentions = reads.mention_count(_channel_id) if unread else 0
	_composer.cancel_edit()
	_composer.cancel_reply()
	_composer.clear_files()
	_composer.show_upload(DataManager.uploads.get(_channel_id, {}))
	_refresh_header()
	_stick_to_bottom = true
	_keep_from_bottom = -1.0
	_window_end_key = ""
	_rebuild()
	_on_typing_changed(_channel_id)
	_update_viewing()
	_update_new_bar()


func _on_messages_changed(channel_id: String, kind: String, key: String) -> void:
	if channel_id != _channel_id:
		return
	if kind == "append" and _append(key):
		return
	if kind == "update" and _update(key):
		return
	if kind == "update" and key != "" and not _rows.has(key):
		return  # a message outside the window changed: nothing shown changes
	_keep_scroll_from_bottom()
	_rebuild()
	_update_viewing()


## Redraws the rows of the window (at most WINDOW_ROWS messages).
func _rebuild() -> void:
	for child in _list.get_children():
		_list.remove_child(child)
		if child != _top_note:
			child.queue_free()
	_rows.clear()
	_divider = null
	_list.add_child(_top_note)
	if _channel_id == "":
		_top_note.text = "No conversation open." if DataManager.is_home() else ""
		return
	var messages := DataManager.store(_channel_id)
	var all := messages.all()
	var end := all.size()
	if _window_end_key != "":
		var at := _index_of(all, _window_end_key)
		if at < 0:
			_window_end_key = ""
		else:
			end = at + 1
	_window_first = maxi(0, end - window_rows)
	_window_count = end - _window_first
	_update_top_note(messages)
	_update_present_bar(messages)
	var previous := {}  # the first row always starts a group (its avatar shows)
	for i in range(_window_first, end):
		_add_row(all[i], previous, all[i - 1] if i > 0 else {})
		previous = all[i]


static func _index_of(all: Array[Dictionary], key: String) -> int:
	for i in range(all.size() - 1, -1, -1):
		if str(all[i].get("_key", "")) == key:
			return i
	return -1


## Moves the window by WINDOW_SHIFT messages up (-1) or down (1), keeping the first row on
## screen where it is.
func _shift_window(direction: int) -> void:
	if _shifting or _channel_id == "":
		return
	var all := DataManager.store(_channel_id).all()
	var end := _window_first + _window_count
	var new_end := clampi(end + direction * WINDOW_SHIFT, mini(window_rows, all.size()), all.size())
	if new_end == end:
		return
	var anchor := _first_visible_row()
	var anchor_key := anchor.key if anchor != null else ""
	var anchor_y := anchor.global_position.y - _scroll.global_position.y if anchor != null else 0.0
	_window_end_key = "" if new_end >= all.size() else str(all[new_end - 1]["_key"])
	_stick_to_bottom = false
	_keep_from_bottom = -1.0
	_hold_value = true
	_shifting = true
	_rebuild()
	for _frame in 2:  # the new rows are laid out over the next frames
		await get_tree().process_frame
	if anchor_key != "" and _rows.has(anchor_key):
		var row: Control = _rows[anchor_key]
		var content := _scroll.get_child(0) as Control
		var bar := _scroll.get_v_scroll_bar()
		var target := row.global_position.y - content.global_position.y - anchor_y
		target = clampf(target, 0.0, maxf(bar.max_value - bar.page, 0.0))
		_last_value = target
		_scroll.scroll_vertical = int(target)
	_hold_value = false
	_shifting = false


func _first_visible_row() -> MessageRow:
	var top := _scroll.global_position.y
	var best: MessageRow = null
	for row: MessageRow in _rows.values():
		if row.global_position.y + row.size.y > top:
			if best == null or row.global_position.y < best.global_position.y:
				best = row
	return best


func _update_present_bar(messages: ChannelMessages) -> void:
	_present_bar.visible = messages.newer_missing


func _jump_to_present() -> void:
	_stick_to_bottom = true
	_hold_value = false
	if _window_end_key != "":
		_window_end_key = ""
		_rebuild()
	DataManager.messages_api.jump_to_present(_channel_id)


## A search result's message is in the store now: scroll it to the middle and mark it.
func _on_jump(channel_id: String, message_id: String) -> void:
	if channel_id != _channel_id:
		return
	_stick_to_bottom = false
	_keep_from_bottom = -1.0
	_hold_value = false
	var key := "m" + message_id
	if not _rows.has(key):
		# Centre the window on it.
		var all := DataManager.store(_channel_id).all()
		var at := _index_of(all, key)
		if at >= 0:
			var end := mini(all.size(), maxi(at + window_rows / 2, window_rows))
			_window_end_key = "" if end >= all.size() else str(all[end - 1]["_key"])
		_rebuild()
	if not _rows.has(key):
		return
	var row: MessageRow = _rows[key]
	for _frame in 2:  # the rows are laid out over the next frames
		await get_tree().process_frame
	if not is_instance_valid(row):
		return
	var top := row.global_position.y - _list.global_position.y
	var target := top - (_scroll.size.y - row.size.y) / 2.0
	var bar := _scroll.get_v_scroll_bar()
	target = clampf(target, 0.0, maxf(bar.max_value - bar.page, 0.0))
	_last_value = target
	_scroll.scroll_vertical = int(target)
	_flash_key = key
	_flash_until = Time.get_ticks_msec() + 2500
	row.flash(2.5)


func _update_top_note(messages: ChannelMessages) -> void:
	var channel_name := str(DataManager.channels.get(_channel_id, {}).get("name", ""))
	if messages.load_error != "":
		_top_note.text = "Could not load messages: %s (scroll up to retry)" % messages.load_error
		_top_note.add_theme_color_override("font_color", Style.RED)
		return
	_top_note.add_theme_color_override("font_color", Style.TEXT_MUTED)
	if not messages.loaded or messages.loading_older:
		_top_note.text = "Loading messages..."
	elif _window_first > 0:
		_top_note.text = ""
	elif messages.reached_start:
		_top_note.text = _beginning_text(channel_name)
	else:
		_top_note.text = ""


## The note above the first message of a channel, DM or group DM.
func _beginning_text(channel_name: String) -> String:
	var channel: Dictionary = DataManager.channels.get(_channel_id, {})
	if not PrivateChannels.is_private(channel):
		return "This is the beginning of #%s." % channel_name
	var title := PrivateChannels.display_name(channel, DataManager.me_id())
	if PrivateChannels.is_group(channel):
		return "This is the beginning of the group %s." % title
	return "This is the beginning of your direct messages with @%s." % title


func _on_blocks_changed() -> void:
	if _channel_id != "":
		_keep_scroll_from_bottom()
		_rebuild()


func _keep_scroll_from_bottom() -> void:
	if not _stick_to_bottom and _keep_from_bottom < 0.0 and not _hold_value:
		var bar := _scroll.get_v_scroll_bar()
		_keep_from_bottom = bar.max_value - bar.page - bar.value


## Adds a blocked person's message to the collapsed line right above, or starts one.
func _add_blocked(key: String) -> void:
	var count := _list.get_child_count()
	var last: BlockedLine = null
	if count > 0:
		last = _list.get_child(count - 1) as BlockedLine
	if last != null:
		last.add(key)
		return
	var line := BlockedLine.new()
	line.setup(key, MessageRow.AVATAR_SIZE + 14)
	line.reveal_requested.connect(
		func(keys: Array[String]) -> void:
			for shown in keys:
				_shown_blocked[shown] = true
			_keep_scroll_from_bottom()
			_rebuild()
	)
	_list.add_child(line)


func _append(key: String) -> bool:
	if _window_end_key != "":
		return true  # the window is on older messages: this one shows when it moves down
	var all := DataManager.store(_channel_id).all()
	if all.is_empty() or str(all[-1].get("_key", "")) != key or _rows.has(key):
		return false
	if _window_count >= window_rows + WINDOW_SHIFT:
		return false  # redraw the window (it drops the oldest rows)
	var previous: Dictionary = all[-2] if all.size() > 1 and _window_count > 0 else {}
	_add_row(all[-1], previous, all[-2] if all.size() > 1 else {})
	_window_count += 1
	return true


func _update(key: String) -> bool:
	var messages := DataManager.store(_channel_id)
	if key == "":
		_update_top_note(messages)
		return true
	if not _rows.has(key):
		return false
	for msg in messages.all():
		if str(msg.get("_key", "")) == key:
			(_rows[key] as MessageRow).refresh(msg)
			return true
	return false


## Adds the row of `msg` (`previous`: the message of the row above, {} for the first row;
## `before`: the message held before it, for the "NEW" divider).
func _add_row(msg: Dictionary, previous: Dictionary, before := {}) -> void:
	var day := TimeFormat.friendly(str(msg.get("created_at", ""))).get_slice(" at ", 0)
	var new_day := previous.is_empty() or day != _day_of(previous)
	if new_day and not previous.is_empty():
		_list.add_child(_day_separator(day))
	if _divider_before(msg, before):
		_divider = NewMessagesBar.divider()
		_list.add_child(_divider)
	var with_header := new_day or _starts_group(msg, previous)
	if with_header:
		var spacer := Control.new()
		spacer.custom_minimum_size = Vector2(0, 14)
		_list.add_child(spacer)
	var key := str(msg.get("_key", ""))
	var author_id := str(msg.get("author", {}).get("id", ""))
	if DataManager.is_blocked(author_id) and not _shown_blocked.has(key):
		_add_blocked(key)
		return
	var row := MessageRow.new()
	row.setup(msg, with_header, str(msg.get("id", "")) != "")
	row.actions_requested.connect(_on_row_actions)
	row.retry_requested.connect(
		func(nonce: String) -> void: DataManager.messages_api.retry_send(_channel_id, nonce)
	)
	row.discard_requested.connect(
		func(nonce: String) -> void: DataManager.messages_api.discard_send(_channel_id, nonce)
	)
	row.image_opened.connect(open_image)
	row.download_requested.connect(download)
	row.reply_requested.connect(begin_reply)
	row.react_requested.connect(open_picker)
	row.reaction_toggled.connect(_on_reaction_toggled)
	row.reference_opened.connect(
		func(message_id: String) -> void: DataManager.messages_api.jump_to(_channel_id, message_id)
	)
	row.link_opened.connect(open_link)
	row.channel_opened.connect(
		func(channel_id: String) -> void:
			if DataManager.channels.has(channel_id):
				DataManager.select_channel(channel_id)
	)
	_list.add_child(row)
	_rows[row.key] = row
	if row.key == _flash_key and Time.get_ticks_msec() < _flash_until:
		row.flash((_flash_until - Time.get_ticks_msec()) / 1000.0)


static func _starts_group(msg: Dictionary, previous: Dictionary) -> bool:
	if previous.is_empty():
		return true
	if str(msg.get("author", {}).get("id")) != str(previous.get("author", {}).get("id")):
		return true
	var gap := TimeFormat.parse_iso(str(msg.get("created_at", "")))
	gap -= TimeFormat.parse_iso(str(previous.get("created_at", "")))
	return gap > GROUP_GAP_S or gap < 0.0


static func _day_of(msg: Dictionary) -> String:
	return TimeFormat.friendly(str(msg.get("created_at", ""))).get_slice(" at ", 0)


func _day_separator(day: String) -> Control:
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 8)
	var left := HSeparator.new()
	left.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	var right := HSeparator.new()
	right.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(left)
	row.add_child(Style.label(day, 12, Style.TEXT_MUTED))
	row.add_child(right)
	return row


func _on_scrolled(value: float) -> void:
	var bar := _scroll.get_v_scroll_bar()
	var user_moved := absf(value - _last_value) > 0.5
	_last_value = value
	if _shifting:
		return
	if user_moved:
		_stick_to_bottom = value >= bar.max_value - bar.page - 24.0 and _window_end_key == ""
		_keep_from_bottom = -1.0
		_hold_value = false
	var near_bottom := value >= bar.max_value - bar.page - LOAD_OLDER_AT_PX
	var messages := DataManager.store(_channel_id) if _channel_id != "" else null
	if _window_end_key != "":
		# Newer messages are held but have no rows: the bottom here is not the present.
		_stick_to_bottom = false
		if near_bottom and user_moved:
			_shift_window(1)
			return
	elif messages != null and messages.newer_missing:
		_stick_to_bottom = false  # the bottom of a jump's window is not the present
		if near_bottom and not messages.loading_newer:
			_hold_value = true
			DataManager.messages_api.load_newer(_channel_id)
	if value <= LOAD_OLDER_AT_PX:
		if _window_first > 0:
			if user_moved:
				_shift_window(-1)
		else:
			_maybe_load_older()


## Content height changed: stay at the bottom, or keep what was on screen in place when
## older messages were added above it.
func _on_scroll_range_changed() -> void:
	var bar := _scroll.get_v_scroll_bar()
	var bottom := maxf(bar.max_value - bar.page, 0.0)
	var target := bar.value
	if _hold_value:
		target = clampf(bar.value, 0.0, bottom)
	elif _stick_to_bottom:
		target = bottom
	elif _keep_from_bottom >= 0.0:
		target = clampf(bottom - _keep_from_bottom, 0.0, bottom)
	_last_value = target
	_scroll.scroll_vertical = int(target)
	if bar.max_value <= bar.page:
		_maybe_load_older()  # nothing to scroll yet: fill the view
	_update_new_bar()


## Loads the page above when there is one (or retries a failed load).
func _maybe_load_older() -> void:
	if _channel_id == "":
		return
	var bar := _scroll.get_v_scroll_bar()
	var messages := DataManager.store(_channel_id)
	if messages.loading_older:
		return
	if messages.loaded and not messages.reached_start:
		_keep_from_bottom = bar.max_value - bar.page - bar.value
		DataManager.messages_api.load_older(_channel_id)
	elif messages.load_error != "":
		messages.loaded = false
		DataManager.messages_api.open_channel(_channel_id)


func _on_row_actions(key: String, at: Vector2) -> void:
	var msg := _find(key)
	if msg.is_empty() or str(msg.get("id", "")) == "":
		return
	var mine := str(msg.get("author", {}).get("id", "")) == DataManager.me_id()
	var role := DataManager.my_role(DataManager.current_server_id)
	_menu.clear()
	_menu.add_item("Reply", Menu.REPLY)
	_menu.add_item("Add reaction", Menu.REACT)
	if mine:
		_menu.add_item("Edit message", Menu.EDIT)
	if Permissions.can_pin(role) or DataManager.is_private(_channel_id):  # no one moderates DMs
		if msg.get("pinned", false) == true:
			_menu.add_item("Unpin message", Menu.UNPIN)
		else:
			_menu.add_item("Pin message", Menu.PIN)
	if Permissions.can_delete_message(role, mine):
		_menu.add_item("Delete message", Menu.DELETE)
	_menu.add_item("Copy text", Menu.COPY)
	_menu.add_item("Copy message ID", Menu.COPY_ID)
	_menu_key = key
	_menu_at = at
	_menu.popup(Rect2i(Vector2i(at), Vector2i.ZERO))


func _on_menu(id: int) -> void:
	var msg := _find(_menu_key)
	if msg.is_empty():
		return
	match id:
		Menu.EDIT:
			_composer.begin_edit(str(msg["id"]), str(msg.get("content", "")))
		Menu.DELETE:
			var ask := ConfirmDialog.new()
			ask.decided.connect(_on_delete_decided.bind(str(msg["id"])))
			ask.ask(self, "Delete message", "Delete this message for everyone?", "Delete")
		Menu.COPY:
			DisplayServer.clipboard_set(str(msg.get("content", "")))
		Menu.COPY_ID:
			DisplayServer.clipboard_set(str(msg.get("id", "")))
		Menu.REPLY:
			begin_reply(_menu_key)
		Menu.REACT:
			open_picker(_menu_key, _menu_at)
		Menu.PIN, Menu.UNPIN:
			DataManager.messages_api.set_pinned(_channel_id, str(msg["id"]), id == Menu.PIN)


## Starts a reply to the message of row `key` ("Replying to X" above the composer).
func begin_reply(key: String) -> void:
	var msg := _find(key)
	if not msg.is_empty() and str(msg.get("id", "")) != "":
		_composer.begin_reply(msg)


## The emoji picker for the message of row `key`, at `at` (screen position).
func open_picker(key: String, at: Vector2) -> void:
	_picker_key = key
	_picker.open(at, DataManager.frequent_emoji.frequent())


func _on_emoji_picked(emoji: String) -> void:
	_on_reaction_toggled(_picker_key, emoji)


func _on_reaction_toggled(key: String, emoji: String) -> void:
	var msg := _find(key)
	if not msg.is_empty() and str(msg.get("id", "")) != "":
		DataManager.messages_api.toggle_reaction(_channel_id, str(msg["id"]), emoji)


## The Pins panel of the open channel, under the header's button.
func open_pins() -> void:
	if _channel_id == "":
		return
	var at := _pins_button.global_position + Vector2(-380, _pins_button.size.y + 4)
	_pins.open(_channel_id, at)


## A link in a message: ask first (it opens in the browser), and only http(s) ever opens.
func open_link(url: String) -> void:
	if not Markup.is_openable(url):
		return
	var ask := ConfirmDialog.new()
	ask.decided.connect(
		func(accepted: bool) -> void:
			if accepted and Markup.is_openable(url):
				OS.shell_open(url)
	)
	ask.ask(self, "Open this link?", "This link goes to:\n\n%s" % url, "Open link")


func _on_delete_decided(accepted: bool, message_id: String) -> void:
	if accepted:
		DataManager.messages_api.delete_message(_channel_id, message_id)


func _on_send(text: String) -> void:
	if DataManager.store(_channel_id).newer_missing or _window_end_key != "":
		_jump_to_present()  # a message goes at the end of the history: show the present
	var problem := DataManager.messages_api.send_message(_channel_id, text)
	if problem != "":
		_composer.show_problem(problem)
		return
	_composer.clear()
	_stick_to_bottom = true


func _on_reply_send(text: String, reply_to: Dictionary, mention_author: bool) -> void:
	if DataManager.store(_channel_id).newer_missing or _window_end_key != "":
		_jump_to_present()
	var problem := DataManager.messages_api.send_message(
		_channel_id, text, reply_to, mention_author
	)
	if problem != "":
		_composer.show_problem(problem)
		return
	_composer.clear()
	_composer.cancel_reply()
	_stick_to_bottom = true


func _on_send_files(text: String, files: Array) -> void:
	var problem := DataManager.messages_api.send_with_files(_channel_id, text, files)
	if problem != "":
		_composer.show_problem(problem)
		return
	_composer.clear()
	_stick_to_bottom = true


func _on_upload_changed(channel_id: String) -> void:
	if channel_id == _channel_id:
		_composer.show_upload(DataManager.uploads.get(channel_id, {}))


func _on_files_dropped(paths: PackedStringArray) -> void:
	if _channel_id != "" and is_visible_in_tree():
		_composer.add_files(paths)


## The full-size view of an image attachment.
func open_image(attachment: Dictionary) -> void:
	var viewer := ImageViewer.new()
	viewer.download_requested.connect(download)
	get_tree().root.add_child(viewer)
	viewer.open(attachment)


## Saves an attachment to the Downloads folder (never overwriting a file there).
func download(attachment: Dictionary) -> void:
	var folder := OS.get_system_dir(OS.SYSTEM_DIR_DOWNLOADS)
	if folder == "":
		folder = OS.get_user_data_dir()
	var path := Attachments.free_name(
		folder, str(attachment.get("filename", "file")), FileAccess.file_exists
	)
	DataManager.notice.emit("Downloading %s..." % path.get_file(), false)
	var problem: String = await NetworkManager.download(str(attachment.get("url", "")), path)
	if problem != "":
		DataManager.notice.emit("Could not download %s: %s" % [path.get_file(), problem], true)
	else:
		DataManager.notice.emit("Saved %s" % path, false)


func _on_edit_submitted(message_id: String, text: String) -> void:
	var result := await DataManager.messages_api.edit_message(_channel_id, message_id, text)
	if result.ok:
		_composer.cancel_edit()
	else:
		_composer.show_problem(result.message)


func _edit_last() -> void:
	var all := DataManager.store(_channel_id).confirmed
	for i in range(all.size() - 1, -1, -1):
		if str(all[i].get("author", {}).get("id", "")) == DataManager.me_id():
			_composer.begin_edit(str(all[i]["id"]), str(all[i].get("content", "")))
			return


func _on_typing(_text: String) -> void:
	DataManager.messages_api.notify_typing(_channel_id)


func _on_typing_changed(channel_id: String) -> void:
	if channel_id != _channel_id:
		return
	var names := DataManager.typing_names(_channel_id)
	match names.size():
		0:
			_typing.text = ""
		1:
			_typing.text = "%s is typing..." % names[0]
		2:
			_typing.text = "%s and %s are typing..." % [names[0], names[1]]
		_:
			_typing.text = "Several people are typing..."


func _find(key: String) -> Dictionary:
	for msg in DataManager.store(_channel_id).all():
		if str(msg.get("_key", "")) == key:
			return msg
	return {}
