## AuthManager (autoload): the signed-in session. Signs in, registers, restores the session
## saved in user:// on start (so the next start goes straight in), refreshes the token when it
## nears expiry, and signs out (also when the server refuses the token).
extends Node

signal signed_in
signal signed_out(reason: String)

const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")
const DataStateScript := preload("res://scripts/model/data_state.gd")

const SESSION_PATH := "user://session.cfg"
const SETTINGS_PATH := "user://settings.cfg"
const DEFAULT_SERVER_URL := "http://127.0.0.1:8000"
const REFRESH_BEFORE_S := 3 * 24 * 3600

## Whether the session is written to user:// (off for smoke runs and screenshots).
var persist := true
var server_url := ""
var token := ""
var user := {}
var expires_at := ""


func is_signed_in() -> bool:
	return token != ""


## Signs in with the session saved by an earlier run, if there is one. Returns whether it did.
func restore_session() -> bool:
	var file := ConfigFile.new()
	if not persist or file.load(SESSION_PATH) != OK:
		return false
	var saved_token := str(file.get_value("session", "token", ""))
	var saved_url := str(file.get_value("session", "server_url", ""))
	if saved_token == "" or Api.normalize_base_url(saved_url) == "":
		return false
	var saved_expiry := str(file.get_value("session", "expires_at", ""))
	var expiry := TimeFormat.parse_iso(saved_expiry)
	if expiry > 0.0 and expiry < Time.get_unix_time_from_system():
		_forget_saved_session()
		return false
	var saved_user: Variant = file.get_value("session", "user", {})
	_start(saved_url, saved_token, saved_expiry, saved_user if saved_user is Dictionary else {})
	_refresh_if_needed()
	return true


func login(url: String, login_name: String, password: String) -> ApiResult:
	_net().configure(url, "")
	var body := {"login": login_name.strip_edges(), "password": password}
	var result := await _net().api_post(Api.POST_AUTH_LOGIN, {}, body)
	_accept(url, result)
	return result


func register(url: String, username: String, email: String, password: String) -> ApiResult:
	_net().configure(url, "")
	var body := {
		"username": username.strip_edges().to_lower(),
		"email": email.strip_edges(),
		"password": password,
	}
	var result := await _net().api_post(Api.POST_AUTH_REGISTER, {}, body)
	_accept(url, result)
	return result


## Signs out: revokes the token on the server (best effort), forgets the saved session and
## closes the gateway. `reason` is shown on the login screen.
func logout(reason := "") -> void:
	if token == "":
		return
	var old_token := token
	_end_session(reason)
	await _net().api_post(Api.POST_AUTH_LOGOUT, {}, null, old_token)


## The server address to prefill on the login screen.
func last_server_url() -> String:
	var file := ConfigFile.new()
	if file.load(SETTINGS_PATH) == OK:
		return str(file.get_value("login", "server_url", DEFAULT_SERVER_URL))
	return DEFAULT_SERVER_URL


func last_login_name() -> String:
	var file := ConfigFile.new()
	if file.load(SETTINGS_PATH) == OK:
		return str(file.get_value("login", "name", ""))
	return ""


func _ready() -> void:
	_net().auth_failed.connect(_on_auth_failed)
	_net().dispatch_received.connect(_on_dispatch)


func _accept(url: String, result: ApiResult) -> void:
	if not result.ok:
		return
	var body := result.dict()
	_start(url, str(body.get("token", "")), str(body.get("expires_at", "")), body.get("user", {}))
	_save()


func _start(url: String, new_token: String, expiry: String, me: Dictionary) -> void:
	server_url = Api.normalize_base_url(url)
	token = new_token
	expires_at = expiry
	user = me
	_net().configure(server_url, token)
	_data().me = me
	_net().connect_gateway()
	signed_in.emit()


func _end_session(reason: String) -> void:
	token = ""
	user = {}
	expires_at = ""
	_forget_saved_session()
	_net().disconnect_gateway()
	_net().configure(server_url, "")
	_data().clear()
	signed_out.emit(reason)


func _refresh_if_needed() -> void:
	var expiry := TimeFormat.parse_iso(expires_at)
	if expiry <= 0.0 or expiry - Time.get_unix_time_from_system() > REFRESH_BEFORE_S:
		return
	var result := await _net().api_post(Api.POST_AUTH_REFRESH)
	if result.ok and token != "":
		var body := result.dict()
		token = str(body.get("token", token))
		expires_at = str(body.get("expires_at", expires_at))
		_net().configure(server_url, token)
		_save()


func _save() -> void:
	if not persist:
		return
	var session := ConfigFile.new()
	session.set_value("session", "server_url", server_url)
	session.set_value("session", "token", token)
	session.set_value("session", "expires_at", expires_at)
	session.set_value("session", "user", user)
	session.save(SESSION_PATH)
	var settings := ConfigFile.new()
	settings.load(SETTINGS_PATH)
	settings.set_value("login", "server_url", server_url)
	settings.set_value("login", "name", str(user.get("username", "")))
	settings.save(SETTINGS_PATH)


func _forget_saved_session() -> void:
	if persist and FileAccess.file_exists(SESSION_PATH):
		DirAccess.remove_absolute(ProjectSettings.globalize_path(SESSION_PATH))


func _on_auth_failed(message: String) -> void:
	if token != "":
		_end_session(message)


func _on_dispatch(event: String, data: Variant) -> void:
	if event == Protocol.EVENT_USER_UPDATE and data is Dictionary:
		user = data
		_save()


func _net() -> NetworkManagerScript:
	return get_node(^"/root/NetworkManager") as NetworkManagerScript


func _data() -> DataStateScript:
	return get_node(^"/root/DataManager") as DataStateScript
