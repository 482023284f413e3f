# gdlint: disable=max-public-methods
## NetworkManager (autoload): the only code that talks to the network (one method per REST
## verb and gateway action, hence more than gdlint's 20 public methods).
##
## REST: api_get / api_post / api_patch / api_put / api_delete with a path constant from
## api.gd; each returns an ApiResult (await it). Gateway: connect_gateway /
## disconnect_gateway, and the signals below. Scenes never touch sockets; they listen to
## DataManager.
extends Node

## A gateway dispatch (READY and RESUMED included), `data` as decoded JSON.
signal dispatch_received(event: String, data: Variant)
## Gateway status changed; a GatewaySession.Status value.
signal gateway_status_changed(status: int)
## The gateway came back after a gap: fetch over REST what may have been missed. `resumed`:
## the server replayed the gap (RESUMED); otherwise the session was new (READY again).
signal backfill_needed(resumed: bool, resync_after: String)
## The token was refused (REST 401 or gateway close 4004): the session is over.
signal auth_failed(message: String)
## A request is waiting `seconds` because the server asked it to slow down.
signal rate_limited(seconds: float)

const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const GatewaySession := preload("res://scripts/net/gateway_session.gd")
const RestClient := preload("res://scripts/net/rest_client.gd")
const GatewayConnection := preload("res://scripts/net/gateway_connection.gd")
const ImageCache := preload("res://scripts/net/image_cache.gd")
const UploadRequest := preload("res://scripts/net/upload_request.gd")
const Attachments := preload("res://scripts/model/attachments.gd")

const DOWNLOAD_TIMEOUT_S := 600.0

## Normalised server address, e.g. "http://127.0.0.1:8000".
var base_url := ""
var token := ""

var _rest: RestClient
var _gateway: GatewayConnection
var _images: ImageCache


func _ready() -> void:
	process_mode = Node.PROCESS_MODE_ALWAYS
	_rest = RestClient.new()
	_rest.name = "Rest"
	add_child(_rest)
	_rest.rate_limited.connect(rate_limited.emit)
	_gateway = GatewayConnection.new()
	_gateway.name = "Gateway"
	add_child(_gateway)
	_gateway.dispatch_received.connect(dispatch_received.emit)
	_gateway.status_changed.connect(gateway_status_changed.emit)
	_gateway.backfill_needed.connect(backfill_needed.emit)
	_gateway.fatal_closed.connect(_on_gateway_fatal)
	_images = ImageCache.new()
	_images.name = "Images"
	add_child(_images)


func configure(url: String, auth_token: String) -> void:
	base_url = Api.normalize_base_url(url)
	token = auth_token


func api_get(pattern: String, params := {}, query := {}, as_token := "") -> ApiResult:
	var url := _url(pattern, params) + Api.query_string(query)
	return await _call(HTTPClient.METHOD_GET, url, null, as_token)


func api_post(pattern: String, params := {}, body: Variant = null, as_token := "") -> ApiResult:
	return await _call(HTTPClient.METHOD_POST, _url(pattern, params), body, as_token)


func api_patch(pattern: String, params := {}, body: Variant = {}, as_token := "") -> ApiResult:
	return await _call(HTTPClient.METHOD_PATCH, _url(pattern, params), body, as_token)


func api_put(pattern: String, params := {}, body: Variant = null, as_token := "") -> ApiResult:
	return await _call(HTTPClient.METHOD_PUT, _url(pattern, params), body, as_token)


## `body`: for the few DELETEs that take one (deleting your account needs your password).
func api_delete(pattern: String, params := {}, as_token := "", body: Variant = null) -> ApiResult:
	return await _call(HTTPClient.METHOD_DELETE, _url(pattern, params), body, as_token)


## A message post with files (multipart, streamed from disk). Returns the running upload: listen
## to its `progressed` and `finished` signals, call `cancel()` to stop it.
func upload(
	pattern: String, params: Dictionary, payload: Dictionary, files: Array, as_token := ""
) -> UploadRequest:
	var request := UploadRequest.new()
	add_child(request)
	request.start(_url(pattern, params), as_token if as_token != "" else token, payload, files)
	return request


## A file URL from the server (a path) made absolute.
func _file_url(url: String) -> String:
	return Attachments.absolute(base_url, url)


## The texture of an image URL (avatar, icon, thumbnail, attachment), from the bounded cache
## or fetched once; null when it cannot be loaded. Await it.
func texture(url: String) -> Texture2D:
	return await _images.texture(_file_url(url))


## The texture if it is cached now (no fetch), else null.
func cached_texture(url: String) -> Texture2D:
	return _images.cached(_file_url(url))


func image_cache() -> ImageCache:
	return _images


## Saves a file URL to `path`, streamed to disk. Returns "" or what went wrong.
func download(url: String, path: String) -> String:
	var request := HTTPRequest.new()
	request.timeout = DOWNLOAD_TIMEOUT_S
	request.download_file = path
	add_child(request)
	var problem := ""
	if request.request(_file_url(url)) != OK:
		problem = "Cannot reach the server."
	else:
		var out: Array = await request.request_completed
		if out[0] != HTTPRequest.RESULT_SUCCESS:
			problem = "The download failed."
		elif out[1] != 200:
			problem = "The server answered %d (the link may have expired)." % out[1]
	request.queue_free()
	if problem != "":
		DirAccess.remove_absolute(path)
	return problem


func connect_gateway() -> void:
	_gateway.open(Api.gateway_url(base_url), token)


func disconnect_gateway() -> void:
	_gateway.close()


func reconnect_now() -> void:
	_gateway.reconnect_now()


func gateway_status() -> int:
	return _gateway.status()


## Seconds until the next reconnect attempt (0 when not waiting).
func reconnect_in_seconds() -> float:
	return _gateway.session.reconnect_in_ms(Time.get_ticks_msec()) / 1000.0


## Whether the gateway reached READY since connect_gateway().
func has_connected() -> bool:
	return _gateway.session.was_ready


## The close code that ended the last gateway connection (0 if none).
func last_close_code() -> int:
	return _gateway.session.last_close_code


## Sets the chosen status over the gateway (op 3). Returns false when not connected.
func send_presence(status: String) -> bool:
	return _gateway.send_text(Protocol.presence_update(status))


## Subscribes to a page of a server's member list (op 14). Returns false when not connected.
func send_member_list(server_id: String, after: String, limit: int) -> bool:
	return _gateway.send_text(Protocol.member_list_subscribe(server_id, after, limit))


func _url(pattern: String, params: Dictionary) -> String:
	var path := Api.expand(pattern, params)
	if path == "":
		push_error("NetworkManager: missing path parameters for %s in %s" % [pattern, params])
	return base_url + path


func _call(method: HTTPClient.Method, url: String, body: Variant, as_token: String) -> ApiResult:
	var use_token := as_token if as_token != "" else token
	var result: ApiResult = await _rest.send(method, url, use_token, body)
	var refused := result.status == 401 and result.code != "invalid_credentials"
	if refused and as_token == "" and token != "":
		auth_failed.emit(result.message)
	return result


func _on_gateway_fatal(_code: int) -> void:
	auth_failed.emit("Your session has ended. Please sign in again.")
