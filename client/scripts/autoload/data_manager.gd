## DataManager (autoload): the cache the scenes read and listen to (see data_state.gd), fed
## by NetworkManager's gateway events, plus the actions that change things on the server:
## `DataManager.messages_api` (history, send, edit, delete, typing, jump to a message),
## `DataManager.servers_api` (servers, channels, invites, members, status),
## `DataManager.member_list_api` (the page of the member list watched),
## `DataManager.search_api` (message search), `DataManager.moderation_api` (bans,
## timeouts, the audit log, your account's export and deletion), `DataManager.dms_api`
## (DMs, group DMs, blocks) and `DataManager.reads_api` (marking read, notification
## settings).
extends "res://scripts/model/data_state.gd"

const MessageActions := preload("res://scripts/model/message_actions.gd")
const ServerActions := preload("res://scripts/model/server_actions.gd")
const SearchActions := preload("res://scripts/model/search_actions.gd")
const MemberListActions := preload("res://scripts/model/member_list_actions.gd")
const ModerationActions := preload("res://scripts/model/moderation_actions.gd")
const DmActions := preload("res://scripts/model/dm_actions.gd")
const ReadActions := preload("res://scripts/model/read_actions.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")

var messages_api: MessageActions
var servers_api: ServerActions
var search_api: SearchActions
var member_list_api: MemberListActions
var moderation_api: ModerationActions
var dms_api: DmActions
var reads_api: ReadActions


func _ready() -> void:
	var net := get_node_or_null(^"/root/NetworkManager") as NetworkManagerScript
	if net != null:
		attach(net)


func attach(net: NetworkManagerScript) -> void:
	messages_api = MessageActions.new(self, net)
	servers_api = ServerActions.new(self, net)
	search_api = SearchActions.new(self, net)
	member_list_api = MemberListActions.new(self, net.send_member_list)
	net.dispatch_received.connect(_before_dispatch)
	moderation_api = ModerationActions.new(self, net)
	dms_api = DmActions.new(self, net)
	dms_api.load_members = servers_api.load_members
	reads_api = ReadActions.new(self, net)
	net.dispatch_received.connect(apply_dispatch)
	net.dispatch_received.connect(_after_dispatch)
	net.backfill_needed.connect(messages_api.backfill)
	selection_changed.connect(_on_selection_changed)


func _on_selection_changed() -> void:
	if current_channel_id != "":
		messages_api.open_channel(current_channel_id)
	if servers.has(current_server_id) and not members.has(current_server_id):
		servers_api.load_members(current_server_id)
	# The member list shown: its members' presence (a large server sends no other).
	member_list_api.watch_members(current_server_id)


func _before_dispatch(event: String, _data: Variant) -> void:
	if event == Protocol.EVENT_READY:
		member_list_api.forget_watch()  # a new session watches nothing yet


func _after_dispatch(event: String, data: Variant) -> void:
	var d: Dictionary = data if data is Dictionary else {}
	var server_id := Ids.of(d.get("server_id"))
	if server_id == current_server_id and member_page_stale(event, d):
		member_list_api.watch_members(server_id, "", true)
	# A message in a DM the client does not know (its CHANNEL_CREATE was missed): read the
	# DM list again.
	var channel_id := Ids.of(d.get("channel_id"))
	if event == Protocol.EVENT_MESSAGE_CREATE and server_id == "" and channel_id != "":
		if not channels.has(channel_id):
			dms_api.load_private_channels()
	# The channel in view stays read: what arrives there is read at once (window focused).
	if event == Protocol.EVENT_READY or (channel_id != "" and channel_id == reads_api.viewing):
		reads_api.refresh()


func _process(delta: float) -> void:
	super(delta)
	if reads_api != null:
		reads_api.poll()


## Forgets everything (sign-out), the open search too.
func clear() -> void:
	super()
	if search_api != null:
		search_api.close()
	if reads_api != null:
		reads_api.reset()
