## The root scene: applies the theme, shows LoginScene or MainScene as the session comes and
## goes, and runs the command-line modes (smoke check, screenshot, demo data).
extends Control

const CliArgs := preload("res://scripts/app/cli_args.gd")
const Smoke := preload("res://scripts/app/smoke.gd")
const Demo := preload("res://scripts/app/demo.gd")
const Screenshot := preload("res://scripts/app/screenshot.gd")
const BenchScroll := preload("res://scripts/app/bench_scroll.gd")
const ChatUI := preload("res://scripts/ui/chat_ui.gd")
const Style := preload("res://scripts/ui/style.gd")
const LoginScene := preload("res://scenes/login_scene.tscn")
const MainScene := preload("res://scenes/main_scene.tscn")

var args := CliArgs.new()

var _screen: Control


func _ready() -> void:
	args.parse(OS.get_cmdline_user_args())
	if args.smoke_url != "":
		var smoke := Smoke.new()
		add_child(smoke)
		smoke.run(args.smoke_url)
		return
	get_window().min_size = Vector2i(900, 560)
	get_tree().root.theme = Style.build_theme()
	RenderingServer.set_default_clear_color(Style.BG_CHAT)
	if args.bench_scroll > 0:
		var bench := BenchScroll.new()
		add_child(bench)
		var window: int = ChatUI.WINDOW_ROWS
		var big := args.bench_scroll
		bench.run([[200, window], [big, window], [big, big + 1]])
		return
	if args.verbose:
		_log_network()
	AuthManager.signed_in.connect(_show_main)
	AuthManager.signed_out.connect(_show_login)
	var screenshot: Screenshot = null
	if args.screenshot_path != "":
		screenshot = Screenshot.new()
		add_child(screenshot)
	if args.demo_url != "" or args.fresh_url != "":
		var demo := Demo.new()
		add_child(demo)
		demo.history = args.history
		if args.demo_url != "":
			await demo.run(args.demo_url)
		else:
			await demo.run_fresh(args.fresh_url)
		if not AuthManager.is_signed_in():
			_show_login("The demo could not sign in: %s" % demo.error)
	elif args.screen == "login" or not AuthManager.restore_session():
		_show_login("")
	if screenshot != null:
		await get_tree().create_timer(maxf(args.delay - 1.0, 0.1)).timeout
		if args.search != "":
			await _run_search(args.search, args.dialog == "search_jump")
		_open_dialog(args.dialog)
		screenshot.take(args.screenshot_path, 1.0)


func _show_main() -> void:
	_replace(MainScene.instantiate())


func _show_login(reason: String) -> void:
	var login := LoginScene.instantiate()
	_replace(login)
	login.call("show_notice", reason)


func _replace(screen: Control) -> void:
	if _screen != null:
		_screen.queue_free()
	_screen = screen
	add_child(screen)


## Opens a dialog by name, for screenshots.
func _open_dialog(dialog_name: String) -> void:
	match dialog_name:
		"create_server", "join":
			var rail := find_child("ServerList", true, false)
			if rail != null:
				rail.call("open_dialog", dialog_name == "create_server")
		"invite":
			var dialog := preload("res://scripts/ui/invite_dialog.gd").new()
			dialog.open(get_tree().root, DataManager.current_server_id)
		"scroll_top":
			var scroll := find_child("ChatUI", true, false).find_children(
				"*", "ScrollContainer", true, false
			)
			if not scroll.is_empty():
				(scroll[0] as ScrollContainer).scroll_vertical = 0
		"message_menu":
			var rows := find_children("*", "PanelContainer", true, false).filter(
				func(node: Node) -> bool: return node.has_signal("actions_requested")
			)
			if not rows.is_empty():
				var row: Control = rows[-2] if rows.size() > 1 else rows[-1]
				row.emit_signal(
					"actions_requested", row.get("key"), row.global_position + Vector2(400, 20)
				)
		"server_menu":
			var lists := find_children("ChannelList", "", true, false)
			if not lists.is_empty():
				var header := lists[0].find_children("*", "Button", true, false)
				if not header.is_empty():
					(header[0] as Button).pressed.emit()
		"retry_failed":
			var channel_id := DataManager.current_channel_id
			for entry in DataManager.store(channel_id).pending:
				DataManager.messages_api.retry_send(channel_id, str(entry["nonce"]))
		"home":
			DataManager.select_home()
		"group_dm":
			_demo_group_dialog()
		"block":
			_demo_block()
		"mention":
			_demo_mention()
		"notifications":
			var dialog := preload("res://scripts/ui/notification_dialog.gd").new()
			dialog.open(get_tree().root, DataManager.current_server_id, "")
		"unread_channel":
			_demo_unread_channel()
		"member_menu":
			_demo_member_menu()
		"unread_jump":
			_demo_unread_channel()
			await get_tree().create_timer(0.5).timeout
			var chat := find_child("ChatUI", true, false)
			if chat != null:
				chat.call("_jump_to_new")
		"image_viewer":
			_open_image()
		"attach":
			_demo_attach(false)
		"upload_progress":
			_demo_attach(true)
		"register_errors", "wrong_password":
			var method := (
				"demo_errors" if dialog_name == "register_errors" else "demo_wrong_password"
			)
			if _screen != null and _screen.has_method(method):
				_screen.call(method)


## Types a search and presses Enter (and clicks the first result), for screenshots.
func _run_search(text: String, jump: bool) -> void:
	var chat := find_child("ChatUI", true, false)
	if chat == null:
		return
	var box := chat.find_child("SearchBox", true, false) as LineEdit
	if box != null:
		box.text = text
	chat.call("search", text)
	var search := DataManager.search_api
	while search.loading:
		await get_tree().process_frame
	if jump and not search.results.is_empty():
		var first := search.results[0]
		var panel := find_child("SearchPanel", true, false)
		if panel != null:
			await panel.call("open_result", str(first["channel_id"]), str(first["id"]))


## The group DM dialog with the first two people ticked.
func _demo_group_dialog() -> void:
	var dialog := preload("res://scripts/ui/group_dm_dialog.gd").new()
	await dialog.open(get_tree().root)
	for user: Dictionary in DataManager.dms_api.candidates().slice(0, 2):
		dialog.pick(str(user["id"]))


## "@ca" typed in the composer: the autocomplete lists the matching members.
func _demo_mention() -> void:
	var composers := find_children("*", "MarginContainer", true, false).filter(
		func(node: Node) -> bool: return node.has_method("refresh_suggestions")
	)
	if composers.is_empty():
		return
	var field := composers[0].find_children("*", "LineEdit", true, false)[0] as LineEdit
	field.text = "thanks @ca"
	field.caret_column = field.text.length()
	field.grab_focus()
	composers[0].call("refresh_suggestions")


## Opens the channel with unread messages and a mention after what was read (#random in the
## demo): the "NEW" divider.
func _demo_unread_channel() -> void:
	for channel in DataManager.channels_of(DataManager.current_server_id):
		var channel_id := str(channel["id"])
		var other := channel_id != DataManager.current_channel_id
		if other and DataManager.reads.is_unread(channel_id) and DataManager.badge(channel_id) > 0:
			DataManager.select_channel(channel_id)
			return


## The right-click menu of the first other member in the list (Message, Block, moderation).
func _demo_member_menu() -> void:
	var list := find_child("UserList", true, false)
	var members: Dictionary = DataManager.members.get(DataManager.current_server_id, {})
	for user_id: String in members:
		var member: Dictionary = members[user_id]
		if user_id != DataManager.me_id() and list != null:
			var click := InputEventMouseButton.new()
			click.button_index = MOUSE_BUTTON_RIGHT
			click.pressed = true
			click.global_position = Vector2(1100, 90)
			var username := str(member.get("user", {}).get("username", ""))
			list.call("_on_row_input", click, user_id, str(member.get("role", "")), username)
			return


## Blocks the author of the open channel's first message (bob in the demo): his messages
## collapse.
func _demo_block() -> void:
	for msg: Dictionary in DataManager.store(DataManager.current_channel_id).confirmed:
		var author_id := str(msg.get("author", {}).get("id", ""))
		if author_id != DataManager.me_id():
			await DataManager.dms_api.block(author_id)
			return


## The full-size view of the newest image in the open channel.
func _open_image() -> void:
	var chat := find_child("ChatUI", true, false)
	for msg: Dictionary in DataManager.store(DataManager.current_channel_id).all():
		for attachment: Dictionary in msg.get("attachments", []):
			if attachment.has("thumbnail_url") and chat != null:
				chat.call("open_image", attachment)
				return


## Files attached in the composer (and, with `sending`, the upload bar as it looks mid-way;
## a real upload to a local server is over too fast to catch).
func _demo_attach(sending: bool) -> void:
	var folder := OS.get_cache_dir().path_join("concord-attach-demo")
	DirAccess.make_dir_recursive_absolute(folder)
	var paths := PackedStringArray()
	for name: String in ["holiday.jpg", "budget.pdf"]:
		var path := folder.path_join(name)
		var file := FileAccess.open(path, FileAccess.WRITE)
		file.store_buffer(PackedByteArray([1, 2, 3]).duplicate())
		for _i in 4000:
			file.store_64(randi())
		file.close()
		paths.append(path)
	var composers := find_children("*", "MarginContainer", true, false).filter(
		func(node: Node) -> bool: return node.has_method("add_files")
	)
	if composers.is_empty():
		return
	composers[0].call("add_files", paths)
	if sending:
		var state := {
			"state": "sending",
			"sent": 19_100_000,
			"total": 31_500_000,
			"names": ["holiday.jpg", "budget.pdf"]
		}
		composers[0].call("show_upload", state)


func _log_network() -> void:
	NetworkManager.gateway_status_changed.connect(
		func(status: int) -> void: print("[gateway] status %d" % status)
	)
	NetworkManager.dispatch_received.connect(
		func(event: String, _data: Variant) -> void: print("[gateway] %s" % event)
	)
	NetworkManager.backfill_needed.connect(
		func(resumed: bool, resync_after: String) -> void:
			print("[gateway] backfill (resumed: %s, resync after: %s)" % [resumed, resync_after])
	)
