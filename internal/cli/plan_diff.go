package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// diffMarker is the marker printed before a line of a diff: + added,
// - deleted, +/- edited, nothing when unchanged.
func diffMarker(diffType string) string {
	switch diffType {
	case structs.DiffTypeAdded:
		return "+"
	case structs.DiffTypeDeleted:
		return "-"
	case structs.DiffTypeEdited:
		return "+/-"
	}
	return ""
}

// diffWriter renders a job diff. Each line is the indentation of its
// depth, the marker right-aligned in a column as wide as the widest marker
// of the diff, and the text.
type diffWriter struct {
	b       strings.Builder
	verbose bool
	width   int
}

func (w *diffWriter) line(depth int, diffType, text string) {
	w.b.WriteString(strings.Repeat("  ", depth))
	if w.width > 0 {
		fmt.Fprintf(&w.b, "%*s ", w.width, diffMarker(diffType))
	}
	w.b.WriteString(text)
	w.b.WriteString("\n")
}

// closeObject ends an object block under the start of its name.
func (w *diffWriter) closeObject(depth int) {
	pad := 0
	if w.width > 0 {
		pad = w.width + 1
	}
	fmt.Fprintf(&w.b, "%s%s}\n", strings.Repeat("  ", depth), strings.Repeat(" ", pad))
}

// markerWidth is the width of the widest marker anywhere in d.
func markerWidth(d *structs.JobDiff) int {
	width := 0
	see := func(t string) { width = max(width, len(diffMarker(t))) }
	var objects func([]*structs.FieldDiff, []*structs.ObjectDiff)
	objects = func(fs []*structs.FieldDiff, os []*structs.ObjectDiff) {
		for _, f := range fs {
			see(f.Type)
		}
		for _, o := range os {
			see(o.Type)
			objects(o.Fields, o.Objects)
		}
	}
	see(d.Type)
	objects(d.Fields, d.Objects)
	for _, tg := range d.TaskGroups {
		see(tg.Type)
		objects(tg.Fields, tg.Objects)
		for _, t := range tg.Tasks {
			see(t.Type)
			objects(t.Fields, t.Objects)
		}
	}
	return width
}

// formatJobDiff renders a job diff. Unchanged fields and objects are left
// out unless verbose; groups and tasks are always listed.
func formatJobDiff(d *structs.JobDiff, verbose bool) string {
	w := &diffWriter{verbose: verbose, width: markerWidth(d)}
	w.line(0, d.Type, fmt.Sprintf("Job: %q", d.ID))
	if d.Type == structs.DiffTypeEdited || verbose {
		w.fieldsAndObjects(0, d.Fields, d.Objects)
	}
	for _, tg := range d.TaskGroups {
		w.group(tg)
	}
	return w.b.String()
}

func (w *diffWriter) group(tg *structs.TaskGroupDiff) {
	w.line(0, tg.Type, fmt.Sprintf("Task Group: %q%s", tg.Name, formatUpdates(tg.Updates)))
	w.fieldsAndObjects(1, tg.Fields, tg.Objects)
	for _, t := range tg.Tasks {
		text := fmt.Sprintf("Task: %q", t.Name)
		if len(t.Annotations) > 0 {
			text += " (" + strings.Join(t.Annotations, ", ") + ")"
		}
		w.line(1, t.Type, text)
		w.fieldsAndObjects(2, t.Fields, t.Objects)
	}
}

// formatUpdates prints a group's planned changes, " (1 create, 1 ignore)".
func formatUpdates(updates map[string]uint64) string {
	if len(updates) == 0 {
		return ""
	}
	parts := make([]string, 0, len(updates))
	for _, kind := range slices.Sorted(maps.Keys(updates)) {
		parts = append(parts, fmt.Sprintf("%d %s", updates[kind], kind))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func (w *diffWriter) shown(diffType string) bool {
	return w.verbose || (diffType != structs.DiffTypeNone && diffType != "")
}

func (w *diffWriter) fieldsAndObjects(depth int, fields []*structs.FieldDiff, objects []*structs.ObjectDiff) {
	width := 0
	for _, f := range fields {
		if w.shown(f.Type) {
			width = max(width, len(f.Name))
		}
	}
	for _, f := range fields {
		if w.shown(f.Type) {
			w.line(depth, f.Type, fmt.Sprintf("%-*s %s", width+1, f.Name+":", fieldValue(f)))
		}
	}
	for _, o := range objects {
		if !w.shown(o.Type) {
			continue
		}
		w.line(depth, o.Type, o.Name+" {")
		w.fieldsAndObjects(depth+1, o.Fields, o.Objects)
		w.closeObject(depth)
	}
}

// fieldValue prints a field's change: "new", "old", or "old" => "new",
// with its annotations.
func fieldValue(f *structs.FieldDiff) string {
	var v string
	switch f.Type {
	case structs.DiffTypeDeleted:
		v = fmt.Sprintf("%q", f.Old)
	case structs.DiffTypeEdited:
		v = fmt.Sprintf("%q => %q", f.Old, f.New)
	default:
		v = fmt.Sprintf("%q", f.New)
	}
	if len(f.Annotations) > 0 {
		v += " (" + strings.Join(f.Annotations, ", ") + ")"
	}
	return v
}
