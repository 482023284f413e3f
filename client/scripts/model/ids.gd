## Snowflake ids are decimal strings; they are compared as numbers without ever becoming one
## (a float would lose digits above 2^53).
extends RefCounted


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
