## Saves a PNG of the window, then quits (for `-- --screenshot PATH`).
extends Node


func take(path: String, after_seconds: float) -> void:
	await get_tree().create_timer(after_seconds).timeout
	await RenderingServer.frame_post_draw
	var image := get_viewport().get_texture().get_image()
	var err := image.save_png(path)
	if err == OK:
		print("SCREENSHOT %s %dx%d" % [path, image.get_width(), image.get_height()])
	else:
		printerr("SCREENSHOT FAIL: could not write %s (error %d)" % [path, err])
	get_tree().quit(0 if err == OK else 1)
