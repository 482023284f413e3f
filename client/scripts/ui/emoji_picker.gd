## A small emoji picker: the reader's frequent emoji first, then the common ones; typing
## searches them by name ("thumbs", "party", "heart"). Enter picks the first match, Esc
## closes. Emits `picked` with the emoji and closes.
extends PopupPanel

signal picked(emoji: String)

const Style := preload("res://scripts/ui/style.gd")
const EmojiData := preload("res://scripts/model/emoji_data.gd")

const COLUMNS := 8

var _search := LineEdit.new()
var _grid := GridContainer.new()
var _title: Label
var _frequent: Array[String] = []


func _init() -> void:
	add_theme_stylebox_override("panel", Style.box(Style.BG_SIDEBAR, 8, 8, 8))
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 6)
	add_child(column)
	_search.placeholder_text = "Find an emoji by name"
	_search.clear_button_enabled = true
	_search.custom_minimum_size = Vector2(COLUMNS * 40, 0)
	_search.text_changed.connect(_fill)
	_search.text_submitted.connect(_pick_first)
	column.add_child(_search)
	_title = Style.label("", 12, Style.TEXT_MUTED)
	column.add_child(_title)
	var scroll := ScrollContainer.new()
	scroll.custom_minimum_size = Vector2(COLUMNS * 40, 220)
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	column.add_child(scroll)
	_grid.columns = COLUMNS
	_grid.add_theme_constant_override("h_separation", 2)
	_grid.add_theme_constant_override("v_separation", 2)
	scroll.add_child(_grid)


## Opens at `at` (screen position) with the frequent emoji first.
func open(at: Vector2, frequent: Array[String]) -> void:
	_frequent = frequent
	_search.text = ""
	_fill("")
	popup(Rect2i(Vector2i(at), Vector2i.ZERO))
	_search.grab_focus()


## The emoji the grid shows now (for tests and Enter).
func shown() -> Array[String]:
	var out: Array[String] = []
	for child in _grid.get_children():
		out.append((child as Button).get_meta("emoji"))
	return out


func _fill(query: String) -> void:
	for child in _grid.get_children():
		_grid.remove_child(child)
		child.queue_free()
	var list: Array[String] = []
	if query.strip_edges() == "":
		_title.text = "Frequently used, then all"
		list = _frequent.duplicate()
		for entry: Array in EmojiData.ALL:
			if not str(entry[0]) in list:
				list.append(str(entry[0]))
	else:
		list = EmojiData.search(query)
		_title.text = "No emoji is called that" if list.is_empty() else "Matching"
	for emoji in list:
		var button := Button.new()
		button.text = emoji
		button.flat = true
		button.custom_minimum_size = Vector2(38, 34)
		button.add_theme_font_size_override("font_size", 20)
		button.tooltip_text = EmojiData.name_of(emoji)
		button.set_meta("emoji", emoji)
		button.pressed.connect(_pick.bind(emoji))
		_grid.add_child(button)


func _pick_first(_text: String) -> void:
	var list := shown()
	if not list.is_empty():
		_pick(list[0])


func _pick(emoji: String) -> void:
	picked.emit(emoji)
	hide()
