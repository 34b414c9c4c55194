package server

import (
	"encoding/json"
	"reflect"
)

// equalJSON compares two values by their JSON encodings, so an int and an
// int64 (or a map from different decoders) compare equal.
func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}
