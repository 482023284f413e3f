## SearchPanel: the results of the search typed in the chat header, beside the chat (in place
## of the member list while open). Each result shows its channel, author, time and text with
## the matching words marked; clicking one jumps to the message. Pages of 25, newest first.
## Reads DataManager.search_api; never the network.
extends PanelContainer

const Style := preload("res://scripts/ui/style.gd")
const Highlight := preload("res://scripts/model/highlight.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const Api := preload("res://scripts/net/api.gd")

const WIDTH := 380

var _title: Label
var _column: VBoxContainer
var _scroll: ScrollContainer
var _previous := Button.new()
var _next := Button.new()
var _page := Label.new()


func _ready() -> void:
	name = "SearchPanel"
	custom_minimum_size = Vector2(WIDTH, 0)
	add_theme_stylebox_override("panel", Style.box(Style.BG_SIDEBAR, 0, 0, 0))
	var outer := VBoxContainer.new()
	outer.add_theme_constant_override("separation", 0)
	add_child(outer)
	outer.add_child(_build_header())
	_scroll = ScrollContainer.new()
	_scroll.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	outer.add_child(_scroll)
	var margin := MarginContainer.new()
	margin.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	for side: String in ["left", "right", "top", "bottom"]:
		margin.add_theme_constant_override("margin_" + side, 10)
	_scroll.add_child(margin)
	_column = VBoxContainer.new()
	_column.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_column.add_theme_constant_override("separation", 8)
	margin.add_child(_column)
	outer.add_child(_build_footer())
	DataManager.search_api.changed.connect(_refresh)
	DataManager.selection_changed.connect(_on_selection_changed)
	_refresh()


func _build_header() -> PanelContainer:
	var header := Style.panel(Style.BG_SIDEBAR, 0, 12, 14)
	var line := Style.box(Style.BG_SIDEBAR, 0, 12, 14)
	line.border_color = Color("1f2023")
	line.border_width_bottom = 2
	header.add_theme_stylebox_override("panel", line)
	var row := HBoxContainer.new()
	header.add_child(row)
	_title = Style.label("", 14, Style.TEXT_STRONG)
	_title.add_theme_font_override("font", Style.bold_font())
	_title.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_title.text_overrun_behavior = TextServer.OVERRUN_TRIM_ELLIPSIS
	row.add_child(_title)
	var close := Button.new()
	close.text = "x"
	close.theme_type_variation = &"MiniButton"
	close.tooltip_text = "Close the search (Esc in the search box)"
	close.pressed.connect(DataManager.search_api.close)
	row.add_child(close)
	return header


func _build_footer() -> PanelContainer:
	var footer := Style.panel(Style.BG_SIDEBAR, 0, 8, 12)
	var row := HBoxContainer.new()
	row.add_theme_constant_override("separation", 8)
	footer.add_child(row)
	_previous.text = "Newer"
	_previous.pressed.connect(_go.bind(-1))
	row.add_child(_previous)
	_page.add_theme_color_override("font_color", Style.TEXT_MUTED)
	_page.add_theme_font_size_override("font_size", 12)
	_page.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	_page.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(_page)
	_next.text = "Older"
	_next.pressed.connect(_go.bind(1))
	row.add_child(_next)
	return footer


func _go(direction: int) -> void:
	var search := DataManager.search_api
	search.show_page(search.offset + direction * Api.SEARCH_PAGE_LIMIT)


func _on_selection_changed() -> void:
	var search := DataManager.search_api
	if search.open and DataManager.current_server_id != search.server_id:
		search.close()


func _refresh() -> void:
	var search := DataManager.search_api
	visible = search.open
	if not search.open:
		return
	for child in _column.get_children():
		child.queue_free()
	_title.text = _title_text()
	_previous.disabled = search.loading or not search.has_previous()
	_next.disabled = search.loading or not search.has_next()
	var pages := ceili(float(search.total) / Api.SEARCH_PAGE_LIMIT)
	var current := search.offset / Api.SEARCH_PAGE_LIMIT + 1
	_page.text = (
		""
		if search.total == 0
		else "Page %d of %d%s" % [current, maxi(pages, current), "+" if not search.exact else ""]
	)
	if search.error != "":
		_column.add_child(Style.label(search.error, 13, Style.RED, true))
	elif search.loading:
		_column.add_child(Style.label("Searching...", 13, Style.TEXT_MUTED))
	elif search.results.is_empty():
		var none := Style.label("No messages match.", 13, Style.TEXT_MUTED, true)
		_column.add_child(none)
		_column.add_child(_hint())
	else:
		for message in search.results:
			_column.add_child(_result(message))
	_scroll.scroll_vertical = 0


func _title_text() -> String:
	var search := DataManager.search_api
	if search.error != "" or search.loading:
		return "Search"
	if not search.exact:
		return "More than %s results" % _thousands(search.total)
	return "%s result%s" % [_thousands(search.total), "" if search.total == 1 else "s"]


static func _thousands(value: int) -> String:
	var digits := str(value)
	var out := ""
	for i in digits.length():
		if i > 0 and (digits.length() - i) % 3 == 0:
			out += ","
		out += digits[i]
	return out


func _hint() -> Label:
	return Style.label(
		(
			'Words must all appear; "an exact phrase"; -word leaves it out.\n'
			+ "Filters: from:name  in:channel  has:link|file|image"
		),
		12,
		Style.TEXT_MUTED,
		true
	)


func _result(message: Dictionary) -> Control:
	var card := Style.panel(Style.BG_CHAT, 6, 8, 10)
	card.mouse_filter = Control.MOUSE_FILTER_STOP
	card.mouse_default_cursor_shape = Control.CURSOR_POINTING_HAND
	card.tooltip_text = "Jump to this message"
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 4)
	column.mouse_filter = Control.MOUSE_FILTER_IGNORE
	card.add_child(column)
	var channel_id := str(message.get("channel_id", ""))
	var channel_name := str(DataManager.channels.get(channel_id, {}).get("name", "?"))
	var author: Dictionary = message.get("author", {})
	var top := HBoxContainer.new()
	top.add_theme_constant_override("separation", 8)
	top.mouse_filter = Control.MOUSE_FILTER_IGNORE
	column.add_child(top)
	top.add_child(Style.label("#" + channel_name, 12, Style.TEXT_MUTED))
	var who := Style.label(
		str(author.get("username", "?")), 14, Style.name_color(str(author.get("id", "")))
	)
	who.add_theme_font_override("font", Style.bold_font())
	top.add_child(who)
	if Style.is_bot(author):
		top.add_child(Style.bot_tag())
	var when := TimeFormat.friendly(str(message.get("created_at", "")))
	top.add_child(Style.label(when, 11, Style.TEXT_MUTED))
	var text := RichTextLabel.new()
	text.bbcode_enabled = true
	text.fit_content = true
	text.scroll_active = false
	text.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	text.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	text.mouse_filter = Control.MOUSE_FILTER_IGNORE
	text.add_theme_color_override("default_color", Style.TEXT)
	text.add_theme_font_size_override("normal_font_size", 14)
	# The mark covers the matched characters only (the default pads it onto its neighbours).
	text.add_theme_constant_override("text_highlight_h_padding", 0)
	text.add_theme_constant_override("text_highlight_v_padding", 1)
	text.text = Highlight.bbcode(str(message.get("content", "")), message.get("highlights", []))
	column.add_child(text)
	card.gui_input.connect(_on_result_input.bind(channel_id, str(message.get("id", ""))))
	card.mouse_entered.connect(
		func() -> void:
			card.add_theme_stylebox_override("panel", Style.box(Style.BG_HOVER, 6, 8, 10))
	)
	card.mouse_exited.connect(
		func() -> void:
			card.add_theme_stylebox_override("panel", Style.box(Style.BG_CHAT, 6, 8, 10))
	)
	return card


func _on_result_input(event: InputEvent, channel_id: String, message_id: String) -> void:
	var click := event as InputEventMouseButton
	if click != null and click.pressed and click.button_index == MOUSE_BUTTON_LEFT:
		open_result(channel_id, message_id)
		accept_event()


## Jumps to a result (also used by the screenshot mode).
func open_result(channel_id: String, message_id: String) -> void:
	var problem := await DataManager.messages_api.jump_to(channel_id, message_id)
	if problem != "":
		DataManager.notice.emit(problem, true)
