## Options after `--` on the command line (OS.get_cmdline_user_args()):
##   --smoke URL          run the end-to-end smoke check against URL and exit 0 / 1
##   --screenshot PATH    save a PNG of the window once the scene settles, then exit
##   --screen login       open the login screen even when a session is saved
##   --demo URL           sign in as a fresh demo user with sample data (nothing saved)
##   --history N          with --demo: post N more messages in #random and open it
##   --fresh URL          sign in as a brand-new user with no servers (nothing saved)
##   --bench-scroll N     time scrolling a channel of N loaded messages (and of 200, the
##                        baseline), print BENCH lines and exit
##   --verbose            print gateway status changes and events to stdout
##   --delay SECONDS      wait before the screenshot (default 2; counted after the demo is ready)
##   --search TEXT        before the screenshot type TEXT in the search box and press Enter
##                        (with --dialog search_jump, then click the first result)
##   --dialog NAME        before the screenshot open: create_server, join, invite,
##                        register_errors, scroll_top (scroll the chat to the top),
##                        retry_failed (press Retry on failed sends), wrong_password,
##                        message_menu, server_menu, home (the DM list), group_dm (the
##                        group DM dialog), block (block the first other author shown),
##                        mention (the @ autocomplete), notifications (the server's
##                        notification settings), unread_channel (open a channel with a
##                        mention after what was read: the NEW divider), unread_jump (and
##                        press Jump on its bar), member_menu (a member's right-click menu)
extends RefCounted

var smoke_url := ""
var screenshot_path := ""
var screen := ""
var demo_url := ""
var fresh_url := ""
var history := 0
var verbose := false
var dialog := ""
var delay := 2.0
var search := ""
var bench_scroll := 0


func parse(args: PackedStringArray) -> void:
	var i := 0
	while i < args.size():
		var value := args[i + 1] if i + 1 < args.size() else ""
		var known := true
		match args[i]:
			"--smoke":
				smoke_url = value
			"--screenshot":
				screenshot_path = value
			"--screen":
				screen = value
			"--demo":
				demo_url = value
			"--verbose":
				verbose = true
				known = false  # takes no value
			"--history":
				history = value.to_int()
			"--fresh":
				fresh_url = value
			"--dialog":
				dialog = value
			"--delay":
				delay = value.to_float()
			"--search":
				search = value
			"--bench-scroll":
				bench_scroll = value.to_int()
			_:
				known = false
		i += 2 if known else 1
