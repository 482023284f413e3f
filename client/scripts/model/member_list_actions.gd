## The member list a large server shows a page at a time: which page this gateway session is
## subscribed to (op 14, docs/gateway.md), and turning pages. The answers (MEMBER_LIST) land in
## DataState.member_pages; small servers are subscribed too (the same page, all presence).
extends RefCounted

const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const Ids := preload("res://scripts/model/ids.gd")
const DataState := preload("res://scripts/model/data_state.gd")

var _data: DataState
## Sends one op 14 frame: (server_id, after, limit) -> whether it went out.
var _send: Callable
## The member-list page this gateway session is subscribed to: [server_id, after].
var _watching: Array[String] = ["", ""]
## server_id -> the `after` of each page before the one shown (for "previous page").
var _pages_back := {}


func _init(data: DataState, send: Callable) -> void:
	_data = data
	_send = send


## Subscribes this gateway session to a page of the server's member list (op 14): its
## members' presence comes from then on (in a large server, theirs only). `after` "": the page
## shown now (the first at first). Sent again only when something changed, or with `force`.
func watch_members(server_id: String, after := "", force := false) -> void:
	if server_id == "" or not _data.servers.has(server_id):
		return
	if after == "":
		after = str(_data.member_pages.get(server_id, {}).get("after", "0"))
	if after == "":
		after = "0"
	if not force and _watching[0] == server_id and _watching[1] == after:
		return
	if _send.call(server_id, after, Protocol.MEMBER_LIST_PAGE):
		_watching = [server_id, after] as Array[String]


## The gateway session is new (READY): it watches nothing until told again (READY also
## empties the pages shown, so each list starts again at its first page).
func forget_watch() -> void:
	_watching = ["", ""] as Array[String]
	_pages_back.clear()


## 1 for the first page of the member list, 2 for the next ...
func member_page_number(server_id: String) -> int:
	return (_pages_back.get(server_id, []) as Array).size() + 1


func has_next_member_page(server_id: String) -> bool:
	var shown: Array = _data.member_pages.get(server_id, {}).get("members", [])
	return shown.size() >= Protocol.MEMBER_LIST_PAGE


func next_member_page(server_id: String) -> void:
	var page: Dictionary = _data.member_pages.get(server_id, {})
	var shown: Array = page.get("members", [])
	if shown.size() < Protocol.MEMBER_LIST_PAGE:
		return
	var back: Array = _pages_back.get(server_id, [])
	back.append(str(page.get("after", "0")))
	_pages_back[server_id] = back
	watch_members(server_id, Ids.of(shown[-1].get("user", {}).get("id")))


func previous_member_page(server_id: String) -> void:
	var back: Array = _pages_back.get(server_id, [])
	if back.is_empty():
		return
	watch_members(server_id, str(back.pop_back()))
