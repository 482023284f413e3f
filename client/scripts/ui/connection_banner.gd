## A strip above the chat whenever the live connection is not up: connecting, reconnecting
## (with a countdown and "Reconnect now"), or offline. Hidden while connected.
extends PanelContainer

const Style := preload("res://scripts/ui/style.gd")
const GatewaySession := preload("res://scripts/net/gateway_session.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")

var _text: Label
var _retry: Button
var _shown := ""


func _ready() -> void:
	var row := HBoxContainer.new()
	row.alignment = BoxContainer.ALIGNMENT_CENTER
	row.add_theme_constant_override("separation", 12)
	add_child(row)
	_text = Style.label("", 14, Color.WHITE)
	row.add_child(_text)
	_retry = Button.new()
	_retry.text = "Reconnect now"
	_retry.add_theme_font_size_override("font_size", 13)
	_retry.pressed.connect(NetworkManager.reconnect_now)
	row.add_child(_retry)
	NetworkManager.gateway_status_changed.connect(func(_s: int) -> void: _refresh())
	_refresh()


func _process(_delta: float) -> void:
	_refresh()


func _refresh() -> void:
	var status := NetworkManager.gateway_status()
	var text := ""
	var color := Style.YELLOW.darkened(0.35)
	match status:
		GatewaySession.Status.CONNECTED:
			text = ""
		GatewaySession.Status.CONNECTING:
			text = "Connecting to %s..." % NetworkManager.base_url
		GatewaySession.Status.RECONNECTING:
			text = _reconnecting_text()
		_:
			text = "Offline."
			color = Style.RED.darkened(0.3)
	visible = text != ""
	_retry.visible = status == GatewaySession.Status.RECONNECTING
	if text != _shown:
		_shown = text
		_text.text = text
		add_theme_stylebox_override("panel", Style.box(color, 0, 6, 12))


func _reconnecting_text() -> String:
	var wait := ceili(NetworkManager.reconnect_in_seconds())
	var when := "Retrying in %d s..." % wait if wait > 0 else "Retrying..."
	if not NetworkManager.has_connected():
		return "Cannot reach the server at %s. %s" % [NetworkManager.base_url, when]
	var why := Protocol.describe_close(NetworkManager.last_close_code())
	return "Connection lost%s. %s" % [" (" + why + ")" if why != "" else "", when]
