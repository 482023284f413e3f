## Runs every test suite headless:
##   godot --headless --path client --script res://tests/run_tests.gd
## Prints PASS / FAIL per test and a summary; exits 1 when anything failed.
extends SceneTree

## Every tests/test_*.gd is a suite; each is loaded on its own so one that does not compile
## is reported instead of stopping the run.
const FOLDER := "res://tests"


func _initialize() -> void:
	var passed := 0
	var failed := 0
	for path in _suite_paths():
		var suite := load(path) as GDScript
		if suite == null or not suite.can_instantiate():
			failed += 1
			print("FAIL %s did not compile (see the errors above)" % path.get_file())
			continue
		var suite_name := suite.resource_path.get_file().get_basename()
		for method in suite.get_script_method_list():
			var test_name: String = method["name"]
			if not test_name.begins_with("test_"):
				continue
			var instance: RefCounted = suite.new()
			instance.call(test_name)
			instance.call("cleanup")
			var failures: Array[String] = instance.get("failures")
			if not instance.get("finished"):
				failures.append("stopped before the end (see the script error above)")
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


func _suite_paths() -> Array[String]:
	var out: Array[String] = []
	for file in DirAccess.get_files_at(FOLDER):
		if file.begins_with("test_") and file.ends_with(".gd") and file != "test_case.gd":
			out.append(FOLDER.path_join(file))
	out.sort()
	return out
