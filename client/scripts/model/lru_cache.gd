## A size-bounded cache that forgets the least recently used entries first. Each entry has a
## cost (bytes of a texture); the cache keeps the total at most `budget` and at most
## `max_entries` entries.
extends RefCounted

var budget: int
var max_entries: int
var total := 0
var _values := {}
var _costs := {}
## Keys from least to most recently used.
var _order: Array[String] = []


func _init(byte_budget: int, entries := 256) -> void:
	budget = byte_budget
	max_entries = entries


func has(key: String) -> bool:
	return _values.has(key)


func size() -> int:
	return _values.size()


## The value (and marks it as just used), or null.
func fetch(key: String) -> Variant:
	if not _values.has(key):
		return null
	_order.erase(key)
	_order.append(key)
	return _values[key]


## Stores a value; evicts what it must. A value costing more than the whole budget is not kept.
func put(key: String, value: Variant, cost: int) -> void:
	if _values.has(key):
		_drop(key)
	if cost > budget:
		return
	_values[key] = value
	_costs[key] = cost
	_order.append(key)
	total += cost
	while total > budget or _order.size() > max_entries:
		_drop(_order[0])


func clear() -> void:
	_values.clear()
	_costs.clear()
	_order.clear()
	total = 0


func keys() -> Array[String]:
	return _order.duplicate()


func _drop(key: String) -> void:
	total -= int(_costs.get(key, 0))
	_values.erase(key)
	_costs.erase(key)
	_order.erase(key)
