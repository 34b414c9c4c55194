package structs

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DiffJobs returns the difference from old to new in the shape of Nomad's
// plan diff: a nil old makes everything Added, a nil new everything
// Deleted. Server-set fields (version, status, indexes, submit time) are
// ignored, and so are the job-level update and reschedule blocks, whose
// effect shows in each group's. Every task group appears, with type None
// when unchanged; tasks appear only when changed. Fields and objects are
// sorted by name, so the result is deterministic.
func DiffJobs(old, new *Job) *JobDiff {
	d := &JobDiff{Type: DiffTypeNone}
	if old == nil && new == nil {
		return d
	}
	ov, nv := structValue(old), structValue(new)
	switch {
	case old == nil:
		d.Type, d.ID = DiffTypeAdded, new.ID
	case new == nil:
		d.Type, d.ID = DiffTypeDeleted, old.ID
	default:
		d.ID = new.ID
	}
	d.Fields, d.Objects = structDiff(ov, nv, jobDiffSkip)
	d.TaskGroups = groupDiffs(old, new)
	if d.Type == DiffTypeNone && (len(d.Fields) > 0 || len(d.Objects) > 0 || anyGroupChanged(d.TaskGroups)) {
		d.Type = DiffTypeEdited
	}
	return d
}

// Fields that diffs never show, per type.
var (
	jobDiffSkip   = skipSet(serverSetJobFields, "ID", "TaskGroups", "Update", "Reschedule")
	groupDiffSkip = skipSet(nil, "Name", "Tasks")
	taskDiffSkip  = skipSet(nil, "Name")
)

func skipSet(base map[string]bool, names ...string) map[string]bool {
	out := map[string]bool{}
	for k := range base {
		out[k] = true
	}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func anyGroupChanged(gs []*TaskGroupDiff) bool {
	return slices.ContainsFunc(gs, func(g *TaskGroupDiff) bool { return g.Type != DiffTypeNone })
}

// structValue returns the struct a pointer points to, or an invalid value
// for nil.
func structValue[T any](p *T) reflect.Value {
	if p == nil {
		return reflect.Value{}
	}
	return reflect.ValueOf(p).Elem()
}

// groupDiffs diffs the task groups of two jobs by name.
func groupDiffs(old, new *Job) []*TaskGroupDiff {
	olds, news := map[string]*TaskGroup{}, map[string]*TaskGroup{}
	if old != nil {
		olds = indexByName(old.TaskGroups, func(g *TaskGroup) string { return g.Name })
	}
	if new != nil {
		news = indexByName(new.TaskGroups, func(g *TaskGroup) string { return g.Name })
	}
	var out []*TaskGroupDiff
	for _, name := range unionKeys(olds, news) {
		og, ng := olds[name], news[name]
		d := &TaskGroupDiff{Type: presenceType(og != nil, ng != nil), Name: name}
		d.Fields, d.Objects = structDiff(structValue(og), structValue(ng), groupDiffSkip)
		d.Tasks = taskDiffs(og, ng)
		if d.Type == DiffTypeNone && (len(d.Fields) > 0 || len(d.Objects) > 0 || len(d.Tasks) > 0) {
			d.Type = DiffTypeEdited
		}
		out = append(out, d)
	}
	return out
}

// taskDiffs diffs the tasks of two groups by name, keeping changed ones.
func taskDiffs(og, ng *TaskGroup) []*TaskDiff {
	olds, news := map[string]*Task{}, map[string]*Task{}
	if og != nil {
		olds = indexByName(og.Tasks, func(t *Task) string { return t.Name })
	}
	if ng != nil {
		news = indexByName(ng.Tasks, func(t *Task) string { return t.Name })
	}
	var out []*TaskDiff
	for _, name := range unionKeys(olds, news) {
		ot, nt := olds[name], news[name]
		d := &TaskDiff{Type: presenceType(ot != nil, nt != nil), Name: name}
		d.Fields, d.Objects = structDiff(structValue(ot), structValue(nt), taskDiffSkip)
		if d.Type == DiffTypeNone && (len(d.Fields) > 0 || len(d.Objects) > 0) {
			d.Type = DiffTypeEdited
		}
		if d.Type != DiffTypeNone {
			out = append(out, d)
		}
	}
	return out
}

// presenceType is Added, Deleted or None (to be refined to Edited).
func presenceType(inOld, inNew bool) string {
	switch {
	case !inOld && inNew:
		return DiffTypeAdded
	case inOld && !inNew:
		return DiffTypeDeleted
	}
	return DiffTypeNone
}

func indexByName[T any](items []*T, name func(*T) string) map[string]*T {
	out := make(map[string]*T, len(items))
	for _, it := range items {
		if it != nil {
			out[name(it)] = it
		}
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// structDiff diffs two values of one struct type, either of which may be
// invalid (absent): primitive fields become FieldDiffs, nested blocks
// ObjectDiffs.
func structDiff(old, new reflect.Value, skip map[string]bool) ([]*FieldDiff, []*ObjectDiff) {
	t := old
	if !t.IsValid() {
		t = new
	}
	if !t.IsValid() {
		return nil, nil
	}
	fields := fieldDiffs(flatFields(old, skip), flatFields(new, skip))
	var objects []*ObjectDiff
	st := t.Type()
	for i := range st.NumField() {
		f := st.Field(i)
		if skip[f.Name] {
			continue
		}
		objects = append(objects, nestedDiffs(f, field(old, i), field(new, i))...)
	}
	slices.SortStableFunc(objects, func(a, b *ObjectDiff) int { return cmp.Compare(a.Name, b.Name) })
	return fields, objects
}

func field(v reflect.Value, i int) reflect.Value {
	if !v.IsValid() {
		return v
	}
	return v.Field(i)
}

var durationType = reflect.TypeFor[time.Duration]()

// nestedDiffs diffs one non-primitive field.
func nestedDiffs(f reflect.StructField, old, new reflect.Value) []*ObjectDiff {
	ft := f.Type
	switch {
	case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
		return nonNil(objectDiff(objectName(f.Name), deref(old), deref(new)))
	case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
		return nonNil(stringSetDiff(f.Name, old, new))
	case ft.Kind() == reflect.Slice && elemStruct(ft) != nil:
		return listDiff(f.Name, old, new)
	case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Interface:
		return nonNil(configDiff(f.Name, old, new))
	}
	return nil
}

func nonNil(d *ObjectDiff) []*ObjectDiff {
	if d == nil {
		return nil
	}
	return []*ObjectDiff{d}
}

// deref follows a pointer; nil and invalid give an invalid value.
func deref(v reflect.Value) reflect.Value {
	if !v.IsValid() || v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

func elemStruct(t reflect.Type) reflect.Type {
	e := t.Elem()
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	if e.Kind() != reflect.Struct {
		return nil
	}
	return e
}

// objectDiff diffs one nested block, or returns nil when it is unchanged.
func objectDiff(name string, old, new reflect.Value) *ObjectDiff {
	if !old.IsValid() && !new.IsValid() {
		return nil
	}
	d := &ObjectDiff{Type: presenceType(old.IsValid(), new.IsValid()), Name: name}
	d.Fields, d.Objects = structDiff(old, new, nil)
	if d.Type == DiffTypeNone {
		if len(d.Fields) == 0 && len(d.Objects) == 0 {
			return nil
		}
		d.Type = DiffTypeEdited
	}
	return d
}

// objectNames are the names Nomad gives nested blocks in diffs.
var objectNames = map[string]string{
	"Constraints": "Constraint", "Affinities": "Affinity", "Spreads": "Spread",
	"Networks": "Network", "ReservedPorts": "Static Port", "DynamicPorts": "Dynamic Port",
	"Services": "Service", "Checks": "Check",
}

func objectName(field string) string {
	if n, ok := objectNames[field]; ok {
		return n
	}
	return field
}

// listDiff diffs a list of blocks, matching elements by key: networks by
// position, ports by label, services and checks by name, spreads by
// attribute, targets by value, and constraints by their whole value.
func listDiff(fieldName string, old, new reflect.Value) []*ObjectDiff {
	olds, news := keyed(fieldName, old), keyed(fieldName, new)
	var out []*ObjectDiff
	for _, k := range unionKeys(olds, news) {
		if d := objectDiff(objectName(fieldName), olds[k], news[k]); d != nil {
			out = append(out, d)
		}
	}
	return out
}

// keyed indexes a list's elements by their diff key; repeated keys get an
// occurrence suffix.
func keyed(fieldName string, list reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	if !list.IsValid() {
		return out
	}
	for i := range list.Len() {
		e := list.Index(i)
		if e.Kind() == reflect.Pointer {
			if e.IsNil() {
				continue
			}
			e = e.Elem()
		}
		k := elementKey(fieldName, i, e)
		for n := 1; ; n++ {
			if _, dup := out[k]; !dup {
				break
			}
			k = fmt.Sprintf("%s#%d", elementKey(fieldName, i, e), n)
		}
		out[k] = e
	}
	return out
}

func elementKey(fieldName string, i int, e reflect.Value) string {
	switch fieldName {
	case "Networks":
		return fmt.Sprintf("%08d", i)
	case "ReservedPorts", "DynamicPorts":
		return e.FieldByName("Label").String()
	case "Services", "Checks":
		return e.FieldByName("Name").String()
	case "Spreads":
		return e.FieldByName("Attribute").String()
	case "SpreadTarget":
		return e.FieldByName("Value").String()
	}
	return fmt.Sprintf("%+v", e.Interface())
}

// stringSetDiff diffs a list of strings as a set, as Nomad does for
// datacenters and tags: one Added or Deleted field per element.
func stringSetDiff(name string, old, new reflect.Value) *ObjectDiff {
	olds, news := stringSet(old), stringSet(new)
	var fields []*FieldDiff
	for _, s := range unionKeys(olds, news) {
		switch {
		case !olds[s]:
			fields = append(fields, &FieldDiff{Type: DiffTypeAdded, Name: name, New: s})
		case !news[s]:
			fields = append(fields, &FieldDiff{Type: DiffTypeDeleted, Name: name, Old: s})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	t := DiffTypeEdited
	if len(olds) == 0 {
		t = DiffTypeAdded
	} else if len(news) == 0 {
		t = DiffTypeDeleted
	}
	return &ObjectDiff{Type: t, Name: name, Fields: fields}
}

func stringSet(v reflect.Value) map[string]bool {
	out := map[string]bool{}
	if v.IsValid() {
		for i := range v.Len() {
			out[v.Index(i).String()] = true
		}
	}
	return out
}

// configDiff diffs a driver config, flattened to keys like args[0] and
// port_map[http].
func configDiff(name string, old, new reflect.Value) *ObjectDiff {
	of, nf := map[string]string{}, map[string]string{}
	if old.IsValid() && !old.IsNil() {
		flattenConfig("", old.Interface(), of)
	}
	if new.IsValid() && !new.IsNil() {
		flattenConfig("", new.Interface(), nf)
	}
	fields := fieldDiffs(of, nf)
	if len(fields) == 0 {
		return nil
	}
	t := DiffTypeEdited
	if len(of) == 0 {
		t = DiffTypeAdded
	} else if len(nf) == 0 {
		t = DiffTypeDeleted
	}
	return &ObjectDiff{Type: t, Name: name, Fields: fields}
}

func flattenConfig(prefix string, v any, out map[string]string) {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "[" + k + "]"
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flattenConfig(key(k), e, out)
		}
	case []any:
		for i, e := range x {
			flattenConfig(key(strconv.Itoa(i)), e, out)
		}
	case []map[string]any:
		for i, e := range x {
			flattenConfig(key(strconv.Itoa(i)), e, out)
		}
	case []string:
		for i, e := range x {
			out[key(strconv.Itoa(i))] = e
		}
	default:
		out[prefix] = scalarString(reflect.ValueOf(v))
	}
}

// flatFields returns the primitive fields of a struct as strings (maps of
// strings as Name[key]); durations print as nanoseconds, as in Nomad.
func flatFields(v reflect.Value, skip map[string]bool) map[string]string {
	out := map[string]string{}
	if !v.IsValid() {
		return out
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if skip[f.Name] {
			continue
		}
		flatField(f.Name, v.Field(i), out)
	}
	return out
}

func flatField(name string, fv reflect.Value, out map[string]string) {
	switch fv.Kind() {
	case reflect.Pointer:
		if !fv.IsNil() && fv.Elem().Kind() != reflect.Struct {
			flatField(name, fv.Elem(), out)
		}
	case reflect.Map:
		if fv.Type().Key().Kind() != reflect.String {
			return
		}
		for it := fv.MapRange(); it.Next(); {
			k := name + "[" + it.Key().String() + "]"
			switch e := it.Value(); e.Kind() {
			case reflect.String:
				out[k] = e.String()
			case reflect.Slice:
				if e.Type().Elem().Kind() == reflect.String {
					out[k] = strings.Join(e.Interface().([]string), ",")
				}
			}
		}
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		out[name] = scalarString(fv)
	}
}

// scalarString formats a scalar; integral floats print as integers so that
// a config value read back from JSON equals the one parsed.
func scalarString(v reflect.Value) string {
	if !v.IsValid() {
		return ""
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case reflect.Int64:
		if v.Type() == durationType {
			return strconv.FormatInt(v.Int(), 10)
		}
	}
	return fmt.Sprint(v.Interface())
}

// fieldDiffs compares two flattened field sets, sorted by name.
func fieldDiffs(old, new map[string]string) []*FieldDiff {
	var out []*FieldDiff
	for _, k := range unionKeys(old, new) {
		o, inOld := old[k]
		n, inNew := new[k]
		switch {
		case !inOld:
			out = append(out, &FieldDiff{Type: DiffTypeAdded, Name: k, New: n})
		case !inNew:
			out = append(out, &FieldDiff{Type: DiffTypeDeleted, Name: k, Old: o})
		case o != n:
			out = append(out, &FieldDiff{Type: DiffTypeEdited, Name: k, Old: o, New: n})
		}
	}
	return out
}
