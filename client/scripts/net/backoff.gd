## Exponential backoff with jitter for reconnects: 1 s, 2 s, 4 s ... capped at 30 s, each
## delay drawn uniformly from [50 %, 100 %] of the step so clients do not reconnect in lockstep.
extends RefCounted

const BASE_MS := 1000
const CAP_MS := 30000


## The delay before reconnect attempt number `attempt` (0 for the first retry).
static func delay_ms(attempt: int, rng: RandomNumberGenerator) -> int:
	var step := BASE_MS
	for _i in range(mini(attempt, 16)):
		step = mini(step * 2, CAP_MS)
	return int(step * rng.randf_range(0.5, 1.0))
