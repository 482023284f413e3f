## The message renderer: what each marker gives, and that no input can inject markup (every
## output is audited: only our tags, balanced, with link / spoiler / channel metas only).
extends "res://tests/test_case.gd"

const Markup := preload("res://scripts/model/markup.gd")

const USERS := {"7": "alice", "8": "b[ob]"}
const CHANNELS := {"30": "general", "31": "[img]x[/img]"}


func render(text: String, revealed := {}) -> String:
	var markup := Markup.new(USERS, CHANNELS, revealed)
	var out := markup.render(text)
	eq(Markup.audit(out), [] as Array[String], "safe output for %s" % text.substr(0, 40).c_escape())
	return out


func test_plain_text_is_escaped() -> void:
	eq(render("hello"), "hello", "plain")
	eq(render("a [b] c"), "a [lb]b] c", "brackets are literal")
	eq(render("[lb]"), "[lb]lb]", "even the escape itself")
	eq(render(""), "", "empty")
	done()


func test_each_marker() -> void:
	eq(render("**bold**"), "[b]bold[/b]", "bold")
	eq(render("*it*"), "[i]it[/i]", "italic with stars")
	eq(render("_it_"), "[i]it[/i]", "italic with underscores")
	eq(render("__under__"), "[u]under[/u]", "underline")
	eq(render("~~gone~~"), "[s]gone[/s]", "strikethrough")
	check(render("`x **y**`").contains("[code]x **y**[/code]"), "inline code is literal")
	var block := render("```py\nprint('[x]')\n```")
	check(block.contains("[code]print('[lb]x]')[/code]"), "code block, language dropped: " + block)
	check(render("> quoted *text*").contains("[i]text[/i]"), "a quote is formatted")
	check(render("> quoted").contains("\u258c"), "with its bar")
	eq(render("**bold *and it***"), "[b]bold [i]and it[/i][/b]", "nested")
	eq(render("snake_case_name"), "snake_case_name", "underscores inside words stay")
	done()


func test_links_mentions_and_channels() -> void:
	var markup := Markup.new(USERS, CHANNELS)
	var out := markup.render("see https://example.com/a?b=1. and http://x.org")
	eq(markup.links, ["https://example.com/a?b=1", "http://x.org"] as Array[String], "links")
	check(out.contains("[url=link:0]"), "link meta is an index")
	check(not out.contains("url=https"), "never the URL itself in a tag")
	eq(Markup.audit(out), [] as Array[String], "safe")
	check(render("ftp://x.org javascript:alert(1)").find("[url") < 0, "other schemes are text")
	check(render("<@7> hi").contains("@alice"), "a mention shows the name")
	check(render("<@!7>").contains("@alice"), "the <@!id> form too")
	check(render("<@8>").contains("@b[lb]ob]"), "a name is escaped too")
	check(render("<@99>").contains("@unknown-user"), "unknown users")
	var channel := render("in <#30>")
	check(channel.contains("[url=channel:30]") and channel.contains("#general"), channel)
	check(render("<#31>").contains("#[lb]img]x[lb]/img]"), "a channel name is escaped")
	check(render("<#99>").contains("#deleted-channel"), "unknown channels")
	eq(render("<@abc>"), "<@abc>", "not an id: text")
	done()


func test_spoilers_hide_until_revealed() -> void:
	var markup := Markup.new(USERS, CHANNELS)
	var hidden := markup.render("the end: ||he **dies**||")
	eq(markup.spoilers, 1, "one spoiler")
	check(hidden.contains("[url=spoiler:0]"), "clickable")
	check(hidden.contains("[color=%s]" % Markup.SPOILER_HIDDEN), "text in the background colour")
	check(not hidden.contains("[b]"), "no formatting shows through while hidden")
	var shown := render("the end: ||he **dies**||", {0: true})
	check(shown.contains("[b]dies[/b]"), "revealed: formatted")
	done()


func test_hostile_inputs_never_inject_markup() -> void:
	var hostile := [
		"[url=https://evil.example]click[/url]",
		"[img]https://evil.example/x.png[/img]",
		"[color=#ff0000]red[/color] [font_size=200]big[/font_size]",
		"[/b][/i][/url] closing tags first",
		"**[url=x]**[/url]",
		"`[url=x]`y`[/url]`",
		"```[img]x[/img]```",
		"||[url=https://evil]||",
		"https://evil.example/[url=x]a[/url]",
		"https://a.b/]]][[[",
		"<@7>[/color][/bgcolor]",
		"<#30>[/url]",
		"**a *b** c*",
		"*a **b* c**",
		"~~__**||`unclosed",
		"***___~~~|||```",
		"> > [url=x]quote[/url]",
		"\u0001[b]\u200b[/b]",
		"[lb][rb][/lb]",
		"http://[url]",
	]
	for text: String in hostile:
		var out := render(text)
		check(not out.contains("[url=h"), "no URL in a tag: " + out)
		check(not out.contains("[img"), "no image tag: " + out)
	done()


func test_huge_and_pathological_inputs_are_bounded() -> void:
	var started := Time.get_ticks_msec()
	var stars := "*".repeat(100000)
	var out := render(stars)
	check(out.length() < Markup.MAX_CHARS * 2, "clipped")
	check(out.ends_with("..."), "marked as clipped")
	render("**a".repeat(2000))
	render("_x ".repeat(3000))
	render("||".repeat(3000) + "x")
	render("[".repeat(5000))
	render("<@".repeat(3000))
	render("https://a.b/".repeat(400))
	var nested := ""
	for i in 40:
		nested = "**_~~" + nested + "~~_**"
	var deep := render(nested)
	eq(Markup.audit(deep), [] as Array[String], "deep nesting stays balanced")
	var elapsed := Time.get_ticks_msec() - started
	check(elapsed < 5000, "bounded work (%d ms for all of them)" % elapsed)
	done()


func test_only_http_and_https_links_open() -> void:
	check(Markup.is_openable("https://example.com/x"), "https")
	check(Markup.is_openable("http://127.0.0.1:8000/"), "http with a port")
	check(not Markup.is_openable("javascript:alert(1)"), "javascript")
	check(not Markup.is_openable("file:///etc/passwd"), "file")
	check(not Markup.is_openable("https://"), "no host")
	check(not Markup.is_openable("https://a b"), "a space")
	check(not Markup.is_openable("https://a\nb"), "a control character")
	done()


func test_audit_catches_injected_markup() -> void:
	check(not Markup.audit("[url=https://x]a[/url]").is_empty(), "a URL meta")
	check(not Markup.audit("[img]x[/img]").is_empty(), "an image tag")
	check(not Markup.audit("[b]x").is_empty(), "an unclosed tag")
	check(not Markup.audit("[color=red]x[/color]").is_empty(), "a colour name")
	check(Markup.audit("[b]x[/b][lb]").is_empty(), "ours are fine")
	done()
