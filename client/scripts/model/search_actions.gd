## Message search: what the search box asked, the page of results shown, and the requests
## (GET /servers/{id}/messages/search). The search panel listens to `changed`.
extends RefCounted

signal changed

const Api := preload("res://scripts/net/api.gd")
const SearchQuery := preload("res://scripts/model/search_query.gd")
const DataState := preload("res://scripts/model/data_state.gd")
const NetworkManagerScript := preload("res://scripts/autoload/network_manager.gd")

## A search is shown (the panel is open).
var open := false
var text := ""
var server_id := ""
var loading := false
## Why the search could not be made or answered ("" when it was).
var error := ""
## Matches in all (up to 1,000) and whether that count is exact.
var total := 0
var exact := true
var offset := 0
## The page: messages as the server sent them, each with "highlights".
var results: Array[Dictionary] = []

var _data: DataState
var _net: NetworkManagerScript
var _query := {}
var _request := 0


func _init(data: DataState, net: NetworkManagerScript) -> void:
	_data = data
	_net = net


## Searches the server for what was typed in the search box (the first page).
func search(for_server_id: String, typed: String) -> void:
	open = true
	text = typed.strip_edges()
	server_id = for_server_id
	offset = 0
	results = []
	total = 0
	exact = true
	var parsed := SearchQuery.parse(
		text, _data.members.get(server_id, {}), _data.channels_of(server_id)
	)
	error = str(parsed["error"])
	_query = parsed["query"]
	if error != "":
		loading = false
		changed.emit()
		return
	await _load()


## Another page of the same search (`offset` in results).
func show_page(new_offset: int) -> void:
	if not open or _query.is_empty():
		return
	offset = clampi(new_offset, 0, Api.SEARCH_OFFSET_MAX)
	await _load()


func has_next() -> bool:
	var end := offset + results.size()
	return (
		results.size() >= Api.SEARCH_PAGE_LIMIT
		and (not exact or end < total)
		and offset + Api.SEARCH_PAGE_LIMIT <= Api.SEARCH_OFFSET_MAX
	)


func has_previous() -> bool:
	return offset > 0


func close() -> void:
	open = false
	_request += 1  # an answer still on its way is dropped
	loading = false
	results = []
	changed.emit()


func _load() -> void:
	_request += 1
	var mine := _request
	loading = true
	changed.emit()
	var query := _query.duplicate()
	query["limit"] = Api.SEARCH_PAGE_LIMIT
	query["offset"] = offset
	var params := {"server_id": server_id}
	var result := await _net.api_get(Api.GET_SERVER_MESSAGES_SEARCH, params, query)
	if mine != _request:
		return  # a newer search (or close) came first
	loading = false
	if result.ok:
		var body := result.dict()
		error = ""
		total = int(body.get("total_results", 0))
		exact = bool(body.get("total_results_exact", true))
		results = []
		for item: Variant in body.get("messages", []):
			if item is Dictionary:
				results.append(item)
	else:
		error = result.message
		results = []
	changed.emit()
