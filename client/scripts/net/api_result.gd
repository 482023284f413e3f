## The outcome of one REST call: the decoded body on success, or the server's error
## (`code`, `message`, `field`) or a transport error ("network_error", "timeout").
extends RefCounted

var ok := false
var status := 0
var data: Variant = null
var code := ""
var message := ""
var field := ""
var retry_after := 0.0


## The body as a Dictionary ({} when it is something else).
func dict() -> Dictionary:
	return data if data is Dictionary else {}


## The body as an Array ([] when it is something else).
func list() -> Array:
	return data if data is Array else []


func is_rate_limited() -> bool:
	return status == 429 or code == "rate_limited"


func is_transport_error() -> bool:
	return status == 0
