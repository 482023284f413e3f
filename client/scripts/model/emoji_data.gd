## The emoji picker's data: common emoji with their names (for search by name) and the
## reader's most used ones (frequent first). The server checks every reaction against
## Unicode's full list; this is only what the picker offers.
extends RefCounted

## [emoji, name, more words to find it by]
const ALL := [
	["👍", "thumbs up", "yes like ok +1"],
	["👎", "thumbs down", "no dislike -1"],
	["❤️", "red heart", "love like"],
	["😂", "face with tears of joy", "laugh lol funny"],
	["🎉", "party popper", "tada celebrate congratulations"],
	["😮", "face with open mouth", "wow surprised"],
	["😢", "crying face", "sad tear"],
	["😡", "enraged face", "angry mad"],
	["🔥", "fire", "hot lit"],
	["✅", "check mark button", "done yes ok"],
	["❌", "cross mark", "no wrong"],
	["👀", "eyes", "look see watching"],
	["🙏", "folded hands", "please thanks pray"],
	["👏", "clapping hands", "applause bravo"],
	["💯", "hundred points", "100 perfect"],
	["🚀", "rocket", "launch ship fast"],
	["🤔", "thinking face", "hmm think"],
	["😀", "grinning face", "smile happy"],
	["😃", "grinning face with big eyes", "smile happy"],
	["😄", "grinning face with smiling eyes", "smile happy"],
	["😁", "beaming face with smiling eyes", "grin"],
	["😅", "grinning face with sweat", "phew"],
	["🤣", "rolling on the floor laughing", "rofl lol"],
	["😊", "smiling face with smiling eyes", "blush happy"],
	["😇", "smiling face with halo", "angel innocent"],
	["🙂", "slightly smiling face", "smile"],
	["🙃", "upside-down face", "silly"],
	["😉", "winking face", "wink"],
	["😍", "smiling face with heart-eyes", "love"],
	["😘", "face blowing a kiss", "kiss"],
	["😋", "face savoring food", "yum tasty"],
	["😜", "winking face with tongue", "silly joke"],
	["🤪", "zany face", "crazy"],
	["🤨", "face with raised eyebrow", "suspicious"],
	["😐", "neutral face", "meh"],
	["😑", "expressionless face", "blank"],
	["🙄", "face with rolling eyes", "eyeroll"],
	["😬", "grimacing face", "awkward"],
	["😴", "sleeping face", "tired zzz"],
	["😷", "face with medical mask", "sick"],
	["🤯", "exploding head", "mind blown"],
	["😎", "smiling face with sunglasses", "cool"],
	["🤓", "nerd face", "geek"],
	["😕", "confused face", "unsure"],
	["😟", "worried face", "concerned"],
	["😭", "loudly crying face", "sob sad"],
	["😱", "face screaming in fear", "scream scared"],
	["😤", "face with steam from nose", "triumph"],
	["💀", "skull", "dead lol"],
	["🤡", "clown face", "clown"],
	["👻", "ghost", "boo"],
	["🤖", "robot", "bot"],
	["💩", "pile of poo", "poop"],
	["👋", "waving hand", "hello hi bye wave"],
	["👌", "ok hand", "okay perfect"],
	["✌️", "victory hand", "peace"],
	["🤞", "crossed fingers", "luck hope"],
	["🤝", "handshake", "deal agree"],
	["💪", "flexed biceps", "strong muscle"],
	["🫡", "saluting face", "salute respect"],
	["🧠", "brain", "smart"],
	["💔", "broken heart", "sad"],
	["💙", "blue heart", "love"],
	["💚", "green heart", "love"],
	["💛", "yellow heart", "love"],
	["💜", "purple heart", "love"],
	["🖤", "black heart", "love"],
	["⭐", "star", "favourite"],
	["✨", "sparkles", "shiny new"],
	["⚡", "high voltage", "lightning fast"],
	["☀️", "sun", "sunny weather"],
	["🌈", "rainbow", "pride"],
	["☕", "hot beverage", "coffee tea"],
	["🍕", "pizza", "food"],
	["🍺", "beer mug", "drink cheers"],
	["🎂", "birthday cake", "cake birthday"],
	["🎁", "wrapped gift", "present"],
	["🏆", "trophy", "win prize"],
	["⚽", "soccer ball", "football"],
	["🎮", "video game", "game controller"],
	["🎵", "musical note", "music"],
	["📌", "pushpin", "pin"],
	["📎", "paperclip", "attach"],
	["💡", "light bulb", "idea"],
	["🐛", "bug", "insect error"],
	["🔧", "wrench", "fix tool"],
	["🛠️", "hammer and wrench", "tools build"],
	["📈", "chart increasing", "up growth"],
	["📉", "chart decreasing", "down"],
	["⏰", "alarm clock", "time"],
	["❓", "red question mark", "question"],
	["❗", "red exclamation mark", "important"],
	["⚠️", "warning", "caution"],
	["🚫", "prohibited", "no forbidden"],
	["🆗", "ok button", "ok"],
	["🐱", "cat face", "cat kitten"],
	["🐶", "dog face", "dog puppy"],
	["🦀", "crab", "rust"],
	["🐍", "snake", "python"],
	["🌍", "globe showing europe-africa", "world earth"],
	["🇺🇳", "flag: united nations", "flag"],
]

## Offered before anything has been used.
const DEFAULT_FREQUENT := ["👍", "❤️", "😂", "🎉", "😮", "😢", "🔥", "👀"]
const FREQUENT_SHOWN := 8

## emoji -> how many times the reader used it (this session).
var _uses := {}
var _order: Array[String] = []


## Counts one use of `emoji` (a reaction added).
func use(emoji: String) -> void:
	if not _uses.has(emoji):
		_order.append(emoji)
	_uses[emoji] = int(_uses.get(emoji, 0)) + 1


## The most used first (ties: the first used first), filled up with the defaults.
func frequent() -> Array[String]:
	var used: Array[String] = _order.duplicate()
	var rank := {}
	for i in used.size():
		rank[used[i]] = i
	used.sort_custom(
		func(a: String, b: String) -> bool:
			if int(_uses[a]) != int(_uses[b]):
				return int(_uses[a]) > int(_uses[b])
			return int(rank[a]) < int(rank[b])
	)
	for emoji: Variant in DEFAULT_FREQUENT:
		used.append(str(emoji))
	var out: Array[String] = []
	for emoji in used:
		if out.size() >= FREQUENT_SHOWN:
			break
		if not emoji in out:
			out.append(emoji)
	return out


## Emoji whose name or words contain every word of `query` (case-insensitive), in list order.
static func search(query: String) -> Array[String]:
	var words := query.to_lower().split(" ", false)
	var out: Array[String] = []
	for entry: Array in ALL:
		var haystack := (str(entry[1]) + " " + str(entry[2])).to_lower()
		var all_found := true
		for word in words:
			if not haystack.contains(word):
				all_found = false
				break
		if all_found:
			out.append(str(entry[0]))
	return out


static func name_of(emoji: String) -> String:
	for entry: Array in ALL:
		if entry[0] == emoji:
			return str(entry[1])
	return ""
