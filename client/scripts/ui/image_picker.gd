## A file dialog for one image (avatars, server icons): PNG, JPEG, GIF or WebP.
extends FileDialog

signal picked(path: String)


func open(parent: Node, heading: String) -> void:
	title = heading
	file_mode = FileDialog.FILE_MODE_OPEN_FILE
	access = FileDialog.ACCESS_FILESYSTEM
	use_native_dialog = true
	filters = PackedStringArray(["*.png, *.jpg, *.jpeg, *.gif, *.webp ; Images"])
	file_selected.connect(
		func(path: String) -> void:
			picked.emit(path)
			queue_free()
	)
	canceled.connect(queue_free)
	parent.add_child(self)
	popup_centered_ratio(0.6)
