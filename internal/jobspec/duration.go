package jobspec

import (
	"fmt"
	"strings"
	"time"
)

// durationHint tells how durations are written.
const durationHint = `write a number and a unit, such as "500ms", "5s", "1m30s" or "2h"`

// parseDuration reads a Go duration string ("5s", "1h30m"). Errors quote
// the value and say which part is wrong.
func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty duration")
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	return d, nil
}
