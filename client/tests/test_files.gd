## Attachments in the client: the multipart body, size and preview rules, the bounded texture
## cache, avatars learnt from events, the upload answer, image decoding. No network.
extends "res://tests/test_case.gd"

const Multipart := preload("res://scripts/model/multipart.gd")
const Attachments := preload("res://scripts/model/attachments.gd")
const LruCache := preload("res://scripts/model/lru_cache.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const UploadRequest := preload("res://scripts/net/upload_request.gd")
const ImageCache := preload("res://scripts/net/image_cache.gd")


func test_multipart_body_and_its_length() -> void:
	var boundary := "b123"
	var payload := {"content": "hi", "nonce": "n1"}
	var files := [{"name": "a.png", "size": 5}, {"name": 'we"ird\n.txt', "size": 3}]
	var body := PackedByteArray()
	body.append_array(Multipart.payload_part(boundary, payload))
	for i in files.size():
		body.append_array(Multipart.file_head(boundary, i, files[i]["name"]))
		body.append_array("x".repeat(int(files[i]["size"])).to_utf8_buffer())
		body.append_array(Multipart.file_tail())
	body.append_array(Multipart.closing(boundary))
	eq(Multipart.body_length(boundary, payload, files), body.size(), "the declared length")
	var text := body.get_string_from_utf8()
	check(text.begins_with('--b123\r\nContent-Disposition: form-data; name="payload_json"'), text)
	check(text.contains('name="files[0]"; filename="a.png"\r\nContent-Type: image/png'), text)
	check(text.contains('filename="we_ird_.txt"'), "quotes and newlines never reach the header")
	check(text.ends_with("\r\n--b123--\r\n"), "the closing boundary")
	eq(Multipart.content_type(boundary), "multipart/form-data; boundary=b123", "content type")
	var first := Multipart.new_boundary()
	check(first != Multipart.new_boundary(), "boundaries are random")
	done()


func test_problems_before_sending() -> void:
	eq(Multipart.problem([{"name": "a", "size": 1}]), "", "one small file")
	var eleven := []
	for i in 11:
		eleven.append({"name": str(i), "size": 1})
	check(Multipart.problem(eleven).contains("at most 10"), "11 files")
	check(Multipart.problem([{"name": "e", "size": 0}]).contains("empty"), "an empty file")
	var big := {"name": "big", "size": 25 * 1024 * 1024 + 1}
	check(Multipart.problem([big]).contains("25 MiB"), "a file over 25 MiB")
	var halves := [{"name": "a", "size": 20 << 20}, {"name": "b", "size": 20 << 20}]
	halves.append({"name": "c", "size": 20 << 20})
	check(Multipart.problem(halves).contains("50 MiB"), "over 50 MiB together")
	done()


func test_previews_sizes_and_urls() -> void:
	var image := {
		"content_type": "image/png", "width": 800, "height": 600, "thumbnail_url": "/t", "url": "/u"
	}
	check(Attachments.is_image(image), "a PNG with a thumbnail is shown inline")
	check(not Attachments.is_image({"content_type": "text/plain"}), "text is a chip")
	eq(Attachments.preview_size(image), Vector2(400, 300), "fits 400 x 300")
	var tall := {"content_type": "image/png", "width": 100, "height": 1000}
	eq(Attachments.preview_size(tall), Vector2(30, 300), "keeps the aspect")
	var small := {"content_type": "image/png", "width": 40, "height": 30}
	eq(Attachments.preview_size(small), Vector2(40, 30), "never enlarged")
	eq(Attachments.full_view_url(image), "/u", "a PNG opens itself")
	var gif := {"content_type": "image/gif", "thumbnail_url": "/t", "url": "/g"}
	eq(Attachments.full_view_url(gif), "/t", "a GIF opens its thumbnail")
	eq(Attachments.human_size(512), "512 B", "bytes")
	eq(Attachments.human_size(1536), "1.5 KB", "kilobytes")
	eq(Attachments.human_size(25 * 1024 * 1024), "25.0 MB", "megabytes")
	eq(Attachments.absolute("http://h:1", "/api/v1/x"), "http://h:1/api/v1/x", "a path")
	eq(Attachments.absolute("http://h:1", "https://cdn/x"), "https://cdn/x", "already absolute")
	done()


func test_downloads_never_overwrite() -> void:
	var taken := ["/d/a.txt", "/d/a (1).txt"]
	var exists := func(path: String) -> bool: return path in taken
	eq(Attachments.free_name("/d", "b.txt", exists), "/d/b.txt", "a free name")
	eq(Attachments.free_name("/d", "a.txt", exists), "/d/a (2).txt", "numbered")
	eq(Attachments.free_name("/d", "../x", exists), "/d/file.._x", "no path, no hidden file")
	done()


func test_the_texture_cache_is_bounded_and_forgets_the_least_recent() -> void:
	var cache := LruCache.new(100, 3)
	cache.put("a", 1, 40)
	cache.put("b", 2, 40)
	eq(cache.fetch("a"), 1, "a is there (and now most recent)")
	cache.put("c", 3, 40)  # 120 > 100: the least recent (b) goes
	check(not cache.has("b") and cache.has("a") and cache.has("c"), "b was evicted")
	eq(cache.total, 80, "the total cost")
	cache.put("d", 4, 1)
	cache.put("e", 5, 1)  # 4 entries > 3: a goes
	eq(cache.keys(), ["c", "d", "e"], "at most 3 entries, least recent first")
	cache.put("huge", 6, 500)
	check(not cache.has("huge"), "something bigger than the budget is not kept")
	cache.put("c", 7, 10)
	eq(cache.fetch("c"), 7, "replaced")
	eq(cache.total, 12, "the replaced cost is counted once")
	done()


func test_avatars_follow_member_and_profile_events() -> void:
	var state: DataState = track(DataState.new())
	var ready := {
		"user": {"id": "1", "username": "me", "avatar_url": "/a/1/v1.png"},
		"servers": [{"id": "20", "name": "S", "role": "owner", "member_count": 2, "channels": []}],
		"presences": [],
	}
	state.apply_dispatch("READY", ready)
	eq(state.avatar_url("1"), "/a/1/v1.png", "mine from READY")
	eq(state.avatar_url("2", "/from/message.png"), "/from/message.png", "unknown: the fallback")
	var changed: Array[String] = []
	state.avatar_changed.connect(func(user_id: String) -> void: changed.append(user_id))
	var member := {"server_id": "20", "user": {"id": "2", "username": "bob", "avatar_url": null}}
	state.apply_dispatch("MEMBER_ADD", member)
	eq(state.avatar_url("2", "/stale.png"), "", "a member without an avatar")
	member["user"]["avatar_url"] = "/a/2/v2.png"
	state.apply_dispatch("MEMBER_UPDATE", member)
	eq(state.avatar_url("2"), "/a/2/v2.png", "a new avatar")
	var me := {"id": "1", "username": "me", "avatar_url": null}
	state.apply_dispatch("USER_UPDATE", me)
	eq(state.avatar_url("1"), "", "removed")
	eq(changed, ["2", "1"], "each change is announced")
	done()


func test_the_upload_answer_is_read_like_any_rest_answer() -> void:
	var created := 'HTTP/1.1 201 Created\r\ncontent-length: 12\r\n\r\n{"id":"42"}'
	var ok: Variant = UploadRequest._decode(created.to_utf8_buffer())
	check(ok.ok and ok.status == 201 and ok.dict().get("id") == "42", "201 with the message")
	var too_big := (
		'HTTP/1.1 413 Payload Too Large\r\n\r\n{"code":"payload_too_large",'
		+ '"message":"files[0] is larger than 25 MiB.","field":"files[0]"}'
	)
	var refused: Variant = UploadRequest._decode(too_big.to_utf8_buffer())
	check(not refused.ok and refused.status == 413, "413")
	eq(refused.code, "payload_too_large", "the code")
	eq(refused.field, "files[0]", "the field")
	eq(refused.message, "files[0] is larger than 25 MiB.", "the server's message")
	var cut: Variant = UploadRequest._decode("HTTP/1.1 20".to_utf8_buffer())
	eq(cut.code, "network_error", "an answer cut short")
	done()


func test_images_decode_by_their_signature() -> void:
	var image := Image.create(6, 4, false, Image.FORMAT_RGBA8)
	image.fill(Color.RED)
	var png := image.save_png_to_buffer()
	var texture := ImageCache.decode(png)
	check(texture != null and texture.get_size() == Vector2(6, 4), "a PNG")
	var jpeg := image.save_jpg_to_buffer()
	check(ImageCache.decode(jpeg) != null, "a JPEG")
	var webp := image.save_webp_to_buffer()
	check(ImageCache.decode(webp) != null, "a WebP")
	check(ImageCache.decode("GIF89a-not-supported".to_utf8_buffer()) == null, "a GIF: none")
	check(ImageCache.decode(PackedByteArray()) == null, "nothing")
	done()
