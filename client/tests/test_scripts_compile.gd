## Every script of the client compiles (with the project's warnings-as-errors settings):
## scenes build their UI in code, so a broken UI script would only show when it is opened.
extends "res://tests/test_case.gd"


func test_every_script_compiles() -> void:
	var paths: Array[String] = []
	_collect("res://scripts", paths)
	check(paths.size() > 30, "the scripts were found")
	for path in paths:
		var script := load(path) as GDScript
		check(script != null and script.can_instantiate(), "%s compiles" % path)
	done()


func _collect(folder: String, out: Array[String]) -> void:
	for sub in DirAccess.get_directories_at(folder):
		_collect(folder.path_join(sub), out)
	for file in DirAccess.get_files_at(folder):
		if file.ends_with(".gd"):
			out.append(folder.path_join(file))
