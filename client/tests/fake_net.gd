## A NetworkManager that answers REST calls from a queue instead of the network (for the
## action scripts' tests). Each call is recorded as [method, pattern, params, query or body].
extends "res://scripts/autoload/network_manager.gd"

var calls: Array = []
## Answers in order: each {"ok": bool, "status": int, "data": Variant, "message": String}.
var answers: Array[Dictionary] = []


func answer(data: Variant, ok := true, message := "") -> void:
	answers.append({"ok": ok, "status": 200 if ok else 400, "data": data, "message": message})


func api_get(pattern: String, params := {}, query := {}, _as_token := "") -> ApiResult:
	calls.append(["GET", pattern, params, query])
	return _next()


func api_post(pattern: String, params := {}, body: Variant = null, _as_token := "") -> ApiResult:
	calls.append(["POST", pattern, params, body])
	return _next()


func api_patch(pattern: String, params := {}, body: Variant = {}, _as_token := "") -> ApiResult:
	calls.append(["PATCH", pattern, params, body])
	return _next()


func api_put(pattern: String, params := {}, body: Variant = null, _as_token := "") -> ApiResult:
	calls.append(["PUT", pattern, params, body])
	return _next()


func api_delete(pattern: String, params := {}, _as_token := "", body: Variant = null) -> ApiResult:
	calls.append(["DELETE", pattern, params, body])
	return _next()


## No gateway here: op 14 frames go nowhere.
func send_member_list(_server_id: String, _after: String, _limit: int) -> bool:
	return false


func _next() -> ApiResult:
	var result := ApiResult.new()
	var entry: Dictionary = answers.pop_front() if not answers.is_empty() else {}
	result.ok = bool(entry.get("ok", false))
	result.status = int(entry.get("status", 0))
	result.data = entry.get("data")
	result.message = str(entry.get("message", "no answer queued"))
	return result
