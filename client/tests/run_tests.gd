## Runs every test suite headless:
##   godot --headless --path client --script res://tests/run_tests.gd
## Prints PASS / FAIL per test and a summary; exits 1 when anything failed.
extends SceneTree

const SUITES := [
	preload("res://tests/test_protocol.gd"),
	preload("res://tests/test_api.gd"),
	preload("res://tests/test_channel_messages.gd"),
	preload("res://tests/test_data_state.gd"),
	preload("res://tests/test_gateway_session.gd"),
	preload("res://tests/test_validation.gd"),
]


func _initialize() -> void:
	var passed := 0
	var failed := 0
	for suite: GDScript in SUITES:
		var suite_name := suite.resource_path.get_file().get_basename()
		for method in suite.get_script_method_list():
			var test_name: String = method["name"]
			if not test_name.begins_with("test_"):
				continue
			var instance: RefCounted = suite.new()
			instance.call(test_name)
			instance.call("cleanup")
			var failures: Array[String] = instance.get("failures")
			if failures.is_empty():
				passed += 1
				print("PASS %s.%s" % [suite_name, test_name])
			else:
				failed += 1
				print("FAIL %s.%s" % [suite_name, test_name])
				for failure in failures:
					print("    " + failure)
	print("%d passed, %d failed" % [passed, failed])
	quit(1 if failed > 0 else 0)
