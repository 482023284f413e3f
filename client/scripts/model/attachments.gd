## What the client shows of a message's files: images inline (thumbnail, click for the full
## size), anything else as a chip with a download button.
extends RefCounted

const IMAGE_TYPES := ["image/png", "image/jpeg", "image/gif", "image/webp"]
## The full-size view opens these (Godot decodes them); a GIF shows its thumbnail there.
const VIEWABLE_TYPES := ["image/png", "image/jpeg", "image/webp"]
const PREVIEW_MAX := Vector2(400, 300)


static func is_image(attachment: Dictionary) -> bool:
	return (
		str(attachment.get("content_type", "")) in IMAGE_TYPES and attachment.has("thumbnail_url")
	)


## The URL of the image the full-size view shows.
static func full_view_url(attachment: Dictionary) -> String:
	if str(attachment.get("content_type", "")) in VIEWABLE_TYPES:
		return str(attachment.get("url", ""))
	return str(attachment.get("thumbnail_url", ""))


## The on-screen size of an inline preview: the image's own aspect, at most PREVIEW_MAX, never
## enlarged.
static func preview_size(attachment: Dictionary, most := PREVIEW_MAX) -> Vector2:
	var width := float(attachment.get("width", 0))
	var height := float(attachment.get("height", 0))
	if width <= 0.0 or height <= 0.0:
		return Vector2(most.y, most.y)
	var scale := minf(1.0, minf(most.x / width, most.y / height))
	return Vector2(maxf(1.0, roundf(width * scale)), maxf(1.0, roundf(height * scale)))


## "512 B", "1.5 KB", "12.3 MB".
static func human_size(size: int) -> String:
	if size < 1024:
		return "%d B" % size
	var units := ["KB", "MB", "GB"]
	var value := float(size) / 1024.0
	var unit := 0
	while value >= 1024.0 and unit < units.size() - 1:
		value /= 1024.0
		unit += 1
	return "%.1f %s" % [value, units[unit]]


## File URLs from the server are paths; prefix the server's address.
static func absolute(base_url: String, url: String) -> String:
	if url == "" or url.begins_with("http://") or url.begins_with("https://"):
		return url
	return base_url + url


## A name for a downloaded file in `folder` that does not overwrite one already there:
## "a.txt", then "a (1).txt", "a (2).txt" ...
static func free_name(folder: String, filename: String, exists: Callable) -> String:
	var safe := filename.replace("/", "_").replace("\\", "_").strip_edges()
	if safe == "" or safe.begins_with("."):
		safe = "file" + safe
	var path := folder.path_join(safe)
	var n := 1
	while exists.call(path):
		path = folder.path_join("%s (%d).%s" % [safe.get_basename(), n, safe.get_extension()])
		if safe.get_extension() == "":
			path = folder.path_join("%s (%d)" % [safe, n])
		n += 1
	return path
