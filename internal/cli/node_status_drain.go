package cli

import (
	"fmt"
	"time"

	"github.com/wharf-project/wharf/internal/structs"
)

// drainRows are the node status lines about its drain: the deadline of a
// drain under way, and how the last one ended.
func drainRows(n *structs.Node, now time.Time) []kv {
	var rows []kv
	if d := n.DrainStrategy; d != nil {
		deadline := "none"
		switch {
		case d.Deadline < 0:
			deadline = "forced"
		case !d.ForceDeadline.IsZero():
			deadline = fmt.Sprintf("%s (in %s)", formatTime(d.ForceDeadline), d.ForceDeadline.Sub(now).Round(time.Second))
		}
		rows = append(rows, kv{"Drain Deadline", deadline})
	}
	if ld := n.LastDrain; ld != nil {
		rows = append(rows, kv{"Last Drain", fmt.Sprintf("%s %s", ld.Status, prettyAge(ld.UpdatedAt, now))})
	}
	return rows
}
