## REST paths: placeholders, query strings, server addresses, and that every call site uses
## the HTTP verb its path constant is named after.
extends "res://tests/test_case.gd"

const Api := preload("res://scripts/net/api.gd")

const VERB_OF_CALL := {
	"api_get": "GET",
	"api_post": "POST",
	"api_patch": "PATCH",
	"api_put": "PUT",
	"api_delete": "DELETE",
}


func test_expands_placeholders() -> void:
	var path := Api.expand(Api.PATCH_CHANNEL_MESSAGE, {"channel_id": "12", "message_id": "34"})
	eq(path, "/api/v1/channels/12/messages/34", "message path")
	eq(Api.expand(Api.POST_INVITE, {"code": "a b/c"}), "/api/v1/invites/a%20b%2Fc", "encoded")
	eq(Api.expand(Api.GET_MEMBERS, {}), "", "a missing value gives no path")
	done()


func test_query_string() -> void:
	eq(Api.query_string({"before": "99", "limit": 50}), "?before=99&limit=50", "query")
	eq(Api.query_string({"after": ""}), "", "empty values are skipped")
	eq(
		Api.query_string({"author_id": ["1", "2"], "has": [], "content": 'a "b" &c'}),
		"?author_id=1&author_id=2&content=a%20%22b%22%20%26c",
		"arrays repeat their key; values are encoded"
	)
	done()


func test_normalizes_server_addresses() -> void:
	eq(Api.normalize_base_url("127.0.0.1:8000"), "http://127.0.0.1:8000", "scheme added")
	eq(Api.normalize_base_url(" http://h:1/api/v1/ "), "http://h:1", "api prefix dropped")
	eq(Api.normalize_base_url("https://chat.example.org"), "https://chat.example.org", "https")
	eq(Api.normalize_base_url("ftp://x"), "", "other schemes refused")
	eq(Api.normalize_base_url(""), "", "empty")
	eq(Api.gateway_url("http://h:8000"), "ws://h:8000/api/v1/gateway", "ws")
	eq(Api.gateway_url("https://h"), "wss://h/api/v1/gateway", "wss")
	done()


func test_every_path_constant_is_an_api_path() -> void:
	var constants := (Api as GDScript).get_script_constant_map()
	var count := 0
	for name: String in constants:
		var verb := name.get_slice("_", 0)
		if verb in ["GET", "POST", "PATCH", "PUT", "DELETE"]:
			count += 1
			check(str(constants[name]).begins_with("/api/v1/"), name + " starts with /api/v1/")
	check(count >= 20, "found the path constants (%d)" % count)
	done()


func test_call_sites_use_the_verb_of_their_constant() -> void:
	var pattern := RegEx.create_from_string(
		"\\b(api_get|api_post|api_patch|api_put|api_delete)\\(\\s*Api\\.(\\w+)"
	)
	var seen := 0
	for path in _scripts("res://scripts"):
		var source := FileAccess.get_file_as_string(path)
		for found in pattern.search_all(source):
			seen += 1
			var verb: String = VERB_OF_CALL[found.get_string(1)]
			var constant := found.get_string(2)
			check(
				constant.begins_with(verb + "_"),
				"%s: %s(Api.%s)" % [path.get_file(), found.get_string(1), constant]
			)
			check(
				(Api as GDScript).get_script_constant_map().has(constant),
				"Api.%s exists" % constant
			)
	check(seen >= 20, "found the call sites (%d)" % seen)
	done()


func _scripts(folder: String) -> Array[String]:
	var out: Array[String] = []
	var dir := DirAccess.open(folder)
	if dir == null:
		return out
	for file in dir.get_files():
		if file.ends_with(".gd"):
			out.append(folder.path_join(file))
	for sub in dir.get_directories():
		out.append_array(_scripts(folder.path_join(sub)))
	return out
