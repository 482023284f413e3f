## REST over a pool of HTTPRequest nodes: one node per request (so requests run concurrently,
## up to MAX_CONCURRENT), a timeout on each, JSON in and out, one error shape, and automatic
## waits on 429 / 503 when the server says how long.
extends Node

signal rate_limited(seconds: float)
## Internal: a request finished and its slot is free.
signal slot_freed

const ApiResult := preload("res://scripts/net/api_result.gd")
const ErrorText := preload("res://scripts/net/error_text.gd")

const TIMEOUT_S := 15.0
const MAX_CONCURRENT := 6
const MAX_ATTEMPTS := 8
const MAX_TOTAL_WAIT_S := 30.0
const MAX_BODY_BYTES := 8 * 1024 * 1024
const USER_AGENT := "ConcordGodot/1.0"

var _active := 0


## Sends one request; on 429 / 503 it waits the server's Retry-After and tries again (a
## refused request changed nothing, so retrying is safe), within MAX_TOTAL_WAIT_S in all.
func send(method: HTTPClient.Method, url: String, token: String, body: Variant) -> ApiResult:
	var attempt := 1
	var waited := 0.0
	while true:
		var result := await _send_once(method, url, token, body)
		var waitable := result.status == 429 or result.status == 503
		var wait_s := maxf(result.retry_after, 0.5)
		if not waitable or attempt >= MAX_ATTEMPTS or waited + wait_s > MAX_TOTAL_WAIT_S:
			return result
		rate_limited.emit(wait_s)
		await get_tree().create_timer(wait_s).timeout
		waited += wait_s
		attempt += 1
	return null


func _send_once(method: HTTPClient.Method, url: String, token: String, body: Variant) -> ApiResult:
	await _acquire_slot()
	var request := HTTPRequest.new()
	request.timeout = TIMEOUT_S
	request.body_size_limit = MAX_BODY_BYTES
	add_child(request)
	var headers := PackedStringArray(["Accept: application/json", "User-Agent: " + USER_AGENT])
	var payload := ""
	if body != null:
		headers.append("Content-Type: application/json")
		payload = JSON.stringify(body)
	if token != "":
		headers.append("Authorization: Bearer " + token)
	var result: ApiResult
	var err := request.request(url, headers, method, payload)
	if err != OK:
		result = _failure(0, "network_error", "")
	else:
		var out: Array = await request.request_completed
		result = _decode(out[0], out[1], out[2], out[3])
	request.queue_free()
	_release_slot()
	return result


func _decode(
	transport: int, status: int, headers: PackedStringArray, raw: PackedByteArray
) -> ApiResult:
	if transport == HTTPRequest.RESULT_TIMEOUT:
		return _failure(0, "timeout", "")
	if transport != HTTPRequest.RESULT_SUCCESS:
		return _failure(0, "network_error", "")
	var text := raw.get_string_from_utf8()
	var parsed: Variant = null
	var json := JSON.new()
	if text.strip_edges() != "" and json.parse(text) == OK:
		parsed = json.data
	if status >= 200 and status < 300:
		var ok := ApiResult.new()
		ok.ok = true
		ok.status = status
		ok.data = parsed
		return ok
	var body: Dictionary = parsed if parsed is Dictionary else {}
	var code := str(body.get("code", "http_%d" % status))
	var result := _failure(status, code, str(body.get("message", "")), str(body.get("field", "")))
	var retry: Variant = body.get("retry_after")
	if retry is float or retry is int:
		result.retry_after = float(retry)
	else:
		result.retry_after = _retry_after_header(headers)
	return result


func _failure(status: int, code: String, server_message: String, field := "") -> ApiResult:
	var result := ApiResult.new()
	result.status = status
	result.code = code
	result.message = ErrorText.for_error(code, server_message, status)
	result.field = "" if field == "<null>" else field
	return result


static func _retry_after_header(headers: PackedStringArray) -> float:
	for header in headers:
		if header.to_lower().begins_with("retry-after:"):
			return header.get_slice(":", 1).strip_edges().to_float()
	return 0.0


func _acquire_slot() -> void:
	while _active >= MAX_CONCURRENT:
		await slot_freed
	_active += 1


func _release_slot() -> void:
	_active -= 1
	slot_freed.emit()
