## Base of a test suite: methods named test_* are run by run_tests.gd; the check helpers
## record failures instead of stopping, so one run reports every broken expectation.
extends RefCounted

var failures: Array[String] = []
## Set by done(), the last line of every test: a test that stops early on a script error
## (GDScript has no exceptions; the engine aborts the function and prints the error) never
## reaches it, and the runner reports it as failed.
var finished := false
var _nodes: Array[Node] = []


func done() -> void:
	finished = true


func check(condition: bool, what: String) -> void:
	if not condition:
		failures.append(what)


func eq(actual: Variant, expected: Variant, what: String) -> void:
	var numbers := [TYPE_INT, TYPE_FLOAT]
	var comparable := typeof(actual) == typeof(expected)
	comparable = comparable or (typeof(actual) in numbers and typeof(expected) in numbers)
	if not comparable or actual != expected:
		failures.append(
			"%s: expected %s, got %s" % [what, var_to_str(expected), var_to_str(actual)]
		)


## Registers a node to free after the test.
func track(node: Node) -> Node:
	_nodes.append(node)
	return node


func cleanup() -> void:
	for node in _nodes:
		if is_instance_valid(node):
			node.free()
	_nodes.clear()
