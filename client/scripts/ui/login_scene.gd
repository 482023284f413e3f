## LoginScene: sign in or create an account on a server whose address you type. Checks the
## inputs first, then shows the server's error next to the field it names.
extends Control

const Style := preload("res://scripts/ui/style.gd")
const Validation := preload("res://scripts/model/validation.gd")
const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")

var _register_mode := false
var _title: Label
var _subtitle: Label
var _fields := {}
var _hints := {}
var _error: Label
var _submit: Button
var _switch: LinkButton
var _notice: Label


func _ready() -> void:
	set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	var background := ColorRect.new()
	background.color = Color("404eed").darkened(0.45)
	background.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	add_child(background)
	var center := CenterContainer.new()
	center.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	add_child(center)
	var card := Style.panel(Style.BG_CHAT, 8, 28, 32)
	card.custom_minimum_size = Vector2(460, 0)
	center.add_child(card)
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 6)
	card.add_child(column)
	_title = Style.label("", 24, Style.TEXT_STRONG)
	_title.add_theme_font_override("font", Style.bold_font())
	_title.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	column.add_child(_title)
	_subtitle = Style.label("", 15, Style.TEXT_MUTED)
	_subtitle.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	column.add_child(_subtitle)
	_notice = Style.label("", 14, Style.YELLOW, true)
	_notice.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	_notice.visible = false
	column.add_child(_notice)
	_add_field(column, "server", "Server address", false, "http://127.0.0.1:8000")
	_add_field(column, "login", "Username or email", false, "")
	_add_field(column, "username", "Username", false, "letters, digits, _ and .")
	_add_field(column, "email", "Email", false, "you@example.com")
	_add_field(column, "password", "Password", true, "")
	_error = Style.label("", 14, Style.RED, true)
	_error.visible = false
	column.add_child(_error)
	var gap := Control.new()
	gap.custom_minimum_size = Vector2(0, 8)
	column.add_child(gap)
	_submit = Button.new()
	_submit.theme_type_variation = &"AccentButton"
	_submit.custom_minimum_size = Vector2(0, 44)
	_submit.pressed.connect(_on_submit)
	column.add_child(_submit)
	_switch = LinkButton.new()
	_switch.size_flags_horizontal = Control.SIZE_SHRINK_CENTER
	_switch.pressed.connect(func() -> void: _set_mode(not _register_mode))
	column.add_child(_switch)
	(_fields["server"] as LineEdit).text = AuthManager.last_server_url()
	(_fields["login"] as LineEdit).text = AuthManager.last_login_name()
	_set_mode(false)


## Shows why the user is here again (e.g. "Your session has ended").
func show_notice(text: String) -> void:
	_notice.text = text
	_notice.visible = text != ""


func _add_field(
	column: VBoxContainer, key: String, hint: String, secret: bool, tip: String
) -> void:
	var label := Style.label(hint.to_upper(), 12, Style.TEXT_MUTED)
	label.custom_minimum_size = Vector2(0, 24)
	label.vertical_alignment = VERTICAL_ALIGNMENT_BOTTOM
	column.add_child(label)
	var field := LineEdit.new()
	field.secret = secret
	field.placeholder_text = tip
	field.custom_minimum_size = Vector2(0, 40)
	field.text_submitted.connect(func(_t: String) -> void: _on_submit())
	column.add_child(field)
	_fields[key] = field
	_hints[key] = [label, hint.to_upper()]


func _set_mode(register: bool) -> void:
	_register_mode = register
	_title.text = "Create an account" if register else "Welcome back!"
	_subtitle.text = "Join your friends on Concord." if register else "Sign in to continue."
	_submit.text = "Create account" if register else "Log in"
	_switch.text = "Already have an account? Log in" if register else "Need an account? Register"
	for key: String in ["login"]:
		_show_field(key, not register)
	for key: String in ["username", "email"]:
		_show_field(key, register)
	_clear_errors()


func _show_field(key: String, shown: bool) -> void:
	(_fields[key] as Control).visible = shown
	(_hints[key][0] as Control).visible = shown


func _clear_errors() -> void:
	_error.visible = false
	for key: String in _hints:
		var label: Label = _hints[key][0]
		label.text = _hints[key][1]
		label.add_theme_color_override("font_color", Style.TEXT_MUTED)


## Marks a field in red with the reason after its name (like "EMAIL - Enter a valid ...").
func _field_error(key: String, text: String) -> void:
	var label: Label = _hints[key][0]
	label.text = "%s  -  %s" % [_hints[key][1], text]
	label.add_theme_color_override("font_color", Style.RED)


func _value(key: String) -> String:
	return (_fields[key] as LineEdit).text


func _validate() -> bool:
	var problems := {}
	if Api.normalize_base_url(_value("server")) == "":
		problems["server"] = "Enter an address like http://127.0.0.1:8000"
	if _register_mode:
		problems["username"] = Validation.username(_value("username"))
		problems["email"] = Validation.email(_value("email"))
		problems["password"] = Validation.password(_value("password"))
	else:
		problems["login"] = Validation.login(_value("login"))
		if _value("password") == "":
			problems["password"] = "Enter your password."
	var ok := true
	for key: String in problems:
		if problems[key] != "":
			_field_error(key, problems[key])
			ok = false
	return ok


func _on_submit() -> void:
	if _submit.disabled:
		return
	_clear_errors()
	show_notice("")
	if not _validate():
		return
	_submit.disabled = true
	_submit.text = "Please wait..."
	var url := _value("server")
	var result: ApiResult
	if _register_mode:
		result = await AuthManager.register(
			url, _value("username"), _value("email"), _value("password")
		)
	else:
		result = await AuthManager.login(url, _value("login"), _value("password"))
	if not is_inside_tree() or result.ok:
		return  # signed in: the app switches to the main scene
	_submit.disabled = false
	_submit.text = "Create account" if _register_mode else "Log in"
	var field_key := "login" if result.field == "login" else result.field
	if _fields.has(field_key) and (_fields[field_key] as Control).visible:
		_field_error(field_key, result.message)
	else:
		_error.text = result.message
		_error.visible = true


## Signs in with a wrong password against the server in the address field (screenshots).
func demo_wrong_password() -> void:
	_set_mode(false)
	(_fields["login"] as LineEdit).text = "nobody_here"
	(_fields["password"] as LineEdit).text = "wrong-password"
	_on_submit()


## Fills the register form with bad values and submits (screenshots of the error states).
func demo_errors() -> void:
	_set_mode(true)
	(_fields["username"] as LineEdit).text = "A"
	(_fields["email"] as LineEdit).text = "not-an-email"
	(_fields["password"] as LineEdit).text = "short"
	_on_submit()
