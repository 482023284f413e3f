## Colours, the app theme (built in code: no imported resources) and small UI helpers.
extends RefCounted

const BG_RAIL := Color("1e1f22")
const BG_SIDEBAR := Color("2b2d31")
const BG_CHAT := Color("313338")
const BG_INPUT := Color("383a40")
const BG_FIELD := Color("1e1f22")
const BG_HOVER := Color("393c41")
const BG_SELECTED := Color("43454b")
const BG_POPUP := Color("111214")
const TEXT := Color("dbdee1")
const TEXT_MUTED := Color("949ba4")
const TEXT_STRONG := Color("f2f3f5")
const ACCENT := Color("5865f2")
const ACCENT_HOVER := Color("4752c4")
const GREEN := Color("23a55a")
const YELLOW := Color("f0b232")
const RED := Color("f23f43")
const GRAY := Color("80848e")
const NAME_COLORS := [
	Color("f47b67"),
	Color("f9a62b"),
	Color("3ba55c"),
	Color("45ddc0"),
	Color("5865f2"),
	Color("eb459e"),
	Color("b9bbbe"),
	Color("faa61a"),
]
const FONT_SIZE := 15

static var _bold: FontVariation


static func build_theme() -> Theme:
	var theme := Theme.new()
	theme.default_font_size = FONT_SIZE
	theme.set_color("font_color", "Label", TEXT)
	_button_styles(theme)
	_field_styles(theme)
	_window_styles(theme)
	theme.set_stylebox("panel", "PanelContainer", box(BG_SIDEBAR))
	theme.set_stylebox("panel", "Panel", box(BG_SIDEBAR))
	theme.set_stylebox("panel", "ScrollContainer", StyleBoxEmpty.new())
	var grabber := box(Color("1a1b1e"), 4)
	theme.set_stylebox("grabber", "VScrollBar", grabber)
	theme.set_stylebox("grabber_highlight", "VScrollBar", box(Color("111214"), 4))
	theme.set_stylebox("grabber_pressed", "VScrollBar", box(Color("111214"), 4))
	theme.set_stylebox("scroll", "VScrollBar", box(Color(0, 0, 0, 0.12), 4, 4))
	theme.set_stylebox("separator", "HSeparator", line(Color("3f4147")))
	theme.set_constant("separation", "HSeparator", 9)
	theme.set_color("font_color", "LinkButton", Color("00a8fc"))
	theme.set_color("font_hover_color", "LinkButton", Color("4cc4ff"))
	return theme


static func _button_styles(theme: Theme) -> void:
	for type: String in ["Button", "OptionButton", "MenuButton"]:
		theme.set_stylebox("normal", type, box(BG_INPUT, 4, 8, 12))
		theme.set_stylebox("hover", type, box(BG_SELECTED, 4, 8, 12))
		theme.set_stylebox("pressed", type, box(BG_SELECTED, 4, 8, 12))
		theme.set_stylebox("disabled", type, box(Color("2e3035"), 4, 8, 12))
		theme.set_stylebox("focus", type, StyleBoxEmpty.new())
		theme.set_color("font_color", type, TEXT)
		theme.set_color("font_hover_color", type, TEXT_STRONG)
		theme.set_color("font_pressed_color", type, TEXT_STRONG)
		theme.set_color("font_disabled_color", type, TEXT_MUTED)
	_variation(theme, "AccentButton", ACCENT, ACCENT_HOVER, Color.WHITE, 4, 12)
	_variation(theme, "DangerButton", Color("da373c"), Color("a12829"), Color.WHITE, 4, 12)
	_variation(theme, "FlatButton", Color(0, 0, 0, 0), BG_HOVER, TEXT_MUTED, 4, 8)
	_variation(theme, "MiniButton", Color(0, 0, 0, 0), BG_HOVER, TEXT_MUTED, 4, 6)
	for state: String in ["normal", "hover", "pressed", "hover_pressed", "disabled"]:
		var mini := theme.get_stylebox(state, "MiniButton") as StyleBoxFlat
		mini.content_margin_top = 0
		mini.content_margin_bottom = 0
	theme.set_font_size("font_size", "MiniButton", 13)
	_variation(theme, "ReactionChip", BG_INPUT, BG_HOVER, TEXT, 8, 6)
	var mine := box(Color("3b4270"), 8, 6, 6)
	mine.border_color = ACCENT
	mine.set_border_width_all(1)
	theme.set_stylebox("pressed", "ReactionChip", mine)
	theme.set_stylebox("hover_pressed", "ReactionChip", mine)
	theme.set_font_size("font_size", "ReactionChip", 13)
	_variation(theme, "ChannelButton", Color(0, 0, 0, 0), BG_HOVER, TEXT_MUTED, 4, 8)
	theme.set_stylebox("pressed", "ChannelButton", box(BG_SELECTED, 4, 6, 8))
	theme.set_constant("h_separation", "ChannelButton", 6)
	_variation(theme, "ServerButton", BG_CHAT, ACCENT, TEXT, 24, 0)
	theme.set_stylebox("pressed", "ServerButton", box(ACCENT, 16))
	theme.set_font_size("font_size", "ServerButton", 17)
	_variation(theme, "AddServerButton", BG_CHAT, GREEN, GREEN, 24, 0)
	theme.set_color("font_hover_color", "AddServerButton", Color.WHITE)
	theme.set_font_size("font_size", "AddServerButton", 24)


static func _variation(
	theme: Theme, type: String, base: Color, hover: Color, text: Color, radius: int, pad: int
) -> void:
	theme.set_type_variation(type, "Button")
	theme.set_stylebox("normal", type, box(base, radius, 6, pad))
	theme.set_stylebox("hover", type, box(hover, radius, 6, pad))
	theme.set_stylebox("pressed", type, box(hover, radius, 6, pad))
	theme.set_stylebox("hover_pressed", type, box(hover, radius, 6, pad))
	theme.set_stylebox("disabled", type, box(base.darkened(0.3), radius, 6, pad))
	theme.set_color("font_color", type, text)
	theme.set_color("font_pressed_color", type, TEXT_STRONG)
	theme.set_color("font_hover_color", type, TEXT_STRONG)
	theme.set_color("font_hover_pressed_color", type, TEXT_STRONG)


static func _field_styles(theme: Theme) -> void:
	theme.set_stylebox("normal", "LineEdit", box(BG_FIELD, 4, 8, 10))
	var focus := box(BG_FIELD, 4, 8, 10)
	focus.border_color = ACCENT
	focus.set_border_width_all(1)
	theme.set_stylebox("focus", "LineEdit", focus)
	theme.set_stylebox("read_only", "LineEdit", box(BG_FIELD, 4, 8, 10))
	theme.set_color("font_color", "LineEdit", TEXT)
	theme.set_color("font_placeholder_color", "LineEdit", Color("6d6f78"))
	theme.set_color("caret_color", "LineEdit", TEXT_STRONG)
	theme.set_color("selection_color", "LineEdit", Color(ACCENT, 0.5))
	theme.set_type_variation("ComposerEdit", "LineEdit")
	theme.set_stylebox("normal", "ComposerEdit", box(BG_INPUT, 8, 12, 16))
	theme.set_stylebox("focus", "ComposerEdit", box(BG_INPUT, 8, 12, 16))


static func _window_styles(theme: Theme) -> void:
	var popup := box(BG_POPUP, 6, 6, 6)
	theme.set_stylebox("panel", "PopupMenu", popup)
	theme.set_stylebox("hover", "PopupMenu", box(ACCENT, 3))
	theme.set_color("font_color", "PopupMenu", TEXT)
	theme.set_color("font_hover_color", "PopupMenu", Color.WHITE)
	theme.set_color("font_disabled_color", "PopupMenu", TEXT_MUTED)
	theme.set_constant("v_separation", "PopupMenu", 8)
	var frame := box(BG_CHAT, 8)
	frame.border_color = Color("1e1f22")
	frame.set_border_width_all(2)
	frame.expand_margin_top = 32
	frame.shadow_color = Color(0, 0, 0, 0.4)
	frame.shadow_size = 12
	theme.set_stylebox("embedded_border", "Window", frame)
	theme.set_stylebox("embedded_unfocused_border", "Window", frame)
	theme.set_color("title_color", "Window", TEXT_STRONG)
	theme.set_stylebox("panel", "AcceptDialog", box(BG_CHAT, 8, 16, 16))
	theme.set_stylebox("panel", "TooltipPanel", box(BG_POPUP, 4, 6, 8))
	theme.set_color("font_color", "TooltipLabel", TEXT)


## The default font, emboldened (no font file needed).
static func bold_font() -> Font:
	if _bold == null:
		_bold = FontVariation.new()
		_bold.base_font = ThemeDB.fallback_font
		_bold.variation_embolden = 0.7
	return _bold


## A small "v" chevron icon drawn into an image (no image files needed).
static func chevron(color: Color) -> Texture2D:
	var image := Image.create(12, 8, false, Image.FORMAT_RGBA8)
	for x in 12:
		var y := mini(x, 11 - x)
		for thick in 2:
			if y + thick < 8 and y + thick >= 0:
				image.set_pixel(x, clampi(y + thick - 1, 0, 7), color)
	return ImageTexture.create_from_image(image)


## A speech bubble with three dots cut out (the Home button), drawn into an image.
static func bubble_icon(size: int, color: Color) -> Texture2D:
	var image := Image.create(size, size, false, Image.FORMAT_RGBA8)
	var unit := float(size)
	var center := Vector2(0.5, 0.44)
	var radii := Vector2(0.47, 0.36)
	var tail := PackedVector2Array([Vector2(0.2, 0.62), Vector2(0.46, 0.74), Vector2(0.1, 0.97)])
	for y in size:
		for x in size:
			var at := Vector2(x + 0.5, y + 0.5) / unit
			var inside := ((at - center) / radii).length_squared() <= 1.0
			inside = inside or Geometry2D.is_point_in_polygon(at, tail)
			for dot in 3:
				var dot_at := Vector2(0.27 + 0.23 * dot, 0.44)
				if at.distance_to(dot_at) < 0.075:
					inside = false
			if inside:
				image.set_pixel(x, y, color)
	return ImageTexture.create_from_image(image)


## A round avatar with the name's initials, coloured by user id.
static func avatar(user_id: String, display_name: String, size := 40) -> PanelContainer:
	var out := panel(name_color(user_id), size >> 1)
	out.custom_minimum_size = Vector2(size, size)
	out.size_flags_vertical = Control.SIZE_SHRINK_BEGIN
	out.mouse_filter = Control.MOUSE_FILTER_IGNORE
	var text := label(initials(display_name), int(size * 0.4), Color.WHITE)
	text.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	text.vertical_alignment = VERTICAL_ALIGNMENT_CENTER
	text.add_theme_font_override("font", bold_font())
	out.add_child(text)
	return out


## A flat box. `v_pad` / `h_pad` are the content margins (-1 leaves them at the default).
static func box(color: Color, radius := 0, v_pad := -1, h_pad := -1) -> StyleBoxFlat:
	var style := StyleBoxFlat.new()
	style.bg_color = color
	style.set_corner_radius_all(radius)
	if v_pad >= 0:
		style.content_margin_top = v_pad
		style.content_margin_bottom = v_pad
	if h_pad >= 0:
		style.content_margin_left = h_pad
		style.content_margin_right = h_pad
	return style


static func line(color: Color) -> StyleBoxLine:
	var style := StyleBoxLine.new()
	style.color = color
	style.thickness = 1
	return style


static func presence_color(status: String) -> Color:
	match status:
		"online":
			return GREEN
		"away":
			return YELLOW
		"dnd":
			return RED
	return GRAY


static func name_color(user_id: String) -> Color:
	return NAME_COLORS[absi(user_id.hash()) % NAME_COLORS.size()]


## A Label with a size and colour; `wrap` turns on word wrapping.
static func label(text: String, size := 0, color := TEXT, wrap := false) -> Label:
	var out := Label.new()
	out.text = text
	if size > 0:
		out.add_theme_font_size_override("font_size", size)
	out.add_theme_color_override("font_color", color)
	if wrap:
		out.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	return out


## A PanelContainer painted with `color`.
static func panel(color: Color, radius := 0, v_pad := 0, h_pad := 0) -> PanelContainer:
	var out := PanelContainer.new()
	out.add_theme_stylebox_override("panel", box(color, radius, v_pad, h_pad))
	return out


## The BOT tag shown beside a bot account's name (Discord's look: white on the accent).
static func bot_tag() -> PanelContainer:
	var tag := panel(ACCENT, 3, 0, 4)
	tag.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	tag.mouse_filter = Control.MOUSE_FILTER_IGNORE
	tag.tooltip_text = "This account is a bot."
	var text := label("BOT", 10, TEXT_STRONG)
	text.add_theme_font_override("font", bold_font())
	tag.add_child(text)
	return tag


## Whether a user object (author, member user) is a bot account; people have no "bot" key.
static func is_bot(user: Dictionary) -> bool:
	return user.get("bot", false) == true


## A round dot (presence, unread).
static func dot(color: Color, size := 10) -> Panel:
	var out := Panel.new()
	out.custom_minimum_size = Vector2(size, size)
	out.add_theme_stylebox_override("panel", box(color, size >> 1))
	out.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	out.mouse_filter = Control.MOUSE_FILTER_IGNORE
	return out


## A mention badge: the count in white on red ("99+" above 99).
static func badge(count: int) -> PanelContainer:
	var out := panel(RED, 9, 0, 5)
	out.name = "Badge"
	out.custom_minimum_size = Vector2(18, 18)
	out.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	out.size_flags_horizontal = Control.SIZE_SHRINK_END
	out.mouse_filter = Control.MOUSE_FILTER_IGNORE
	var text := label(str(count) if count <= 99 else "99+", 11, Color.WHITE)
	text.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	text.vertical_alignment = VERTICAL_ALIGNMENT_CENTER
	text.add_theme_font_override("font", bold_font())
	out.add_child(text)
	out.tooltip_text = "%d mention%s" % [count, "" if count == 1 else "s"]
	return out


## Up to two initials of a name, for server icons and avatars.
static func initials(text: String) -> String:
	var words := text.strip_edges().split(" ", false)
	if words.is_empty():
		return "?"
	var out := words[0].substr(0, 1)
	if words.size() > 1:
		out += words[1].substr(0, 1)
	return out.to_upper()
