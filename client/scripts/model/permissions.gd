## The role ladder (owner > admin > moderator > member) and what each rank may do, mirroring
## the server's rules so the UI only offers what will be allowed.
extends RefCounted

const ROLES := ["member", "moderator", "admin", "owner"]
const LABELS := {"owner": "Owner", "admin": "Admin", "moderator": "Moderator", "member": "Member"}


static func rank(role: String) -> int:
	return ROLES.find(role)


static func can_manage_channels(role: String) -> bool:
	return rank(role) >= rank("admin")


static func can_create_invites(role: String) -> bool:
	return rank(role) >= rank("admin")


static func can_delete_message(role: String, is_author: bool) -> bool:
	return is_author or rank(role) >= rank("moderator")


## Pin and unpin messages, remove others' reactions.
static func can_pin(role: String) -> bool:
	return rank(role) >= rank("moderator")


static func can_kick(my_role: String, their_role: String) -> bool:
	return rank(my_role) >= rank("moderator") and rank(their_role) < rank(my_role)


static func can_ban(my_role: String, their_role: String) -> bool:
	return can_kick(my_role, their_role)


static func can_timeout(my_role: String, their_role: String) -> bool:
	return can_kick(my_role, their_role)


## The bans list (and lifting bans): moderators and above.
static func can_view_bans(role: String) -> bool:
	return rank(role) >= rank("moderator")


static func can_view_audit_log(role: String) -> bool:
	return rank(role) >= rank("admin")


static func can_export_server(role: String) -> bool:
	return role == "owner"


## Roles `my_role` may give to someone ranked `their_role` (never owner: that is a transfer).
static func assignable_roles(my_role: String, their_role: String) -> Array[String]:
	var out: Array[String] = []
	if rank(my_role) < rank("admin") or rank(their_role) >= rank(my_role):
		return out
	for role: String in ["member", "moderator", "admin"]:
		if rank(role) < rank(my_role) and role != their_role:
			out.append(role)
	return out


static func label(role: String) -> String:
	return LABELS.get(role, role.capitalize())
