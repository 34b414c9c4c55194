package jsonlimit

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckDepth(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name  string
		doc   string
		limit int
		want  bool // want a *DepthError
	}{
		{"flat object", `{"a":1}`, 1, false},
		{"at limit", deep(5), 5, false},
		{"over limit", deep(6), 5, true},
		{"objects count", `{"a":{"b":{"c":{}}}}`, 3, true},
		{"brackets in strings ignored", `{"a":"[[[[[[{{{{{{"}`, 2, false},
		{"escaped quote keeps string open", `{"a":"\"[[[[[[[["}`, 2, false},
		{"escaped backslash closes string", `{"a":"\\", "b":[[[[]]]]}`, 3, true},
		{"siblings do not add up", `[[],[],[],[],[]]`, 2, false},
		{"default limit", deep(DefaultMaxDepth + 1), 0, true},
		{"hundred thousand deep", deep(100_000), 0, true},
		{"unbalanced garbage is left to the decoder", `]]]]]][[`, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDepth([]byte(tt.doc), tt.limit)
			var de *DepthError
			if got := errors.As(err, &de); got != tt.want {
				t.Fatalf("CheckDepth = %v, want depth error %v", err, tt.want)
			}
			if tt.want && !strings.Contains(err.Error(), "limit of") {
				t.Errorf("error %q does not name the limit", err)
			}
		})
	}
}

func TestUnmarshal(t *testing.T) {
	var v map[string]any
	if err := Unmarshal([]byte(`{"a":[1,2]}`), &v, 3); err != nil || len(v) != 1 {
		t.Fatalf("Unmarshal = %v, %v", v, err)
	}
	if err := Unmarshal([]byte(`{"a":[[[1]]]}`), &v, 3); err == nil {
		t.Fatal("Unmarshal accepted a document over the limit")
	}
}

func FuzzCheckDepth(f *testing.F) {
	for _, s := range []string{`{}`, `[[["a"]]]`, `{"a":"\"]"}`, `"\\"`} {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, data []byte, limit int) {
		limit = limit%200 + 1
		if limit <= 0 {
			limit += 200
		}
		err := CheckDepth(data, limit)
		var de *DepthError
		if err != nil && (!errors.As(err, &de) || de.Offset >= len(data) || data[de.Offset] != '[' && data[de.Offset] != '{') {
			t.Fatalf("CheckDepth = %v on %q", err, data)
		}
	})
}
