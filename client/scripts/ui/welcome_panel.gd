## Shown instead of the chat when the user is in no server yet.
extends CenterContainer

signal create_pressed
signal join_pressed

const Style := preload("res://scripts/ui/style.gd")


func _ready() -> void:
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 14)
	column.custom_minimum_size = Vector2(420, 0)
	add_child(column)
	var title := Style.label(
		"Welcome, %s!" % DataManager.me.get("username", ""), 24, Style.TEXT_STRONG
	)
	title.add_theme_font_override("font", Style.bold_font())
	title.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	column.add_child(title)
	var text := Style.label(
		(
			"Servers are where you and your friends hang out. Create your own, "
			+ "or join one with an invite code someone gave you."
		),
		15,
		Style.TEXT_MUTED,
		true
	)
	text.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	column.add_child(text)
	var create := Button.new()
	create.text = "Create a server"
	create.theme_type_variation = &"AccentButton"
	create.pressed.connect(create_pressed.emit)
	column.add_child(create)
	var join := Button.new()
	join.text = "Join with an invite code"
	join.pressed.connect(join_pressed.emit)
	column.add_child(join)
	DataManager.me_changed.connect(
		func() -> void: title.text = "Welcome, %s!" % DataManager.me.get("username", "")
	)
