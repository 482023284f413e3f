## Large servers' member list: READY's large_servers, MEMBER_LIST pages with presence, which
## page the gateway session is subscribed to (op 14), and turning pages.
extends "res://tests/test_case.gd"

const DataState := preload("res://scripts/model/data_state.gd")
const MemberListActions := preload("res://scripts/model/member_list_actions.gd")
const Protocol := preload("res://scripts/net/gateway_protocol.gd")
const DataStateTest := preload("res://tests/test_data_state.gd")

## The op 14 frames "sent": [server_id, after, limit] each.
var sent: Array = []


func fresh() -> DataState:
	var state: DataState = track(DataState.new())
	var ready := DataStateTest.ready_payload()
	ready["large_servers"] = ["21"]
	state.apply_dispatch("READY", ready)
	return state


func send(server_id: String, after: String, limit: int) -> bool:
	sent.append([server_id, after, limit])
	return true


static func member(user_id: String, presence: String) -> Dictionary:
	return {
		"server_id": "21",
		"user": {"id": user_id, "username": "u" + user_id, "avatar_url": null},
		"role": "member",
		"joined_at": "",
		"presence": presence,
	}


static func page(after: String, first: int, count: int) -> Dictionary:
	var members: Array = []
	for i in count:
		members.append(member(str(first + i), "online" if i % 2 == 0 else "offline"))
	return {"server_id": "21", "after": after, "members": members, "large": true}


func test_ready_says_which_servers_are_large() -> void:
	var state := fresh()
	check(state.is_large("21"), "21 is large")
	check(not state.is_large("20"), "20 is not")
	state.apply_dispatch("SERVER_DELETE", {"id": "21"})
	check(not state.is_large("21"), "forgotten with the server")
	done()


func test_member_list_sets_the_page_and_presence() -> void:
	var state := fresh()
	var changed := []
	state.members_changed.connect(func(sid: String) -> void: changed.append(sid))
	state.apply_dispatch("MEMBER_LIST", page("0", 100, 3))
	eq(state.member_pages["21"]["after"], "0", "after")
	eq((state.member_pages["21"]["members"] as Array).size(), 3, "members of the page")
	eq(state.status_of("100"), "online", "presence from the page")
	eq(state.status_of("101"), "offline", "offline too")
	eq(changed, ["21"], "the list redraws")
	state.apply_dispatch("PRESENCE_UPDATE", {"server_id": "21", "user_id": "101", "status": "dnd"})
	eq(state.status_of("101"), "dnd", "then presence updates")
	# a small server's answer says so, and a server not known is ignored
	state.apply_dispatch(
		"MEMBER_LIST", {"server_id": "20", "after": "0", "members": [], "large": false}
	)
	check(not state.is_large("20"), "small stays small")
	state.apply_dispatch("MEMBER_LIST", {"server_id": "99", "after": "0", "members": []})
	check(not state.member_pages.has("99"), "unknown server ignored")
	# READY (a new session) starts over
	state.apply_dispatch("READY", DataStateTest.ready_payload())
	check(state.member_pages.is_empty(), "pages forgotten")
	check(not state.is_large("21"), "large list replaced by READY's")
	done()


func test_member_events_that_make_the_page_stale() -> void:
	var state := fresh()
	state.apply_dispatch("MEMBER_LIST", page("0", 100, 3))
	var add := {"server_id": "21", "user": {"id": "500", "username": "new"}, "role": "member"}
	check(state.member_page_stale("MEMBER_ADD", add), "a newcomer may belong on a short page")
	var gone := {"server_id": "21", "user_id": "101", "kicked": false}
	check(state.member_page_stale("MEMBER_REMOVE", gone), "someone on the page left")
	var elsewhere := {"server_id": "21", "user_id": "999", "kicked": false}
	check(not state.member_page_stale("MEMBER_REMOVE", elsewhere), "not on the page")
	state.apply_dispatch("MEMBER_LIST", page("0", 100, Protocol.MEMBER_LIST_PAGE))
	check(not state.member_page_stale("MEMBER_ADD", add), "a full page stays as it is")
	add["server_id"] = "20"
	check(not state.member_page_stale("MEMBER_ADD", add), "small servers have no page")
	done()


func test_watching_sends_op_14_once_per_page() -> void:
	var state := fresh()
	var api := MemberListActions.new(state, send)
	api.watch_members("21")
	api.watch_members("21")
	eq(sent, [["21", "0", Protocol.MEMBER_LIST_PAGE]], "first page, once")
	api.watch_members("21", "", true)
	eq(sent.size(), 2, "forced again")
	api.watch_members("20")
	eq(sent[-1], ["20", "0", Protocol.MEMBER_LIST_PAGE], "another server replaces it")
	api.watch_members("99")
	eq(sent.size(), 3, "not for an unknown server")
	api.forget_watch()
	api.watch_members("20")
	eq(sent.size(), 4, "a new session subscribes again")
	done()


func test_turning_pages() -> void:
	var state := fresh()
	var api := MemberListActions.new(state, send)
	api.watch_members("21")
	state.apply_dispatch("MEMBER_LIST", page("0", 100, Protocol.MEMBER_LIST_PAGE))
	eq(api.member_page_number("21"), 1, "page 1")
	check(api.has_next_member_page("21"), "a full page has a next one")
	api.next_member_page("21")
	var last := str(100 + Protocol.MEMBER_LIST_PAGE - 1)
	eq(sent[-1], ["21", last, Protocol.MEMBER_LIST_PAGE], "after the last member shown")
	eq(api.member_page_number("21"), 2, "page 2")
	state.apply_dispatch("MEMBER_LIST", page(last, 1000, 5))
	check(not api.has_next_member_page("21"), "a short page is the last")
	api.next_member_page("21")
	eq(sent.size(), 2, "no page after the last")
	api.previous_member_page("21")
	eq(sent[-1], ["21", "0", Protocol.MEMBER_LIST_PAGE], "back to the first page")
	eq(api.member_page_number("21"), 1, "page 1 again")
	api.previous_member_page("21")
	eq(sent.size(), 3, "nothing before the first")
	done()


func test_op_14_frame() -> void:
	var frame: Dictionary = JSON.parse_string(Protocol.member_list_subscribe("21", "", 100))
	eq(int(frame["op"]), Protocol.OP_MEMBER_LIST_SUBSCRIBE, "op 14")
	eq(frame["d"]["server_id"], "21", "server id as a string")
	eq(frame["d"]["after"], "0", "from the start")
	eq(int(frame["d"]["limit"]), 100, "limit")
	done()
