## One message in the chat view: avatar and header for the first of a group, the quoted line
## of the message it replies to (click: jump there), the formatted text (see Markup) with an
## "(edited)" mark, its files, its reactions (click one to toggle yours), the pending / failed
## state with Retry and Discard, and on hover Reply, React and an actions button. A message
## that mentions you (by name, @everyone or @here) is highlighted.
extends PanelContainer

signal actions_requested(key: String, at: Vector2)
signal retry_requested(nonce: String)
signal discard_requested(nonce: String)
signal image_opened(attachment: Dictionary)
signal download_requested(attachment: Dictionary)
signal reply_requested(key: String)
signal react_requested(key: String, at: Vector2)
signal reaction_toggled(key: String, emoji: String)
## The quoted line of a reply was clicked: show the original.
signal reference_opened(message_id: String)
## A link in the text was clicked (the caller asks before opening it).
signal link_opened(url: String)
signal channel_opened(channel_id: String)

const Style := preload("res://scripts/ui/style.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const ChannelMessages := preload("res://scripts/model/channel_messages.gd")
const Avatar := preload("res://scripts/ui/avatar.gd")
const AttachmentView := preload("res://scripts/ui/attachment_view.gd")
const Markup := preload("res://scripts/model/markup.gd")
const Names := preload("res://scripts/model/names.gd")
const ReadStates := preload("res://scripts/model/read_states.gd")

const AVATAR_SIZE := 40

var key := ""
var message := {}

var _content: RichTextLabel
var _more: Button
var _hover_buttons: Array[Button] = []
var _reactions_bar: HFlowContainer
var _links: Array[String] = []
## Spoilers the reader clicked open (index -> true).
var _revealed := {}
var _hover: StyleBox = Style.box(Color(0, 0, 0, 0.08), 4)
var _plain: StyleBox = StyleBoxEmpty.new()


## Builds the row for `msg`; `with_header` starts a new group (avatar, name, time).
func setup(msg: Dictionary, with_header: bool, has_actions: bool) -> void:
	message = msg
	key = str(msg.get("_key", ""))
	_style_for_mention()
	add_theme_stylebox_override("panel", _plain)
	mouse_filter = Control.MOUSE_FILTER_PASS
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 14)
	add_child(row)
	var author: Dictionary = msg.get("author", {})
	var author_id := str(author.get("id", ""))
	var author_name := str(author.get("username", "?"))
	if with_header:
		var avatar := Avatar.new()
		var url := DataManager.avatar_url(author_id, author.get("avatar_url", ""))
		avatar.setup(author_id, author_name, url, AVATAR_SIZE)
		row.add_child(avatar)
	else:
		var gutter := Control.new()
		gutter.custom_minimum_size = Vector2(AVATAR_SIZE, 0)
		gutter.mouse_filter = Control.MOUSE_FILTER_IGNORE
		row.add_child(gutter)
	var body := VBoxContainer.new()
	body.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	body.add_theme_constant_override("separation", 2)
	body.mouse_filter = Control.MOUSE_FILTER_IGNORE
	row.add_child(body)
	if msg.get("message_reference") is Dictionary:
		body.add_child(_quote_line(msg))
	if with_header:
		body.add_child(
			_header(author_id, author_name, str(msg.get("created_at", "")), Style.is_bot(author))
		)
	_content = _make_content()
	_content.visible = str(msg.get("content", "")) != "" or msg.get("edited_at") is String
	body.add_child(_content)
	var files: Array = msg.get("attachments", [])
	if not files.is_empty():
		var view := AttachmentView.new()
		view.setup(files)
		view.image_opened.connect(image_opened.emit)
		view.download_requested.connect(download_requested.emit)
		body.add_child(view)
	_reactions_bar = HFlowContainer.new()
	_reactions_bar.add_theme_constant_override("h_separation", 4)
	_reactions_bar.add_theme_constant_override("v_separation", 4)
	_reactions_bar.mouse_filter = Control.MOUSE_FILTER_PASS
	body.add_child(_reactions_bar)
	_fill_reactions()
	for spec: Array in [["Reply", "Reply (R)"], ["React", "Add a reaction"]]:
		var button := Button.new()
		button.text = spec[0]
		button.tooltip_text = spec[1]
		button.theme_type_variation = &"MiniButton"
		button.size_flags_vertical = Control.SIZE_SHRINK_BEGIN
		button.modulate.a = 0.0
		button.disabled = not has_actions
		button.mouse_exited.connect(_on_mouse_exited)
		row.add_child(button)
		_hover_buttons.append(button)
	_hover_buttons[0].pressed.connect(func() -> void: reply_requested.emit(key))
	_hover_buttons[1].pressed.connect(
		func() -> void: react_requested.emit(key, _hover_buttons[1].global_position)
	)
	_more = Button.new()
	_more.text = "..."
	_more.theme_type_variation = &"MiniButton"
	_more.tooltip_text = "Message actions (or right-click)"
	_more.size_flags_vertical = Control.SIZE_SHRINK_BEGIN
	_more.custom_minimum_size = Vector2(34, 0)
	_more.modulate.a = 0.0
	_more.disabled = not has_actions
	_more.pressed.connect(func() -> void: actions_requested.emit(key, _more.global_position))
	row.add_child(_more)
	_show_state(body)
	gui_input.connect(_on_gui_input)
	_content.gui_input.connect(_on_gui_input)
	mouse_entered.connect(_set_hover.bind(true))
	mouse_exited.connect(_on_mouse_exited)
	_content.mouse_exited.connect(_on_mouse_exited)
	_content.meta_clicked.connect(_on_meta_clicked)
	_more.mouse_exited.connect(_on_mouse_exited)


## Re-renders the text and state after an edit or a change of send state.
func refresh(msg: Dictionary) -> void:
	message = msg
	_style_for_mention()
	add_theme_stylebox_override("panel", _plain)
	_content.text = _render(msg)
	_fill_reactions()
	_content.visible = str(msg.get("content", "")) != "" or msg.get("edited_at") is String
	_content.modulate.a = 0.55 if int(msg.get("_send", 0)) == ChannelMessages.Send.SENDING else 1.0
	var body := _content.get_parent()
	var old := body.get_node_or_null(^"State")
	if old != null:
		body.remove_child(old)
		old.queue_free()
	_show_state(body)


## The row's backgrounds: plain, or (when it mentions you) tinted with a bar on the left.
func _style_for_mention() -> void:
	if not ReadStates.mentions_me(message, DataManager.me_id()):
		_plain = StyleBoxEmpty.new()
		_hover = Style.box(Color(0, 0, 0, 0.08), 4)
		return
	for which in 2:
		var box := Style.box(Color(Style.YELLOW, 0.08 if which == 0 else 0.13), 4)
		box.border_color = Style.YELLOW
		box.border_width_left = 2
		box.expand_margin_left = 2
		if which == 0:
			_plain = box
		else:
			_hover = box


func _header(
	author_id: String, author_name: String, created_at: String, is_bot: bool
) -> HBoxContainer:
	var header := HBoxContainer.new()
	header.add_theme_constant_override("separation", 8)
	header.mouse_filter = Control.MOUSE_FILTER_IGNORE
	var who := Style.label(author_name, 15, Style.name_color(author_id))
	who.add_theme_font_override("font", Style.bold_font())
	header.add_child(who)
	if is_bot:
		header.add_child(Style.bot_tag())
	var when := Style.label(TimeFormat.friendly(created_at), 12, Style.TEXT_MUTED)
	when.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	header.add_child(when)
	return header


func _make_content() -> RichTextLabel:
	var text := RichTextLabel.new()
	text.bbcode_enabled = true
	text.fit_content = true
	text.scroll_active = false
	text.selection_enabled = true
	text.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	text.add_theme_color_override("default_color", Style.TEXT)
	text.add_theme_font_size_override("normal_font_size", Style.FONT_SIZE)
	text.mouse_filter = Control.MOUSE_FILTER_PASS
	text.meta_underlined = false
	text.text = _render(message)
	text.modulate.a = 0.55 if int(message.get("_send", 0)) == ChannelMessages.Send.SENDING else 1.0
	return text


## The failure line: reason, Retry and Discard.
func _show_state(body: Node) -> void:
	if int(message.get("_send", 0)) != ChannelMessages.Send.FAILED:
		return
	var line := HBoxContainer.new()
	line.name = "State"
	line.add_theme_constant_override("separation", 10)
	var reason := str(message.get("_error", ""))
	var why := Style.label("Not sent" + (": " + reason if reason != "" else "."), 13, Style.RED)
	why.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	why.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	line.add_child(why)
	var nonce := str(message.get("nonce", ""))
	var retry := LinkButton.new()
	retry.text = "Retry"
	retry.pressed.connect(func() -> void: retry_requested.emit(nonce))
	line.add_child(retry)
	var discard := LinkButton.new()
	discard.text = "Discard"
	discard.pressed.connect(func() -> void: discard_requested.emit(nonce))
	line.add_child(discard)
	body.add_child(line)


## Marks the row for a moment (the message a search result jumped to).
func flash(seconds: float) -> void:
	var mark := Style.box(Color(Style.YELLOW, 0.16), 4)
	mark.border_color = Color(Style.YELLOW, 0.7)
	mark.border_width_left = 3
	mark.expand_margin_left = 3  # the border sits left of the row: the text does not move
	mark.content_margin_left = 0
	add_theme_stylebox_override("panel", mark)
	var tween := create_tween()
	tween.tween_interval(seconds)
	tween.tween_callback(func() -> void: add_theme_stylebox_override("panel", _plain))


## "Replying to": the replied-to author and the start of their text, or that it was deleted.
func _quote_line(msg: Dictionary) -> Control:
	var reference: Dictionary = msg["message_reference"]
	var original: Variant = msg.get("referenced_message")
	var line := Button.new()
	line.name = "Quote"
	line.flat = true
	line.alignment = HORIZONTAL_ALIGNMENT_LEFT
	line.theme_type_variation = &"MiniButton"
	line.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	line.clip_text = true
	line.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	line.add_theme_font_size_override("font_size", 12)
	if original is Dictionary:
		var who := str((original as Dictionary).get("author", {}).get("username", "?"))
		var text := str((original as Dictionary).get("content", "")).replace("\n", " ")
		if text == "" and not (original as Dictionary).get("attachments", []).is_empty():
			text = "(attachment)"
		line.text = "\u21b1 @%s  %s" % [who, text.substr(0, 120)]
		line.tooltip_text = "Jump to the message replied to"
		var target := str(reference.get("message_id", ""))
		line.pressed.connect(func() -> void: reference_opened.emit(target))
	else:
		line.text = "\u21b1 Original message was deleted"
		line.disabled = true
	return line


## The reaction chips: emoji and count, yours highlighted; clicking toggles yours.
func _fill_reactions() -> void:
	for child in _reactions_bar.get_children():
		_reactions_bar.remove_child(child)
		child.queue_free()
	var reactions: Variant = message.get("reactions", [])
	if not reactions is Array or (reactions as Array).is_empty():
		_reactions_bar.visible = false
		return
	_reactions_bar.visible = true
	var sendable := str(message.get("id", "")) != ""
	for entry: Variant in reactions:
		if not entry is Dictionary:
			continue
		var emoji := str((entry as Dictionary).get("emoji", ""))
		var chip := Button.new()
		chip.text = "%s %d" % [emoji, int((entry as Dictionary).get("count", 0))]
		chip.toggle_mode = true
		chip.button_pressed = bool((entry as Dictionary).get("me", false))
		chip.theme_type_variation = &"ReactionChip"
		chip.tooltip_text = "Click to %s" % ("remove yours" if chip.button_pressed else "react")
		chip.disabled = not sendable
		chip.pressed.connect(func() -> void: reaction_toggled.emit(key, emoji))
		_reactions_bar.add_child(chip)


func _on_meta_clicked(meta: Variant) -> void:
	var text := str(meta)
	var kind := text.get_slice(":", 0)
	var value := text.get_slice(":", 1)
	match kind:
		"link":
			var index := value.to_int()
			if index >= 0 and index < _links.size():
				link_opened.emit(_links[index])
		"spoiler":
			var index := value.to_int()
			if _revealed.has(index):
				_revealed.erase(index)
			else:
				_revealed[index] = true
			_content.text = _render(message)
		"channel":
			channel_opened.emit(value)


func _on_gui_input(event: InputEvent) -> void:
	var click := event as InputEventMouseButton
	if click != null and click.pressed and click.button_index == MOUSE_BUTTON_RIGHT:
		if not _more.disabled:
			actions_requested.emit(key, click.global_position)
		accept_event()


func _on_mouse_exited() -> void:
	if not get_global_rect().has_point(get_global_mouse_position()):
		_set_hover(false)


func _set_hover(on: bool) -> void:
	add_theme_stylebox_override("panel", _hover if on else _plain)
	if not _more.disabled:
		_more.modulate.a = 1.0 if on else 0.0
		for button in _hover_buttons:
			button.modulate.a = 1.0 if on else 0.0


func _render(msg: Dictionary) -> String:
	var content := str(msg.get("content", ""))
	var users := {}
	var channels := {}
	if content.contains("<@"):  # the lookups only for text that mentions someone
		users = Names.users(DataManager)
	if content.contains("<#"):
		channels = Names.channels(DataManager)
	var markup := Markup.new(users, channels, _revealed)
	markup.everyone = msg.get("mention_everyone", false) == true
	var text := markup.render(content)
	_links = markup.links
	if msg.get("pinned", false) == true:
		text = "[color=#f0b232][font_size=11]PINNED[/font_size][/color] " + text
	return text + _edited_mark(msg)


## The "(edited)" mark after the text (BBCode of our own, no user text).
static func _edited_mark(msg: Dictionary) -> String:
	if msg.get("edited_at") is String:
		return " [color=#949ba4][font_size=11](edited)[/font_size][/color]"
	return ""
