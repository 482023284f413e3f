## MainScene: ServerList | ChannelList (or the DM list under Home) | (connection banner +
## ChatUI) | UserList or SearchPanel (while a search is open), with toasts. Keeps the window
## title on the number of mentions waiting, asks for attention on a new mention while the
## window is not focused, and tells the read tracking when the window gains or loses focus.
extends Control

const Style := preload("res://scripts/ui/style.gd")
const ServerListScene := preload("res://scenes/server_list.tscn")
const ChannelListScene := preload("res://scenes/channel_list.tscn")
const ChatUIScene := preload("res://scenes/chat_ui.tscn")
const UserListScene := preload("res://scenes/user_list.tscn")
const ConnectionBanner := preload("res://scripts/ui/connection_banner.gd")
const WelcomePanel := preload("res://scripts/ui/welcome_panel.gd")
const Toasts := preload("res://scripts/ui/toasts.gd")
const SearchPanel := preload("res://scripts/ui/search_panel.gd")
const ReadStates := preload("res://scripts/model/read_states.gd")

var _chat: Control
var _user_list: Control
var _search_panel: Control
var _welcome: Control
var _loading: Control


func _ready() -> void:
	set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	var columns := HBoxContainer.new()
	columns.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	columns.add_theme_constant_override("separation", 0)
	add_child(columns)
	var server_list := ServerListScene.instantiate()
	columns.add_child(server_list)
	columns.add_child(ChannelListScene.instantiate())
	var center := Style.panel(Style.BG_CHAT)
	center.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	columns.add_child(center)
	var stack := VBoxContainer.new()
	stack.add_theme_constant_override("separation", 0)
	center.add_child(stack)
	stack.add_child(ConnectionBanner.new())
	_chat = ChatUIScene.instantiate()
	_chat.size_flags_vertical = Control.SIZE_EXPAND_FILL
	stack.add_child(_chat)
	var welcome := WelcomePanel.new()
	welcome.size_flags_vertical = Control.SIZE_EXPAND_FILL
	welcome.create_pressed.connect(server_list.open_dialog.bind(true))
	welcome.join_pressed.connect(server_list.open_dialog.bind(false))
	stack.add_child(welcome)
	_welcome = welcome
	_loading = CenterContainer.new()
	_loading.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_loading.add_child(Style.label("Loading your servers...", 16, Style.TEXT_MUTED))
	stack.add_child(_loading)
	_user_list = UserListScene.instantiate()
	columns.add_child(_user_list)
	_search_panel = SearchPanel.new()
	columns.add_child(_search_panel)
	var toasts := Toasts.new()
	toasts.set_anchors_and_offsets_preset(Control.PRESET_BOTTOM_RIGHT)
	toasts.grow_horizontal = Control.GROW_DIRECTION_BEGIN
	toasts.grow_vertical = Control.GROW_DIRECTION_BEGIN
	toasts.offset_right = -256
	toasts.offset_bottom = -96
	add_child(toasts)
	DataManager.servers_changed.connect(_refresh_mode)
	DataManager.me_changed.connect(_refresh_mode)
	DataManager.search_api.changed.connect(_refresh_mode)
	DataManager.selection_changed.connect(_refresh_mode)
	DataManager.unread_changed.connect(_refresh_title)
	DataManager.mentioned.connect(_on_mentioned)
	var window := get_window()
	window.focus_entered.connect(func() -> void: DataManager.reads_api.set_focused(true))
	window.focus_exited.connect(func() -> void: DataManager.reads_api.set_focused(false))
	DataManager.reads_api.set_focused(window.has_focus() or DisplayServer.get_name() == "headless")
	_refresh_mode()
	_refresh_title()


func _exit_tree() -> void:
	get_window().title = ReadStates.APP_TITLE


func _refresh_title() -> void:
	get_window().title = ReadStates.window_title(DataManager.total_mentions())


## A mention (or a DM) while you look elsewhere: the taskbar entry flashes.
func _on_mentioned(_channel_id: String, _message: Dictionary) -> void:
	if not get_window().has_focus():
		DisplayServer.window_request_attention()


## The chat for a server or Home (DMs); the welcome screen when you are in no server and not
## looking at your DMs.
func _refresh_mode() -> void:
	var has_servers := not DataManager.server_order.is_empty() or DataManager.is_home()
	_loading.visible = not DataManager.ready_received
	_welcome.visible = DataManager.ready_received and not has_servers
	_chat.visible = DataManager.ready_received and has_servers
	_search_panel.visible = _chat.visible and DataManager.search_api.open
	_user_list.visible = _chat.visible and not _search_panel.visible
