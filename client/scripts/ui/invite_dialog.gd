## Creates an invite code for a server and lets the user copy it.
extends AcceptDialog

const Style := preload("res://scripts/ui/style.gd")

const AGES := [
	[1800, "30 minutes"], [3600, "1 hour"], [86400, "1 day"], [604800, "7 days"], [0, "Never"]
]
const USES := [[0, "No limit"], [1, "1 use"], [5, "5 uses"], [10, "10 uses"], [100, "100 uses"]]

var _server_id := ""
var _age := OptionButton.new()
var _uses := OptionButton.new()
var _code := LineEdit.new()
var _copy := Button.new()
var _create := Button.new()
var _status: Label


func _init() -> void:
	title = "Invite people"
	ok_button_text = "Done"
	exclusive = true
	var box := VBoxContainer.new()
	box.custom_minimum_size = Vector2(420, 0)
	box.add_theme_constant_override("separation", 8)
	var how := 'Share this code. Others join with "+" > Join a server.'
	box.add_child(Style.label(how, 13, Style.TEXT_MUTED))
	var code_row := HBoxContainer.new()
	_code.editable = false
	_code.placeholder_text = "Creating..."
	_code.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	code_row.add_child(_code)
	_copy.text = "Copy"
	_copy.theme_type_variation = &"AccentButton"
	_copy.pressed.connect(_on_copy)
	code_row.add_child(_copy)
	box.add_child(code_row)
	_status = Style.label("", 13, Style.TEXT_MUTED, true)
	_status.custom_minimum_size = Vector2(420, 0)
	box.add_child(_status)
	box.add_child(HSeparator.new())
	var options := GridContainer.new()
	options.columns = 2
	options.add_child(Style.label("EXPIRE AFTER", 12, Style.TEXT_MUTED))
	options.add_child(Style.label("MAX USES", 12, Style.TEXT_MUTED))
	_fill(_age, AGES, 2)
	_fill(_uses, USES, 0)
	options.add_child(_age)
	options.add_child(_uses)
	box.add_child(options)
	_create.text = "Create a new code"
	_create.pressed.connect(_generate)
	box.add_child(_create)
	add_child(box)
	confirmed.connect(queue_free)
	canceled.connect(queue_free)


func open(parent: Node, server_id: String) -> void:
	_server_id = server_id
	parent.add_child(self)
	popup_centered()
	_generate()


func _generate() -> void:
	_create.disabled = true
	_copy.disabled = true
	_status.text = "Creating an invite..."
	_status.add_theme_color_override("font_color", Style.TEXT_MUTED)
	var max_age: int = AGES[_age.get_selected_id()][0]
	var max_uses: int = USES[_uses.get_selected_id()][0]
	var result := await DataManager.servers_api.create_invite(_server_id, max_age, max_uses)
	if not is_inside_tree():
		return
	_create.disabled = false
	if result.ok:
		_code.text = str(result.dict().get("code", ""))
		_copy.disabled = false
		var age_text: String = AGES[_age.get_selected_id()][1]
		var uses_text: String = USES[_uses.get_selected_id()][1]
		_status.text = "Expires: %s. Uses: %s." % [age_text.to_lower(), uses_text.to_lower()]
	else:
		_status.text = result.message
		_status.add_theme_color_override("font_color", Style.RED)


func _on_copy() -> void:
	DisplayServer.clipboard_set(_code.text)
	_status.text = "Copied to the clipboard."


static func _fill(button: OptionButton, choices: Array, selected: int) -> void:
	for i in choices.size():
		button.add_item(choices[i][1], i)
	button.select(selected)
	button.size_flags_horizontal = Control.SIZE_EXPAND_FILL
