## `-- --demo URL`: fills a live server with a small realistic scene for screenshots and
## trying the client out: three fresh users (two of them online through their own gateway
## sessions), a server with channels and an icon, avatars, a conversation with an image and a
## file, an edit, a failed send, and typing; a DM from carol and a group DM (unread, under
## Home), and a DM of yours with bob; mentions of you (one in #general, highlighted; one in
## #random after what you read there; one in a second server) and @everyone, and unread
## #dev-talk. Nothing is saved to user:// (the demo's pictures
## are made in the cache folder).
extends Node

const Api := preload("res://scripts/net/api.gd")
const GatewayConnection := preload("res://scripts/net/gateway_connection.gd")

const PASSWORD := "demo-password-123"

## Why the demo could not be set up ("" when it was).
var error := ""
## How many extra messages to post in #random (to try history paging), then open it.
var history := 0

var _tag := ""


func run(url: String) -> void:
	AuthManager.persist = false
	var base := Api.normalize_base_url(url)
	NetworkManager.configure(base, "")
	_tag = "%x" % (int(Time.get_unix_time_from_system()) % 0xfffff)
	var bob := await _register("bob_" + _tag)
	var carol := await _register("carol_" + _tag)
	if bob == "" or carol == "":
		return
	var server := (
		(await NetworkManager.api_post(Api.POST_SERVERS, {}, {"name": "Godot Friends"}, bob)).dict()
	)
	var server_id := str(server.get("id", ""))
	var general := str(server.get("channels", [{}])[0].get("id", ""))
	var made_ids := {}
	for channel_name: String in ["random", "dev-talk"]:
		var made := await NetworkManager.api_post(
			Api.POST_SERVER_CHANNELS, {"server_id": server_id}, {"name": channel_name}, bob
		)
		made_ids[channel_name] = str(made.dict().get("id", ""))
	var random: String = made_ids["random"]
	var invite := await NetworkManager.api_post(
		Api.POST_SERVER_INVITES, {"server_id": server_id}, {"max_age": 86400, "max_uses": 0}, bob
	)
	var code := str(invite.dict().get("code", ""))
	await NetworkManager.api_post(Api.POST_INVITE, {"code": code}, null, carol)
	for i in history:
		await _say(bob if i % 3 else carol, random, "History message %d of %d" % [i + 1, history])
	var carol_id := str((await NetworkManager.api_get(Api.GET_ME, {}, {}, carol)).dict().get("id"))
	await NetworkManager.api_patch(
		Api.PATCH_MEMBER, {"server_id": server_id, "user_id": carol_id}, {"role": "moderator"}, bob
	)
	await NetworkManager.api_patch(Api.PATCH_ME, {}, {"status": "dnd"}, carol)
	await _pictures(bob, carol, server_id)
	_go_online(base, bob)
	_go_online(base, carol)
	await _say(bob, general, "Hey everyone! Welcome to the new server.")
	await _say(bob, general, "Channels are on the left, members on the right.")
	await _bot(bob, server_id, general)
	await _say(carol, general, "Nice, it feels just like home. Is the build from today?")
	await _say(bob, general, "Yes - tagged this morning. Release notes are in #dev-talk.")
	await _post_files(carol, general, "Here is the new mockup:", [_picture("mockup.png", 960, 540)])
	await _post_files(bob, general, "", [_text_file("release-notes.txt")])
	var me := "you_" + _tag
	var result := await AuthManager.register(base, me, me + "@example.com", PASSWORD)
	if not result.ok:
		error = result.message
		printerr("demo: register failed: ", result.message)
		return
	while not DataManager.ready_received:
		await get_tree().process_frame
	await DataManager.servers_api.join_invite(code)
	await DataManager.servers_api.set_avatar(_picture("me.png", 256, 256))
	var me_params := {"server_id": server_id, "user_id": DataManager.me_id()}
	await NetworkManager.api_patch(Api.PATCH_MEMBER, me_params, {"role": "admin"}, bob)
	var hello := "Oh hi <@%s>! Make yourself at home.\nAsk if anything is unclear."
	await _say(carol, general, hello % DataManager.me_id())
	await _dms(bob, carol, carol_id)
	await _unread(bob, carol, random, str(made_ids["dev-talk"]))
	DataManager.messages_api.send_message(general, "Thanks! Glad to be here.")
	await get_tree().create_timer(0.5).timeout
	DataManager.messages_api.send_message(general, "Quick question: where do I report bugs?")
	await get_tree().create_timer(0.5).timeout
	await _say(bob, general, "@everyone the 1.4 build is tagged - thanks all!")
	var typo := await _say(bob, general, "In #dev-talk, with stpes to reproduce.")
	var params := {"channel_id": general, "message_id": str(typo.get("id", ""))}
	await NetworkManager.api_patch(
		Api.PATCH_CHANNEL_MESSAGE,
		params,
		{"content": "In #dev-talk, with steps to reproduce."},
		bob
	)
	# A real transport failure: this one send goes to a port nobody listens on.
	NetworkManager.base_url = "http://127.0.0.1:9"
	DataManager.messages_api.send_message(general, "Sending this while the network is down")
	await get_tree().create_timer(0.3).timeout
	NetworkManager.base_url = base
	await NetworkManager.api_post(Api.POST_CHANNEL_TYPING, {"channel_id": general}, null, carol)
	await get_tree().create_timer(0.5).timeout
	if history > 0:
		DataManager.select_channel(random)
		await get_tree().create_timer(1.0).timeout


## Unread places: #random read up to bob's question, then carol's answers (one mentions
## you); #dev-talk with a message; a second server, Game Jam, where bob mentions you.
func _unread(bob: String, carol: String, random: String, dev_talk: String) -> void:
	var me_id := DataManager.me_id()
	var question := await _say(bob, random, "Anyone up for a game tonight?")
	var read := {"channel_id": random, "message_id": str(question.get("id", ""))}
	await NetworkManager.api_post(Api.POST_MESSAGE_ACK, read)
	await _say(carol, random, "Me! 8pm works.")
	await _say(carol, random, "<@%s> you in? We need a fourth." % me_id)
	var banter := [
		[bob, "Which game?"],
		[carol, "The co-op one with the boats."],
		[bob, "Ha, last time we sank in five minutes."],
		[carol, "That was the tutorial!"],
		[bob, "Fine. I'll bring snacks."],
		[carol, "Deal. 8pm, voice channel."],
		[bob, "Someone remind me at 7:45."],
		[carol, "Set an alarm, Bob."],
		[bob, "Alarm set. Two alarms, actually."],
		[carol, "Progress!"],
		[bob, "Who's the fourth if they can't make it?"],
		[carol, "We'll ask in #general."],
	]
	for line: Array in banter:
		await _say(line[0], random, line[1])
	await _say(bob, dev_talk, "Release notes draft is up for review.")
	var jam := await NetworkManager.api_post(Api.POST_SERVERS, {}, {"name": "Game Jam"}, bob)
	var jam_id := str(jam.dict().get("id", ""))
	var lobby := str(jam.dict().get("channels", [{}])[0].get("id", ""))
	var invite := await NetworkManager.api_post(
		Api.POST_SERVER_INVITES, {"server_id": jam_id}, {"max_age": 86400, "max_uses": 0}, bob
	)
	await NetworkManager.api_post(Api.POST_INVITE, {"code": str(invite.dict().get("code", ""))})
	await _say(bob, lobby, "<@%s> welcome to the jam! Theme drops Friday." % me_id)


## Your DMs: one with bob (yours, read), one from carol and a group DM bob started with you
## and carol (both unread: they arrive over the gateway while a server channel is shown).
func _dms(bob: String, carol: String, carol_id: String) -> void:
	var me_id := DataManager.me_id()
	var bob_id := str((await NetworkManager.api_get(Api.GET_ME, {}, {}, bob)).dict().get("id"))
	var with_bob := await NetworkManager.api_post(
		Api.POST_MY_CHANNELS, {}, {"recipient_id": bob_id}
	)
	var bob_dm := str(with_bob.dict().get("id", ""))
	await _say(bob, bob_dm, "Welcome aboard! Ping me if the build gives you trouble.")
	await _say(NetworkManager.token, bob_dm, "Will do, thanks!")
	var from_carol := await NetworkManager.api_post(
		Api.POST_MY_CHANNELS, {}, {"recipient_id": me_id}, carol
	)
	var carol_dm := str(from_carol.dict().get("id", ""))
	await _say(carol, carol_dm, "Hey! Want to pair on the release notes later?")
	await _say(carol, carol_dm, "No rush - ping me when you have a minute.")
	var body := {"recipient_ids": [me_id, carol_id], "name": "Release crew"}
	var group := await NetworkManager.api_post(Api.POST_MY_CHANNELS, {}, body, bob)
	await _say(bob, str(group.dict().get("id", "")), "Who takes the changelog this time?")


## Bob's bot: created with his token, added to the server, and saying hello with its own.
func _bot(owner: String, server_id: String, channel_id: String) -> void:
	var made := await NetworkManager.api_post(
		Api.POST_MY_BOTS, {}, {"username": "helper_" + _tag}, owner
	)
	if not made.ok:
		printerr("demo: could not create a bot: ", made.message)
		return
	var bot_id := str(made.dict().get("user", {}).get("id", ""))
	await NetworkManager.api_post(
		Api.POST_MEMBER, {"server_id": server_id}, {"user_id": bot_id}, owner
	)
	var token := str(made.dict().get("token", ""))
	await _say(token, channel_id, "Beep boop. I'm Bob's bot: say !ping and I answer.")


## Avatars for bob and carol, an icon for the server.
func _pictures(bob: String, carol: String, server_id: String) -> void:
	var faces := [
		[bob, Color("e67e22"), Color("f1c40f")], [carol, Color("8e44ad"), Color("1abc9c")]
	]
	for face: Array in faces:
		var url := _data_url(_drawing(256, 256, face[1], face[2]))
		await NetworkManager.api_patch(Api.PATCH_ME, {}, {"avatar": url}, face[0])
	var icon := _data_url(_drawing(256, 256, Color("2980b9"), Color("ecf0f1")))
	await NetworkManager.api_patch(Api.PATCH_SERVER, {"server_id": server_id}, {"icon": icon}, bob)


func _post_files(token: String, channel_id: String, text: String, paths: Array) -> void:
	var files := []
	for path: String in paths:
		var file := FileAccess.open(path, FileAccess.READ)
		files.append({"path": path, "name": path.get_file(), "size": file.get_length()})
		file.close()
	var params := {"channel_id": channel_id}
	var upload := NetworkManager.upload(
		Api.POST_CHANNEL_MESSAGES, params, {"content": text}, files, token
	)
	await upload.finished


## A made-up picture: two colours in bands and blocks (no files are shipped for the demo).
static func _drawing(width: int, height: int, first: Color, second: Color) -> Image:
	var image := Image.create(width, height, false, Image.FORMAT_RGB8)
	var bands := 12
	for i in bands:
		var color := first.lerp(second, float(i) / float(bands - 1))
		image.fill_rect(Rect2i(0, height * i / bands, width, height / bands + 1), color)
	var block := Rect2i(width / 5, height / 4, width * 3 / 5, height / 2)
	image.fill_rect(block, second.darkened(0.35))
	image.fill_rect(block.grow(-width / 20), first.lightened(0.25))
	return image


func _picture(filename: String, width: int, height: int) -> String:
	var path := _demo_folder().path_join(filename)
	_drawing(width, height, Color("1e3c72"), Color("ff9966")).save_png(path)
	return path


func _text_file(filename: String) -> String:
	var path := _demo_folder().path_join(filename)
	var file := FileAccess.open(path, FileAccess.WRITE)
	file.store_string("Concord 1.4\n\n- attachments and image previews\n- avatars\n".repeat(40))
	file.close()
	return path


func _demo_folder() -> String:
	var folder := OS.get_cache_dir().path_join("concord-demo-" + _tag)
	DirAccess.make_dir_recursive_absolute(folder)
	return folder


static func _data_url(image: Image) -> String:
	return "data:image/png;base64," + Marshalls.raw_to_base64(image.save_png_to_buffer())


## `-- --fresh URL`: signs in as a brand-new user with no servers (the welcome screen).
func run_fresh(url: String) -> void:
	AuthManager.persist = false
	var base := Api.normalize_base_url(url)
	var username := "new_%x" % (int(Time.get_unix_time_from_system()) % 0xfffff)
	var result := await AuthManager.register(base, username, username + "@example.com", PASSWORD)
	if not result.ok:
		error = result.message
		printerr("demo: register failed: ", result.message)


func _register(username: String) -> String:
	var body := {"username": username, "email": username + "@example.com", "password": PASSWORD}
	var result := await NetworkManager.api_post(Api.POST_AUTH_REGISTER, {}, body)
	if not result.ok:
		error = result.message
		printerr("demo: could not register %s: %s" % [username, result.message])
		return ""
	return str(result.dict().get("token", ""))


func _say(token: String, channel_id: String, text: String) -> Dictionary:
	var body := {"content": text}
	var params := {"channel_id": channel_id}
	var result := await NetworkManager.api_post(Api.POST_CHANNEL_MESSAGES, params, body, token)
	return result.dict()


## Opens a gateway session for another demo user so they show as online.
func _go_online(base: String, token: String) -> void:
	var link := GatewayConnection.new()
	add_child(link)
	link.open(Api.gateway_url(base), token)
