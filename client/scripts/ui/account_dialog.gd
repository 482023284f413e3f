## User settings > My account: download my data (a JSON file in the Downloads folder) and
## delete my account (asks for the password; refused while you own a server).
extends AcceptDialog

const Style := preload("res://scripts/ui/style.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")

var _status: Label
var _download := Button.new()
var _password := LineEdit.new()
var _delete := Button.new()


func _init() -> void:
	exclusive = true
	title = "My account"
	ok_button_text = "Close"
	min_size = Vector2i(460, 0)
	var column := VBoxContainer.new()
	column.add_theme_constant_override("separation", 10)
	column.custom_minimum_size = Vector2(440, 0)
	column.add_child(Style.label("YOUR DATA", 12, Style.TEXT_MUTED))
	var about := "A JSON file with your profile, your servers and every message you posted."
	column.add_child(Style.label(about, 13, Style.TEXT, true))
	_download.text = "Download my data"
	_download.pressed.connect(_on_download)
	column.add_child(_download)
	column.add_child(HSeparator.new())
	column.add_child(Style.label("DELETE ACCOUNT", 12, Style.RED))
	var warning := (
		"You leave every server and are signed out everywhere. Your messages stay, shown as "
		+ '"Deleted user". This cannot be undone. If you own a server, transfer it or '
		+ "delete it first."
	)
	column.add_child(Style.label(warning, 13, Style.TEXT, true))
	_password.secret = true
	_password.placeholder_text = "Your password"
	_password.text_changed.connect(func(t: String) -> void: _delete.disabled = t == "")
	column.add_child(_password)
	_delete.text = "Delete my account"
	_delete.theme_type_variation = &"DangerButton"
	_delete.disabled = true
	_delete.pressed.connect(_on_delete)
	column.add_child(_delete)
	_status = Style.label("", 13, Style.TEXT_MUTED, true)
	_status.visible = false
	column.add_child(_status)
	add_child(column)
	confirmed.connect(queue_free)
	canceled.connect(queue_free)


func open(parent: Node) -> void:
	parent.add_child(self)
	popup_centered()


func _say(text: String, is_error: bool) -> void:
	_status.text = text
	_status.visible = text != ""
	_status.add_theme_color_override("font_color", Style.RED if is_error else Style.TEXT_MUTED)


func _on_download() -> void:
	_download.disabled = true
	_say("Preparing your data...", false)
	var folder := OS.get_system_dir(OS.SYSTEM_DIR_DOWNLOADS)
	if folder == "":
		folder = OS.get_user_data_dir()
	var saved: String = await DataManager.moderation_api.download_my_data(folder)
	_download.disabled = false
	if saved.begins_with("!"):
		_say("Could not download your data: " + saved.substr(1), true)
	else:
		_say("Saved " + saved, false)
		DataManager.notice.emit("Your data is saved in " + saved, false)


func _on_delete() -> void:
	_delete.disabled = true
	_say("Deleting your account...", false)
	var result: ApiResult = await DataManager.moderation_api.delete_account(_password.text)
	if result.ok:
		queue_free()
		AuthManager.logout("Your account was deleted.")
		return
	_delete.disabled = false
	_say(result.message, true)
