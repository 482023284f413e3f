## Images from the server (avatars, icons, thumbnails, full-size attachments) as textures, in a
## bounded cache: at most BUDGET_BYTES of decoded pixels and MAX_ENTRIES textures, the least
## recently used forgotten first. Each URL is fetched once however many rows ask for it at the
## same time; at most MAX_LOADS fetches run at once. File URLs need no token (they are signed,
## or public by version).
extends Node

## A texture finished loading (or failed: then `texture` is null).
signal loaded(url: String, texture: Texture2D)

const LruCache := preload("res://scripts/model/lru_cache.gd")

const BUDGET_BYTES := 96 * 1024 * 1024
const MAX_ENTRIES := 400
const MAX_LOADS := 4
const MAX_IMAGE_BYTES := 26 * 1024 * 1024
const TIMEOUT_S := 30.0
## A URL that failed is not asked for again this long (a broken link, the server away).
const RETRY_AFTER_MS := 30000

var cache := LruCache.new(BUDGET_BYTES, MAX_ENTRIES)
var _waiting: Array[String] = []
var _loading := {}
## url -> when it last failed (ticks ms).
var _failed := {}


## The texture if it is in the cache now (no fetch), else null.
func cached(url: String) -> Texture2D:
	return cache.fetch(url) as Texture2D


## The texture for `url`, fetching it if needed; null when it cannot be had.
func texture(url: String) -> Texture2D:
	if url == "":
		return null
	var hit := cached(url)
	if hit != null:
		return hit
	if Time.get_ticks_msec() - int(_failed.get(url, -RETRY_AFTER_MS)) < RETRY_AFTER_MS:
		return null
	if not _loading.has(url) and url not in _waiting:
		_waiting.append(url)
		_pump()
	while true:
		var got: Array = await loaded
		if got[0] == url:
			return got[1]
	return null


func _pump() -> void:
	while _loading.size() < MAX_LOADS and not _waiting.is_empty():
		var url: String = _waiting.pop_front()
		_loading[url] = true
		_fetch(url)


func _fetch(url: String) -> void:
	var request := HTTPRequest.new()
	request.timeout = TIMEOUT_S
	request.body_size_limit = MAX_IMAGE_BYTES
	add_child(request)
	var texture: Texture2D = null
	if request.request(url) == OK:
		var out: Array = await request.request_completed
		if out[0] == HTTPRequest.RESULT_SUCCESS and out[1] == 200:
			texture = decode(out[3])
	request.queue_free()
	_loading.erase(url)
	if texture != null:
		var size := texture.get_size()
		cache.put(url, texture, int(size.x * size.y * 4))
	else:
		_failed[url] = Time.get_ticks_msec()
	loaded.emit(url, texture)
	_pump()


## PNG, JPEG or WebP bytes -> a texture (by their signature, not a header); null otherwise.
static func decode(data: PackedByteArray) -> Texture2D:
	if data.size() < 12:
		return null
	var image := Image.new()
	var err := ERR_FILE_UNRECOGNIZED
	if data[0] == 0x89 and data[1] == 0x50:
		err = image.load_png_from_buffer(data)
	elif data[0] == 0xFF and data[1] == 0xD8:
		err = image.load_jpg_from_buffer(data)
	elif data.slice(0, 4).get_string_from_ascii() == "RIFF":
		err = image.load_webp_from_buffer(data)
	if err != OK or image.is_empty():
		return null
	return ImageTexture.create_from_image(image)


func forget_failures() -> void:
	_failed.clear()
