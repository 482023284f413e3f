## Builds a multipart/form-data message post the way the server expects it (Discord's
## shape): a `payload_json` part, then `files[0]` .. `files[n]`. Only the small parts (the
## headers around each file) are built here; the files themselves are streamed from disk by
## the uploader, never loaded whole.
extends RefCounted

const MAX_FILES := 10
const MAX_FILE_BYTES := 25 * 1024 * 1024
const MAX_TOTAL_BYTES := 50 * 1024 * 1024

const _TYPES := {
	"png": "image/png",
	"jpg": "image/jpeg",
	"jpeg": "image/jpeg",
	"gif": "image/gif",
	"webp": "image/webp",
	"txt": "text/plain",
	"md": "text/plain",
	"pdf": "application/pdf",
	"zip": "application/zip",
}


static func new_boundary() -> String:
	return "concord%08x%08x" % [randi(), randi()]


## The Content-Type header value of the whole body.
static func content_type(boundary: String) -> String:
	return "multipart/form-data; boundary=" + boundary


## A filename safe inside the quoted Content-Disposition parameter (the server sanitises it
## again; this only keeps the header well formed).
static func header_filename(filename: String) -> String:
	var out := ""
	for ch in filename:
		var code := ch.unicode_at(0)
		if code < 32 or code == 127 or ch == '"' or ch == "\\":
			out += "_"
		else:
			out += ch
	return out if out.strip_edges() != "" else "file"


## A hint for the part's Content-Type (the server sniffs the bytes and ignores it, except to
## refuse a file that claims to be an image and is not).
static func guess_type(filename: String) -> String:
	return str(_TYPES.get(filename.get_extension().to_lower(), "application/octet-stream"))


static func payload_part(boundary: String, payload: Dictionary) -> PackedByteArray:
	var head := '--%s\r\nContent-Disposition: form-data; name="payload_json"\r\n' % boundary
	head += "Content-Type: application/json\r\n\r\n"
	return (head + JSON.stringify(payload) + "\r\n").to_utf8_buffer()


## The headers before file number `index` (its bytes follow, then "\r\n").
static func file_head(boundary: String, index: int, filename: String) -> PackedByteArray:
	var head := "--%s\r\n" % boundary
	head += (
		'Content-Disposition: form-data; name="files[%d]"; filename="%s"\r\n'
		% [index, header_filename(filename)]
	)
	head += "Content-Type: %s\r\n\r\n" % guess_type(filename)
	return head.to_utf8_buffer()


static func file_tail() -> PackedByteArray:
	return "\r\n".to_utf8_buffer()


static func closing(boundary: String) -> PackedByteArray:
	return ("--%s--\r\n" % boundary).to_utf8_buffer()


## The exact byte length of the body (for Content-Length) given the files' names and sizes.
static func body_length(boundary: String, payload: Dictionary, files: Array) -> int:
	var total := payload_part(boundary, payload).size() + closing(boundary).size()
	for i in files.size():
		var entry: Dictionary = files[i]
		total += file_head(boundary, i, str(entry["name"])).size()
		total += int(entry["size"]) + file_tail().size()
	return total


## What is wrong with these files before anything is sent ("" when nothing): too many, too
## large, empty. `files` holds {"name", "size"} dictionaries.
static func problem(files: Array) -> String:
	if files.size() > MAX_FILES:
		return "You can attach at most %d files to a message." % MAX_FILES
	var total := 0
	for entry: Dictionary in files:
		var size := int(entry["size"])
		if size <= 0:
			return "%s is empty." % entry["name"]
		if size > MAX_FILE_BYTES:
			return "%s is larger than 25 MiB." % entry["name"]
		total += size
	if total > MAX_TOTAL_BYTES:
		return "The files are larger than 50 MiB together."
	return ""
