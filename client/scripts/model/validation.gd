## Client-side checks of the server's limits (docs/api.md), so people get an answer before a
## round trip. Each function returns "" when the value is fine, else a sentence.
extends RefCounted

const MESSAGE_MAX := 2000
const NAME_MAX := 100

static var _username_re := RegEx.create_from_string("^[a-z0-9_.]+$")
static var _email_re := RegEx.create_from_string("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$")


static func username(value: String) -> String:
	var text := value.strip_edges().to_lower()
	if text.length() < 2 or text.length() > 32:
		return "Username must be 2 to 32 characters."
	if _username_re.search(text) == null:
		return "Username may use only letters, digits, '_' and '.'."
	return ""


static func email(value: String) -> String:
	var text := value.strip_edges()
	if text.length() > 254 or _email_re.search(text) == null:
		return "Enter a valid email address."
	return ""


static func password(value: String) -> String:
	if value.length() < 8:
		return "Password must be at least 8 characters."
	if value.length() > 128:
		return "Password must be at most 128 characters."
	if value.strip_edges() == "":
		return "Password cannot be only spaces."
	return ""


static func login(value: String) -> String:
	return "Enter your username or email." if value.strip_edges() == "" else ""


static func entity_name(value: String, what: String) -> String:
	var text := value.strip_edges()
	if text == "":
		return "%s cannot be empty." % what
	if text.length() > NAME_MAX:
		return "%s must be at most %d characters." % [what, NAME_MAX]
	return ""


static func message(value: String) -> String:
	var text := value.strip_edges()
	if text == "":
		return "Message is empty."
	if text.length() > MESSAGE_MAX:
		return "Message is %d characters; the limit is %d." % [text.length(), MESSAGE_MAX]
	return ""


## An invite code from what was pasted: a bare code or a link ending in the code.
static func invite_code(value: String) -> String:
	var text := value.strip_edges()
	while text.ends_with("/"):
		text = text.substr(0, text.length() - 1)
	if text.contains("/"):
		text = text.get_slice("/", text.get_slice_count("/") - 1)
	return text
