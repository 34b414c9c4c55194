package tmpl

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Spec is one template to render: its source file, the file it renders
// to, and an optional shell command run when that file's content changes.
type Spec struct {
	Source  string
	Dest    string
	Command string
}

// ParseSpec reads a -template value, "source:dest[:command]"; the command
// is everything after the second colon, so it may itself hold colons.
func ParseSpec(s string) (Spec, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return Spec{}, fmt.Errorf("template %q: want source:dest[:command]", s)
	}
	sp := Spec{Source: strings.TrimSpace(parts[0]), Dest: strings.TrimSpace(parts[1])}
	if len(parts) == 3 {
		sp.Command = strings.TrimSpace(parts[2])
	}
	if sp.Source == "" || sp.Dest == "" {
		return Spec{}, fmt.Errorf("template %q: source and destination must not be empty", s)
	}
	return sp, nil
}

// Wait is how renders are debounced after a change: a render waits until
// the catalog has been quiet for Min, but never longer than Max after the
// first change it holds back. The zero Wait renders at once.
type Wait struct {
	Min time.Duration
	Max time.Duration
}

// ParseWait reads a -wait value, "min:max" or "min" (max is then four
// times min, as consul-template's); "" is the zero Wait.
func ParseWait(s string) (Wait, error) {
	if s == "" {
		return Wait{}, nil
	}
	minS, maxS, hasMax := strings.Cut(s, ":")
	var w Wait
	var err error
	if w.Min, err = time.ParseDuration(minS); err != nil {
		return Wait{}, fmt.Errorf("wait %q: min: %w", s, err)
	}
	w.Max = 4 * w.Min
	if hasMax {
		if w.Max, err = time.ParseDuration(maxS); err != nil {
			return Wait{}, fmt.Errorf("wait %q: max: %w", s, err)
		}
	}
	if w.Min < 0 || w.Max < w.Min {
		return Wait{}, fmt.Errorf("wait %q: %w", s, errBadWait)
	}
	return w, nil
}

var errBadWait = errors.New("want 0 <= min <= max")

// deadline is when a render held back by w fires: Min after the last
// change, but no later than Max after the first.
func (w Wait) deadline(first, last time.Time) time.Time {
	d := last.Add(w.Min)
	if limit := first.Add(w.Max); d.After(limit) {
		return limit
	}
	return d
}
