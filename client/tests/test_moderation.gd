## Moderation and account actions: who is offered what, timeouts' ends, the audit log's
## sentences, and what the actions send and apply to the cache (over a fake NetworkManager).
extends "res://tests/test_case.gd"

const DataState := preload("res://scripts/model/data_state.gd")
const FakeNet := preload("res://tests/fake_net.gd")
const Api := preload("res://scripts/net/api.gd")
const ApiResult := preload("res://scripts/net/api_result.gd")
const Permissions := preload("res://scripts/model/permissions.gd")
const ModerationActions := preload("res://scripts/model/moderation_actions.gd")
const TestDataState := preload("res://tests/test_data_state.gd")


func world() -> Array:
	var state: DataState = track(DataState.new())
	state.apply_dispatch("READY", TestDataState.ready_payload())
	state.set_members("20", [member("20", "1", "owner"), member("20", "2", "member")])
	var net: FakeNet = track(FakeNet.new())
	return [state, net, ModerationActions.new(state, net)]


static func member(
	server_id: String, user_id: String, role: String, until: Variant = null
) -> Dictionary:
	return {
		"server_id": server_id,
		"user": {"id": user_id, "username": "user" + user_id, "avatar_url": null},
		"role": role,
		"joined_at": "2026-12-01T10:00:00Z",
		"communication_disabled_until": until,
	}


func test_who_may_ban_time_out_and_read_the_log() -> void:
	check(Permissions.can_ban("moderator", "member"), "moderators ban members")
	check(not Permissions.can_ban("moderator", "moderator"), "not their peers")
	check(not Permissions.can_ban("member", "member"), "members ban nobody")
	check(Permissions.can_timeout("admin", "moderator"), "admins time out moderators")
	check(not Permissions.can_timeout("admin", "owner"), "nobody times out the owner")
	check(Permissions.can_view_bans("moderator"), "moderators see bans")
	check(not Permissions.can_view_bans("member"), "members do not")
	check(Permissions.can_view_audit_log("admin"), "admins read the audit log")
	check(not Permissions.can_view_audit_log("moderator"), "moderators do not")
	check(Permissions.can_export_server("owner"), "the owner exports")
	check(not Permissions.can_export_server("admin"), "admins do not")
	done()


func test_timeout_end_is_zero_when_none_or_over() -> void:
	var now := 1_800_000_000.0
	var later := ModerationActions.iso_of(now + 600.0)
	eq(ModerationActions.timeout_end({}), 0.0, "no field")
	eq(ModerationActions.timeout_end({"communication_disabled_until": null}), 0.0, "null")
	eq(
		ModerationActions.timeout_end({"communication_disabled_until": later}, now),
		now + 600.0,
		"in the future"
	)
	eq(
		ModerationActions.timeout_end({"communication_disabled_until": later}, now + 601.0),
		0.0,
		"over"
	)
	check(later.ends_with("Z") and later.length() == 20, "ISO with Z: " + later)
	done()


func test_audit_entries_read_as_sentences() -> void:
	var names := {"1": "alice", "2": "bob"}
	var ban := {
		"action": "member_ban_add",
		"actor_id": "1",
		"target_id": "2",
		"changes": [{"key": "delete_message_seconds", "old_value": null, "new_value": 86400}],
		"reason": "spam",
	}
	eq(
		ModerationActions.describe(ban, names),
		"alice banned bob (deleted their messages of the last 1 day(s)): spam",
		"a ban"
	)
	var rename := {
		"action": "channel_update",
		"actor_id": "2",
		"target_id": "30",
		"changes": [{"key": "name", "old_value": "general", "new_value": "lobby"}],
		"reason": null,
	}
	eq(
		ModerationActions.describe(rename, names),
		"bob changed a channel (name: general -> lobby)",
		"a rename"
	)
	var unknown := {"action": "member_kick", "actor_id": "9", "target_id": "2", "changes": []}
	eq(ModerationActions.describe(unknown, names), "user 9 removed bob", "unknown actor")
	done()


func test_ban_sends_reason_and_clean_up_and_removes_the_member() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: ModerationActions = parts[2]
	net.answer(null)
	var result: ApiResult = await actions.ban("20", "2", "  spam  ", 3600)
	check(result.ok, "banned")
	eq(net.calls[0][0], "PUT", "PUT")
	eq(net.calls[0][1], Api.PUT_SERVER_BAN, "the ban path")
	eq(net.calls[0][3], {"delete_message_seconds": 3600, "reason": "spam"}, "the body")
	check(not (state.members["20"] as Dictionary).has("2"), "the member is gone")
	net.answer(null, false, "You can only ban members ranked below you.")
	result = await actions.ban("20", "1", "", 0)
	check(not result.ok, "refused")
	eq(net.calls[1][3], {"delete_message_seconds": 0}, "no reason sent when empty")
	check((state.members["20"] as Dictionary).has("1"), "nothing removed on a refusal")
	done()


func test_timeouts_update_the_member_and_my_server() -> void:
	var parts := world()
	var state: DataState = parts[0]
	var net: FakeNet = parts[1]
	var actions: ModerationActions = parts[2]
	var until := ModerationActions.iso_of(Time.get_unix_time_from_system() + 300.0)
	net.answer(member("20", "2", "member", until))
	var result: ApiResult = await actions.timeout("20", "2", 300)
	check(result.ok, "timed out")
	eq(net.calls[0][0], "PATCH", "PATCH")
	check(str(net.calls[0][3]["communication_disabled_until"]).ends_with("Z"), "an end time")
	check(ModerationActions.timeout_end(state.members["20"]["2"]) > 0.0, "the member shows it")
	# My own timeout arrives as MEMBER_UPDATE and lands on my server entry (the composer).
	state.apply_dispatch("MEMBER_UPDATE", member("20", "1", "owner", until))
	check(ModerationActions.timeout_end(state.servers["20"]) > 0.0, "my server knows")
	net.answer(member("20", "2", "member", null))
	await actions.lift_timeout("20", "2")
	eq(net.calls[1][3], {"communication_disabled_until": null}, "null lifts it")
	eq(ModerationActions.timeout_end(state.members["20"]["2"]), 0.0, "lifted")
	done()


func test_bans_page_and_account_deletion_sends_the_password() -> void:
	var parts := world()
	var net: FakeNet = parts[1]
	var actions: ModerationActions = parts[2]
	net.answer([{"user": {"id": "5", "username": "x"}, "reason": null, "created_at": ""}])
	var bans: ApiResult = await actions.load_bans("20")
	eq(bans.list().size(), 1, "one ban")
	eq(net.calls[0][1], Api.GET_SERVER_BANS, "the bans path")
	net.answer(null)
	var deleted: ApiResult = await actions.delete_account("hunter22!")
	check(deleted.ok, "deleted")
	eq(net.calls[1][0], "DELETE", "DELETE")
	eq(net.calls[1][1], Api.DELETE_ME, "/users/@me")
	eq(net.calls[1][3], {"password": "hunter22!"}, "with the password")
	net.answer([])
	await actions.load_audit_log("20", "99", "member_kick")
	eq(
		net.calls[2][3],
		{"before": "99", "limit": Api.AUDIT_PAGE_LIMIT, "action": "member_kick"},
		"query"
	)
	done()
