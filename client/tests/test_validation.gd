## Client-side input checks and permissions.
extends "res://tests/test_case.gd"

const Validation := preload("res://scripts/model/validation.gd")
const Permissions := preload("res://scripts/model/permissions.gd")
const TimeFormat := preload("res://scripts/model/time_format.gd")


func test_inputs() -> void:
	eq(Validation.username("Alice_1"), "", "upper case folds")
	check(Validation.username("a") != "", "too short")
	check(Validation.username("bad name") != "", "space")
	eq(Validation.email("a@b.co"), "", "email")
	check(Validation.email("nope") != "", "bad email")
	check(Validation.password("short") != "", "short password")
	check(Validation.password("        ") != "", "only spaces")
	eq(Validation.password("  my own phrase "), "", "spaces inside are fine")
	check(Validation.message("   ") != "", "blank message")
	check(Validation.message("x".repeat(2001)) != "", "too long")
	eq(Validation.message("x".repeat(2000)), "", "at the limit")
	check(Validation.entity_name("", "Name") != "", "empty name")
	eq(Validation.invite_code(" https://chat.example/invite/AbC123/ "), "AbC123", "code from link")
	eq(Validation.invite_code("AbC123"), "AbC123", "bare code")
	done()


func test_permissions() -> void:
	check(Permissions.can_manage_channels("admin"), "admin manages channels")
	check(not Permissions.can_manage_channels("moderator"), "moderator does not")
	check(Permissions.can_delete_message("moderator", false), "moderator deletes others'")
	check(not Permissions.can_delete_message("member", false), "member does not")
	check(Permissions.can_delete_message("member", true), "own message")
	check(Permissions.can_kick("moderator", "member"), "kick below")
	check(not Permissions.can_kick("moderator", "moderator"), "not equal")
	eq(Permissions.assignable_roles("admin", "member"), ["moderator"] as Array[String], "admin")
	eq(
		Permissions.assignable_roles("owner", "member"),
		["moderator", "admin"] as Array[String],
		"owner"
	)
	eq(Permissions.assignable_roles("moderator", "member"), [] as Array[String], "moderator")
	done()


func test_timestamps() -> void:
	var unix := TimeFormat.parse_iso("2026-11-28T05:14:25.500000Z")
	eq(unix, 1795842865.5, "parsed with fraction")
	eq(TimeFormat.parse_iso("garbage"), 0.0, "unreadable")
	check(TimeFormat.parse_iso(TimeFormat.now_iso()) > 1.7e9, "now round-trips")
	done()
