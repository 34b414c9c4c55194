package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// none is what an empty value prints as, as in Nomad's output.
const none = "<none>"

// timeLayout is how absolute times print.
const timeLayout = time.RFC3339

// kv is one "Key = value" line.
type kv struct{ key, value string }

// formatKV aligns key/value pairs on " = ".
func formatKV(pairs []kv) string {
	width := 0
	for _, p := range pairs {
		width = max(width, len(p.key))
	}
	var b strings.Builder
	for _, p := range pairs {
		v := p.value
		if v == "" {
			v = none
		}
		fmt.Fprintf(&b, "%-*s = %s\n", width, p.key, v)
	}
	return b.String()
}

// formatList aligns rows (the first is the header) in columns two spaces
// apart; empty cells print as <none> and the last column is not padded.
func formatList(rows [][]string) string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(cell(c)))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(cell(c))
				break
			}
			fmt.Fprintf(&b, "%-*s  ", widths[i], cell(c))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cell(s string) string {
	if s == "" {
		return none
	}
	return s
}

// shortID shortens a UUID to 8 characters unless verbose.
func shortID(id string, verbose bool) string {
	if verbose || len(id) <= 8 {
		return id
	}
	return id[:8]
}

// formatUnixNano prints a Unix time in nanoseconds; zero prints empty.
func formatUnixNano(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).Format(timeLayout)
}

// formatTime prints a time; the zero time prints empty.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(timeLayout)
}

// prettyAge prints how long before now t was, in at most two units
// ("42s ago", "5m3s ago", "2h10m ago", "3d4h ago").
func prettyAge(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins, d := d/time.Minute, d%time.Minute
	secs := d / time.Second
	units := []struct {
		n    time.Duration
		unit string
	}{{days, "d"}, {hours, "h"}, {mins, "m"}, {secs, "s"}}
	i := 0
	for i < len(units)-1 && units[i].n == 0 {
		i++
	}
	out := fmt.Sprintf("%d%s", units[i].n, units[i].unit)
	if i+1 < len(units) && units[i+1].n > 0 {
		out += fmt.Sprintf("%d%s", units[i+1].n, units[i+1].unit)
	}
	return out + " ago"
}

// formatAge prints a Unix-nanosecond time as an age, or absolute when verbose.
func formatAge(ns int64, now time.Time, verbose bool) string {
	if ns == 0 {
		return ""
	}
	if verbose {
		return formatUnixNano(ns)
	}
	return prettyAge(time.Unix(0, ns), now)
}

// formatMB prints megabytes as MiB, or GiB with one decimal from 1 GiB on.
func formatMB(mb int64) string {
	if mb < 1024 {
		return fmt.Sprintf("%d MiB", mb)
	}
	return fmt.Sprintf("%.1f GiB", float64(mb)/1024)
}

// plural returns word with an "s" unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
