## End-to-end check of every user action against a live server, through the autoloads the
## UI uses (nothing is saved to user://):
##   godot --headless --path client --script res://tests/live/run_live.gd -- http://127.0.0.1:8000
## Registers two fresh users (the second counts against the per-IP register limit too).
## Prints PASS / FAIL per step and exits 1 on any failure.
extends SceneTree

const Api := preload("res://scripts/net/api.gd")
const ReadStatesScript := preload("res://scripts/model/read_states.gd")
const TIMEOUT_MS := 10000

var failed := 0
var _net: Node
var _auth: Node
var _data: Node


func _initialize() -> void:
	_run()


func _run() -> void:
	await process_frame
	_net = root.get_node("NetworkManager")
	_auth = root.get_node("AuthManager")
	_data = root.get_node("DataManager")
	_auth.set("persist", false)
	var args := OS.get_cmdline_user_args()
	var url: String = args[0] if not args.is_empty() else "http://127.0.0.1:8000"
	await _scenario(url)
	print("live: %s" % ("all steps passed" if failed == 0 else "%d step(s) failed" % failed))
	quit(1 if failed > 0 else 0)


func _scenario(url: String) -> void:
	var tag := "%x" % (Time.get_ticks_usec() % 0xffffff)
	var registered = await _auth.register(
		url, "live_a" + tag, "a%s@example.com" % tag, "password-123"
	)
	_step("register and sign in", registered.ok, registered.message)
	_step("READY received", await _until(func() -> bool: return _data.ready_received), "")
	var servers = _data.servers_api
	var messages = _data.messages_api
	var created = await servers.create_server("Live " + tag)
	var server_id := str(created.dict().get("id", ""))
	_step("create server", created.ok and _data.current_server_id == server_id, created.message)
	var general: String = _data.current_channel_id
	var channel = await servers.create_channel(server_id, "second")
	var second := str(channel.dict().get("id", ""))
	_step("create channel", channel.ok and _data.channels.has(second), channel.message)
	var renamed = await servers.rename_channel(second, "renamed")
	_step("rename channel", renamed.ok and _data.channels[second]["name"] == "renamed", "")
	var invite = await servers.create_invite(server_id, 3600, 5)
	var code := str(invite.dict().get("code", ""))
	_step("create invite", invite.ok and code != "", invite.message)
	var body := {
		"username": "live_b" + tag, "email": "b%s@example.com" % tag, "password": "pw-123456"
	}
	var other = await _net.api_post(Api.POST_AUTH_REGISTER, {}, body)
	var token_b := str(other.dict().get("token", ""))
	var user_b := str(other.dict().get("user", {}).get("id", ""))
	var joined = await _net.api_post(Api.POST_INVITE, {"code": code}, null, token_b)
	_step("second user joins with the invite", joined.ok, joined.message)
	var seen_b := func() -> bool: return _data.members.get(server_id, {}).has(user_b)
	_step("MEMBER_ADD reaches the member list", await _until(seen_b), "")
	var role = await servers.set_member_role(server_id, user_b, "moderator")
	_step("make them moderator", role.ok and _member_role(server_id, user_b) == "moderator", "")
	await _dms(user_b, token_b)
	_data.select_channel(general)
	await _reads(server_id, general, token_b)
	var posted = await _net.api_post(
		Api.POST_CHANNEL_MESSAGES, {"channel_id": general}, {"content": "hi from b"}, token_b
	)
	var their_id := str(posted.dict().get("id", ""))
	var arrived := func() -> bool: return not _data.store(general).get_message(their_id).is_empty()
	_step("their message arrives over the gateway", await _until(arrived), "")
	await _net.api_post(Api.POST_CHANNEL_TYPING, {"channel_id": general}, null, token_b)
	var typing := func() -> bool: return not _data.typing_names(general).is_empty()
	_step("TYPING_START shows who is typing", await _until(typing), "")
	messages.send_message(general, "my message")
	var mine_confirmed := func() -> bool: return _data.store(general).pending.is_empty()
	_step("send (optimistic, confirmed)", await _until(mine_confirmed), "")
	var mine := str(_data.store(general).confirmed[-1]["id"])
	var edited = await messages.edit_message(general, mine, "my edited message")
	var edit_ok: bool = _data.store(general).get_message(mine).get("edited_at") is String
	_step("edit my message", edited.ok and edit_ok, edited.message)
	var search = _data.search_api
	await search.search(server_id, '"my edited" from:live_a%s -nothing' % tag)
	var found: Array = search.results.map(func(m: Dictionary) -> String: return str(m["id"]))
	_step("search finds the edited message", search.error == "" and found == [mine], search.error)
	var marked: Array = search.results[0].get("highlights", []) if not found.is_empty() else []
	_step("with the phrase highlighted", marked.size() == 1, str(marked))
	await search.search(server_id, "message from:nobody_here")
	_step("an unknown from: is explained", search.error.begins_with("No member named"), "")
	_data.store(general).reset_history()
	var jumped: String = await messages.jump_to(general, mine)
	var shown: bool = not _data.store(general).get_message(mine).is_empty()
	_step("jump to a result loads the page around it", jumped == "" and shown, jumped)
	search.close()
	await _rich(general, their_id, token_b)
	await _files(general, server_id, tag)
	var deleted = await messages.delete_message(general, their_id)
	var gone: bool = _data.store(general).get_message(their_id).is_empty()
	_step("owner deletes their message", deleted.ok and gone, deleted.message)
	var removed = await servers.delete_channel(second)
	_step("delete channel", removed.ok and not _data.channels.has(second), removed.message)
	var kicked = await servers.kick_member(server_id, user_b)
	_step("kick", kicked.ok and not _data.members[server_id].has(user_b), kicked.message)
	var status = await servers.set_status("away")
	_step("set status", status.ok and _data.me.get("status") == "away", status.message)
	var leave = await servers.leave_server(server_id)
	_step("owner cannot leave (409)", leave.code == "owner_cannot_leave", leave.code)
	var dropped = await servers.delete_server(server_id)
	_step("delete server", dropped.ok and not _data.servers.has(server_id), dropped.message)
	await _auth.logout()
	_step("sign out", not _auth.is_signed_in(), "")


## DMs: open one with b (the same one again), messages both ways over the gateway, b's DM
## list, a block that stops b posting there and its lifting, and a group DM renamed and left.
func _dms(user_b: String, token_b: String) -> void:
	var dms = _data.dms_api
	var opened = await dms.open_dm(user_b)
	var dm_id := str(opened.dict().get("id", ""))
	var shown: bool = _data.is_home() and _data.current_channel_id == dm_id
	_step(
		"open a DM (Home shows it)", opened.ok and _data.is_private(dm_id) and shown, opened.message
	)
	var again = await _net.api_post(Api.POST_MY_CHANNELS, {}, {"recipient_id": user_b})
	_step("the same DM every time", str(again.dict().get("id", "")) == dm_id, again.message)
	_data.messages_api.send_message(dm_id, "hello in private")
	var sent := func() -> bool: return _data.store(dm_id).pending.is_empty()
	var mine_ok: bool = await _until(sent) and not _data.store(dm_id).confirmed.is_empty()
	_step("send a DM", mine_ok, "")
	var params := {"channel_id": dm_id}
	var posted = await _net.api_post(
		Api.POST_CHANNEL_MESSAGES, params, {"content": "hello back"}, token_b
	)
	var their_id := str(posted.dict().get("id", ""))
	var arrived := func() -> bool: return not _data.store(dm_id).get_message(their_id).is_empty()
	_step("their DM arrives over the gateway", posted.ok and await _until(arrived), posted.message)
	var first: Array[Dictionary] = _data.private_channels()
	_step("the DM tops my DM list", not first.is_empty() and str(first[0]["id"]) == dm_id, "")
	var theirs = await _net.api_get(Api.GET_MY_CHANNELS, {}, {}, token_b)
	var listed: Array = theirs.list().map(func(c: Dictionary) -> String: return str(c["id"]))
	_step("their DM list holds it", listed.has(dm_id), str(listed))
	var blocked = await dms.block(user_b)
	_step("block them", blocked.ok and _data.is_blocked(user_b), blocked.message)
	var refused = await _net.api_post(
		Api.POST_CHANNEL_MESSAGES, params, {"content": "let me in"}, token_b
	)
	_step("they cannot post in our DM (403 blocked)", refused.code == "blocked", refused.code)
	var unblocked = await dms.unblock(user_b)
	_step("unblock them", unblocked.ok and not _data.is_blocked(user_b), unblocked.message)
	var group = await dms.create_group([user_b] as Array[String], "Live group")
	var group_id := str(group.dict().get("id", ""))
	var grouped: bool = group.ok and _data.current_channel_id == group_id
	_step("start a group DM", grouped, group.message)
	var their_list = await _net.api_get(Api.GET_MY_CHANNELS, {}, {}, token_b)
	var groups: Array = their_list.list().map(func(c: Dictionary) -> String: return str(c["id"]))
	_step("they see the group", groups.has(group_id), str(groups))
	var renamed = await dms.rename_group(group_id, "Renamed group")
	var new_name := str(_data.channels.get(group_id, {}).get("name", ""))
	_step("rename the group", renamed.ok and new_name == "Renamed group", renamed.message)
	var left = await dms.leave_group(group_id)
	_step("leave the group", left.ok and not _data.channels.has(group_id), left.message)


## Reads: b mentions me (counted, the message lists me), I mark the channel read (the
## server's read state agrees, MESSAGE_ACK comes back), notification settings round-trip, and
## a whole server is marked read.
func _reads(server_id: String, general: String, token_b: String) -> void:
	var me_id: String = _data.me_id()
	var text := {"content": "look <@%s>" % me_id}
	var posted = await _net.api_post(
		Api.POST_CHANNEL_MESSAGES, {"channel_id": general}, text, token_b
	)
	var mention_id := str(posted.dict().get("id", ""))
	var listed: Array = posted.dict().get("mentions", [])
	_step("a mention lists me", posted.ok and listed.has(me_id), str(listed))
	var counted := func() -> bool: return _data.badge(general) >= 1
	_step("the mention is counted (badge)", await _until(counted), str(_data.badge(general)))
	_step("the server shows it", _data.server_badge(server_id) >= 1, "")
	var acks := []
	var on_ack := func(event: String, data: Variant) -> void:
		if event == "MESSAGE_ACK" and data is Dictionary and data.get("channel_id") == general:
			acks.append(data)
	_net.dispatch_received.connect(on_ack)
	_data.reads_api.mark_channel_read(general)
	_step(
		"mark the channel read", _data.badge(general) == 0 and not _data.shows_unread(general), ""
	)
	_step("MESSAGE_ACK comes back", await _until(func() -> bool: return not acks.is_empty()), "")
	_net.dispatch_received.disconnect(on_ack)
	var states = await _net.api_get(Api.GET_MY_READ_STATES)
	var mine := {}
	for entry: Variant in states.list():
		if entry is Dictionary and entry.get("channel_id") == general:
			mine = entry
	var agreed: bool = (
		mine.get("last_read_id") == mention_id and int(mine.get("mention_count", -1)) == 0
	)
	_step("the server's read state agrees", agreed, str(mine))
	var changed = await _data.reads_api.set_notifications(server_id, "", "mentions", null)
	var level: String = _data.reads.level_of(server_id, general)
	_step("notification level: only mentions", changed.ok and level == "mentions", changed.message)
	var muted = await _data.reads_api.set_notifications(
		"", general, "nothing", ReadStatesScript.mute_until(3600)
	)
	_step("a channel muted for an hour", muted.ok and _data.reads.is_muted(server_id, general), "")
	await _data.reads_api.set_notifications("", general, null, null)
	await _data.reads_api.set_notifications(server_id, "", "all", null)
	_step("settings back to all", _data.reads.level_of(server_id, general) == "all", "")
	# Offline while b mentions me: the next READY's read states carry it (a fresh IDENTIFY).
	var readies := [0]
	var on_ready := func(event: String, _payload: Variant) -> void:
		if event == "READY":
			readies[0] += 1
	_net.dispatch_received.connect(on_ready)
	_net.disconnect_gateway()
	var missed = await _net.api_post(
		Api.POST_CHANNEL_MESSAGES, {"channel_id": general}, text, token_b
	)
	_net.connect_gateway()
	var after_ready: bool = await _until(func() -> bool: return readies[0] > 0)
	_net.dispatch_received.disconnect(on_ready)
	var recounted: bool = after_ready and _data.badge(general) == 1 and _data.shows_unread(general)
	_step("a mention missed while offline is counted after READY", missed.ok and recounted, "")
	await _net.api_post(
		Api.POST_CHANNEL_MESSAGES, {"channel_id": general}, {"content": "x"}, token_b
	)
	await _until(func() -> bool: return _data.shows_unread(general))
	var server_read = await _data.reads_api.mark_server_read(server_id)
	_step("mark the server read", server_read.ok and not _data.server_shows_unread(server_id), "")


## Replies, reactions and pins: a reply to b's message (quoted, b mentioned or not), b's
## reaction arriving over the gateway, mine toggled on and off, a pin in the pins list.
func _rich(general: String, their_id: String, token_b: String) -> void:
	var messages = _data.messages_api
	var original: Dictionary = _data.store(general).get_message(their_id)
	messages.send_message(general, "a **reply**", original, false)
	var replied := func() -> bool: return _data.store(general).pending.is_empty()
	await _until(replied)
	var reply: Dictionary = _data.store(general).confirmed[-1]
	var quoted: Variant = reply.get("referenced_message")
	var quotes := quoted is Dictionary and str(quoted.get("id", "")) == their_id
	_step("reply quotes the original", quotes, str(reply.get("message_reference")))
	var params := {"channel_id": general, "message_id": their_id, "emoji": "🎉"}
	var theirs = await _net.api_put(Api.PUT_REACTION, params, null, token_b)
	var counted := func() -> bool:
		var held: Array = _data.store(general).get_message(their_id).get("reactions", [])
		return held.size() == 1 and int(held[0]["count"]) == 1 and not held[0]["me"]
	_step("their reaction arrives over the gateway", theirs.ok and await _until(counted), "")
	var problem: String = await messages.toggle_reaction(general, their_id, "🎉")
	var both := func() -> bool:
		var held: Array = _data.store(general).get_message(their_id).get("reactions", [])
		return held.size() == 1 and int(held[0]["count"]) == 2 and held[0]["me"]
	_step("react (counted once, mine marked)", problem == "" and await _until(both), problem)
	await messages.toggle_reaction(general, their_id, "🎉")
	var back := func() -> bool:
		var held: Array = _data.store(general).get_message(their_id).get("reactions", [])
		return held.size() == 1 and int(held[0]["count"]) == 1
	_step("toggle my reaction off", await _until(back), "")
	var pinned: String = await messages.set_pinned(general, their_id, true)
	var flagged := func() -> bool:
		return _data.store(general).get_message(their_id).get("pinned", false) == true
	_step("pin (MESSAGE_UPDATE marks it)", pinned == "" and await _until(flagged), pinned)
	var pins = await messages.load_pins(general)
	var ids: Array = pins.list().map(func(m: Dictionary) -> String: return str(m["id"]))
	_step("the pins list holds it", pins.ok and ids == [their_id], str(ids))
	var unpinned: String = await messages.set_pinned(general, their_id, false)
	_step("unpin", unpinned == "", unpinned)


## Files: an upload with progress (a PNG and a text file), its thumbnail through the texture
## cache, a cancelled upload that leaves nothing, a download, an avatar, a server icon.
func _files(general: String, server_id: String, tag: String) -> void:
	var folder := OS.get_user_data_dir().path_join("live-" + tag)
	DirAccess.make_dir_recursive_absolute(folder)
	var image := Image.create(320, 200, false, Image.FORMAT_RGB8)
	image.fill(Color(0.2, 0.5, 0.9))
	var png := folder.path_join("live.png")
	image.save_png(png)
	var notes := folder.path_join("notes.txt")
	var file := FileAccess.open(notes, FileAccess.WRITE)
	file.store_string("live notes\n".repeat(2000))
	file.close()
	var files := [_entry(png), _entry(notes)]
	var messages = _data.messages_api
	var problem: String = messages.send_with_files(general, "two files", files)
	var progress: Array[int] = []
	_data.upload_changed.connect(
		func(_channel: String) -> void:
			progress.append(int(_data.uploads.get(general, {}).get("sent", 0)))
	)
	var done := func() -> bool: return _data.uploads.get(general, {}).get("state") != "sending"
	var finished: bool = await _until(done)
	var state: Dictionary = _data.uploads.get(general, {})
	_step(
		"upload two files with progress",
		problem == "" and finished and state.get("state") == "done",
		str(state.get("error", problem))
	)
	_step("upload progress was reported", progress.size() >= 2, str(progress))
	var posted: Dictionary = _data.store(general).confirmed[-1]
	var attachments: Array = posted.get("attachments", [])
	var kinds := attachments.map(func(a: Dictionary) -> String: return str(a.get("content_type")))
	_step("the message carries both files", kinds == ["image/png", "text/plain"], str(kinds))
	if attachments.size() == 2:
		var thumb: Texture2D = await _net.texture(str(attachments[0].get("thumbnail_url", "")))
		_step(
			"thumbnail loads into the texture cache", thumb != null and thumb.get_width() <= 400, ""
		)
		var saved := folder.path_join("saved.txt")
		var failure: String = await _net.download(str(attachments[1].get("url", "")), saved)
		var same := FileAccess.get_file_as_bytes(saved) == FileAccess.get_file_as_bytes(notes)
		_step("download a file", failure == "" and same, failure)
	var count: int = _data.store(general).confirmed.size()
	messages.send_with_files(general, "cancel me", [_entry(notes)])
	messages.cancel_upload(general)
	await _until(done)
	var cancelled: String = _data.uploads.get(general, {}).get("state", "")
	await create_timer(0.5).timeout
	var nothing_posted: bool = _data.store(general).confirmed.size() == count
	_step(
		"cancel an upload (nothing posted)", cancelled == "cancelled" and nothing_posted, cancelled
	)
	var servers = _data.servers_api
	var avatar_problem: String = await servers.set_avatar(png)
	var avatar_url: Variant = _data.me.get("avatar_url")
	_step("set my avatar", avatar_problem == "" and avatar_url is String, avatar_problem)
	if avatar_url is String:
		var picture: Texture2D = await _net.texture(str(avatar_url))
		_step("the avatar loads (128 px)", picture != null and picture.get_width() == 128, "")
	var icon_problem: String = await servers.set_server_icon(server_id, png)
	var icon: Variant = _data.servers.get(server_id, {}).get("icon_url")
	_step("set the server icon", icon_problem == "" and icon is String, icon_problem)
	var removed: String = await servers.remove_avatar()
	_step("remove my avatar", removed == "" and _data.me.get("avatar_url") == null, removed)


func _entry(path: String) -> Dictionary:
	var file := FileAccess.open(path, FileAccess.READ)
	var size := file.get_length()
	file.close()
	return {"path": path, "name": path.get_file(), "size": size}


func _member_role(server_id: String, user_id: String) -> String:
	return str(_data.members.get(server_id, {}).get(user_id, {}).get("role", ""))


func _until(condition: Callable) -> bool:
	var deadline := Time.get_ticks_msec() + TIMEOUT_MS
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			return false
		await process_frame
	return true


func _step(what: String, ok: bool, detail: String) -> void:
	if ok:
		print("PASS " + what)
	else:
		failed += 1
		print("FAIL %s %s" % [what, detail])
