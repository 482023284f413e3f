## One message post with files, streamed from disk over its own connection, with progress and
## cancel. HTTPRequest (and HTTPClient) write a request body in one go, with no progress and no
## way to stop; this writes the multipart body in chunks from the files (never more than one
## chunk of a file in memory), reports how much went out, and can be cancelled at any time
## (the server then keeps nothing). The answer is read like any REST answer.
extends Node

signal progressed(sent: int, total: int)
signal finished(result: ApiResult)

enum Stage { CONNECTING, HANDSHAKE, SENDING, RECEIVING, DONE }

const ApiResult := preload("res://scripts/net/api_result.gd")
const ErrorText := preload("res://scripts/net/error_text.gd")
const Multipart := preload("res://scripts/model/multipart.gd")

const CHUNK := 64 * 1024
const IDLE_TIMEOUT_MS := 30000
const USER_AGENT := "ConcordGodot/1.0"

var sent := 0
var total := 0
var stage := Stage.CONNECTING
var result: ApiResult

var _tcp := StreamPeerTCP.new()
var _tls: StreamPeerTLS
var _host := ""
var _https := false
## What is left to send: PackedByteArray pieces and {"path": String} files, in order.
var _queue: Array = []
var _file: FileAccess
var _pending := PackedByteArray()
var _answer := PackedByteArray()
var _last_progress_ms := 0


## Starts the upload. `files` holds {"path", "name", "size"} dictionaries.
func start(url: String, token: String, payload: Dictionary, files: Array) -> void:
	var scheme_rest := url.split("://", true, 1)
	_https = scheme_rest[0] == "https"
	var rest := scheme_rest[1] if scheme_rest.size() > 1 else ""
	var slash := rest.find("/")
	var host_port := rest.substr(0, slash) if slash >= 0 else rest
	var path := rest.substr(slash) if slash >= 0 else "/"
	_host = host_port.get_slice(":", 0)
	var port := (
		int(host_port.get_slice(":", 1)) if host_port.contains(":") else (443 if _https else 80)
	)
	var boundary := Multipart.new_boundary()
	var body_length := Multipart.body_length(boundary, payload, files)
	var head := "POST %s HTTP/1.1\r\nHost: %s\r\n" % [path, host_port]
	head += "User-Agent: %s\r\nAccept: application/json\r\nConnection: close\r\n" % USER_AGENT
	if token != "":
		head += "Authorization: Bearer %s\r\n" % token
	head += "Content-Type: %s\r\n" % Multipart.content_type(boundary)
	head += "Content-Length: %d\r\n\r\n" % body_length
	var head_bytes := head.to_utf8_buffer()
	_queue.append(head_bytes)
	_queue.append(Multipart.payload_part(boundary, payload))
	for i in files.size():
		var entry: Dictionary = files[i]
		_queue.append(Multipart.file_head(boundary, i, str(entry["name"])))
		_queue.append({"path": str(entry["path"])})
		_queue.append(Multipart.file_tail())
	_queue.append(Multipart.closing(boundary))
	total = head_bytes.size() + body_length
	_last_progress_ms = Time.get_ticks_msec()
	if _tcp.connect_to_host(_host, port) != OK:
		_finish(_failure(0, "network_error", ""))


## Stops the upload now; `finished` comes with code "cancelled".
func cancel() -> void:
	if stage != Stage.DONE:
		_finish(_failure(0, "cancelled", "Upload cancelled."))


func fraction() -> float:
	return 0.0 if total <= 0 else clampf(float(sent) / float(total), 0.0, 1.0)


func _process(_delta: float) -> void:
	if stage == Stage.DONE:
		return
	_tcp.poll()
	if _tls != null:
		_tls.poll()
	if Time.get_ticks_msec() - _last_progress_ms > IDLE_TIMEOUT_MS:
		_finish(_failure(0, "timeout", ""))
		return
	match stage:
		Stage.CONNECTING:
			_step_connect()
		Stage.HANDSHAKE:
			_step_handshake()
		Stage.SENDING:
			_step_send()
		Stage.RECEIVING:
			_step_receive()


func _step_connect() -> void:
	var status := _tcp.get_status()
	if status == StreamPeerTCP.STATUS_CONNECTED:
		_tcp.set_no_delay(true)
		if _https:
			_tls = StreamPeerTLS.new()
			if _tls.connect_to_stream(_tcp, _host, TLSOptions.client()) != OK:
				_finish(_failure(0, "network_error", ""))
				return
			stage = Stage.HANDSHAKE
		else:
			stage = Stage.SENDING
	elif status == StreamPeerTCP.STATUS_ERROR or status == StreamPeerTCP.STATUS_NONE:
		_finish(_failure(0, "network_error", ""))


func _step_handshake() -> void:
	var status := _tls.get_status()
	if status == StreamPeerTLS.STATUS_CONNECTED:
		stage = Stage.SENDING
	elif status != StreamPeerTLS.STATUS_HANDSHAKING:
		_finish(_failure(0, "network_error", ""))


func _peer() -> StreamPeer:
	return _tls if _tls != null else _tcp


func _connected() -> bool:
	if _tls != null:
		return _tls.get_status() == StreamPeerTLS.STATUS_CONNECTED
	return _tcp.get_status() == StreamPeerTCP.STATUS_CONNECTED


func _step_send() -> void:
	# The server may answer before the body is complete (a 404 or a 413): stop sending then.
	if _peer().get_available_bytes() > 0 or not _connected():
		stage = Stage.RECEIVING
		_step_receive()
		return
	for _round in 16:  # at most 1 MiB a frame
		if _pending.is_empty() and not _refill():
			stage = Stage.RECEIVING
			return
		var out: Array = _peer().put_partial_data(_pending)
		if out[0] != OK:
			stage = Stage.RECEIVING  # read whatever the server said before it closed
			return
		var written: int = out[1]
		if written <= 0:
			return  # the socket buffer is full: next frame
		_pending = _pending.slice(written)
		_count(written)


## The next chunk to write into `_pending`; false when everything was sent.
func _refill() -> bool:
	while not _queue.is_empty() or _file != null:
		if _file != null:
			var chunk := _file.get_buffer(CHUNK)
			if not chunk.is_empty():
				_pending = chunk
				return true
			_file.close()
			_file = null
			continue
		var next: Variant = _queue.pop_front()
		if next is PackedByteArray:
			_pending = next
			return true
		_file = FileAccess.open(str(next["path"]), FileAccess.READ)
		if _file == null:
			_finish(_failure(0, "file_unreadable", "A file could not be read from disk."))
			return false
	return false


func _count(written: int) -> void:
	sent = mini(sent + written, total)
	_last_progress_ms = Time.get_ticks_msec()
	progressed.emit(sent, total)


func _step_receive() -> void:
	var available := _peer().get_available_bytes()
	if available > 0:
		var out: Array = _peer().get_partial_data(available)
		if out[0] == OK:
			_answer.append_array(out[1])
			_last_progress_ms = Time.get_ticks_msec()
	if _answer_complete() or not _connected():
		_finish(_decode(_answer))


func _answer_complete() -> bool:
	var text := _answer.get_string_from_ascii()
	var split := text.find("\r\n\r\n")
	if split < 0:
		return false
	var length := -1
	for line in text.substr(0, split).split("\r\n"):
		if line.to_lower().begins_with("content-length:"):
			length = line.get_slice(":", 1).strip_edges().to_int()
	return length >= 0 and _answer.size() >= split + 4 + length


func _finish(outcome: ApiResult) -> void:
	if stage == Stage.DONE:
		return
	stage = Stage.DONE
	result = outcome
	if _file != null:
		_file.close()
		_file = null
	if _tls != null:
		_tls.disconnect_from_stream()
	_tcp.disconnect_from_host()
	finished.emit(outcome)
	queue_free()


## The HTTP answer -> ApiResult, like RestClient's (the one error shape).
static func _decode(raw: PackedByteArray) -> ApiResult:
	var text := raw.get_string_from_utf8()
	var split := text.find("\r\n\r\n")
	if split < 0:
		return _failure(0, "network_error", "")
	var status_line := text.substr(0, text.find("\r\n"))
	var status := status_line.get_slice(" ", 1).to_int()
	var body := text.substr(split + 4)
	var json := JSON.new()
	var parsed: Variant = json.data if json.parse(body) == OK else null
	if status >= 200 and status < 300:
		var ok := ApiResult.new()
		ok.ok = true
		ok.status = status
		ok.data = parsed
		return ok
	var error: Dictionary = parsed if parsed is Dictionary else {}
	var code := str(error.get("code", "http_%d" % status))
	return _failure(status, code, str(error.get("message", "")), str(error.get("field", "")))


static func _failure(status: int, code: String, server_message: String, field := "") -> ApiResult:
	var out := ApiResult.new()
	out.status = status
	out.code = code
	out.message = ErrorText.for_error(code, server_message, status)
	out.field = "" if field == "<null>" else field
	return out
