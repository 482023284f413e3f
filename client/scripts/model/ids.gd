## Snowflake ids are decimal strings; they are compared as numbers without ever becoming one
## (a float would lose digits above 2^53).
extends RefCounted

## The server's snowflake epoch (2025-01-01T00:00:00Z) and where the milliseconds start.
const EPOCH_UNIX := 1735689600.0
const TIMESTAMP_SHIFT := 22


## -1, 0 or 1 as `a` is older than, the same as, or newer than `b`.
static func compare(a: String, b: String) -> int:
	if a.length() != b.length():
		return -1 if a.length() < b.length() else 1
	if a == b:
		return 0
	return -1 if a < b else 1


static func is_valid(value: Variant) -> bool:
	return value is String and (value as String) != "" and (value as String).is_valid_int()


## `value` as an id string: strings are kept, anything else gives "" (never str() a float).
static func of(value: Variant) -> String:
	return value if value is String else ""


## When a snowflake id was made, as Unix seconds (UTC): its top 42 bits count milliseconds
## since the server's epoch, 2025-01-01T00:00:00Z. 0.0 for anything that is not an id.
static func unix_seconds(id: String) -> float:
	if not is_valid(id) or id.length() > 19:
		return 0.0
	return float(id.to_int() >> TIMESTAMP_SHIFT) / 1000.0 + EPOCH_UNIX


## The id's time as the server writes times ("2026-12-01T14:03:00Z"), "" for no id.
static func iso_time(id: String) -> String:
	var unix := unix_seconds(id)
	if unix <= 0.0:
		return ""
	return Time.get_datetime_string_from_unix_time(int(unix)) + "Z"
