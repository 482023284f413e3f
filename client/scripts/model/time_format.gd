## ISO 8601 timestamps from the server (UTC) to seconds and to friendly local text.
extends RefCounted


## Seconds since the Unix epoch (UTC) of "2026-11-28T05:14:25.123000Z"; 0.0 if unreadable.
static func parse_iso(text: String) -> float:
	if text.length() < 19:
		return 0.0
	var whole := Time.get_unix_time_from_datetime_string(text.substr(0, 19))
	var fraction := 0.0
	if text.length() > 20 and text[19] == ".":
		var digits := ""
		for i in range(20, text.length()):
			if not text[i].is_valid_int():
				break
			digits += text[i]
		if digits != "":
			fraction = ("0." + digits).to_float()
	return float(whole) + fraction


## The current UTC time as the server writes it.
static func now_iso() -> String:
	var unix := Time.get_unix_time_from_system()
	var ms := int(fmod(unix, 1.0) * 1000.0)
	return Time.get_datetime_string_from_unix_time(int(unix)) + ".%03d000Z" % ms


## "Today at 14:03", "Yesterday at 09:12" or "2026-11-27 14:03", in local time.
static func friendly(text: String, now_unix := -1.0) -> String:
	var unix := parse_iso(text)
	if unix <= 0.0:
		return ""
	var now := Time.get_unix_time_from_system() if now_unix < 0.0 else now_unix
	var bias := _bias_seconds()
	var day := floori((unix + bias) / 86400.0)
	var today := floori((now + bias) / 86400.0)
	var clock := short_time(text)
	if day == today:
		return "Today at " + clock
	if day == today - 1:
		return "Yesterday at " + clock
	var date := Time.get_date_dict_from_unix_time(int(unix + bias))
	return "%04d-%02d-%02d %s" % [date["year"], date["month"], date["day"], clock]


## "14:03" in local time.
static func short_time(text: String) -> String:
	var unix := parse_iso(text)
	var local := Time.get_time_dict_from_unix_time(int(unix + _bias_seconds()))
	return "%02d:%02d" % [local["hour"], local["minute"]]


static func _bias_seconds() -> float:
	var zone := Time.get_time_zone_from_system()
	return float(zone.get("bias", 0)) * 60.0
