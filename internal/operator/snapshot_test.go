package operator

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// write makes a snapshot of n keys spread over three tables.
func write(t testing.TB, n int) ([]byte, Summary) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Index: 42, Time: time.Unix(1700000000, 0).UTC(), Prefix: "/wharf/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range n {
		keys = append(keys, fmt.Sprintf("%s/%06d", []string{"allocs", "jobs", "nodes"}[i%3], i))
	}
	sort.Strings(keys)
	for i, k := range keys {
		if err := w.Add(k, []byte(fmt.Sprintf(`{"ID":"%d"}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	sm, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), sm
}

// gz compresses s as one gzip stream.
func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	data, wrote := write(t, 300)
	var keys []string
	got, err := Read(bytes.NewReader(data), ReadOptions{}, func(r Record) error {
		keys = append(keys, r.Key)
		if !strings.Contains(string(r.Value), `"ID"`) {
			t.Fatalf("value %q", r.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Keys != 300 || len(keys) != 300 || got.Tables["jobs"] != 100 || got.Index != 42 || got.SHA256 != wrote.SHA256 ||
		got.Bytes != wrote.Bytes || !got.Time.Equal(wrote.Time) || got.Version != FormatVersion {
		t.Fatalf("read %+v, wrote %+v", got, wrote)
	}
}

func TestEmptySnapshot(t *testing.T) {
	data, _ := write(t, 0)
	sm, err := Read(bytes.NewReader(data), ReadOptions{}, func(Record) error { return nil })
	if err != nil || sm.Keys != 0 {
		t.Fatalf("%+v %v", sm, err)
	}
}

// TestHostileFiles: every damaged or foreign file is refused, with the
// error kind a person can act on, and fn never sees a record of a file
// that is refused for its format.
func TestHostileFiles(t *testing.T) {
	good, _ := write(t, 50)
	plain := func(b []byte) string {
		r, _ := gzip.NewReader(bytes.NewReader(b))
		var out bytes.Buffer
		_, _ = out.ReadFrom(r)
		return out.String()
	}(good)
	lines := strings.SplitAfter(plain, "\n")
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x40
	tamper := strings.Replace(plain, `"allocs/000003"`, `"allocs/000004"`, 1)
	tamperValue := strings.Replace(plain, lines[5], strings.Replace(lines[5], `"V":"`, `"V":"AA`, 1), 1)
	header := lines[0]
	cases := []struct {
		name string
		data []byte
		max  int64
		want error
	}{
		{"empty", nil, 0, ErrNotSnapshot},
		{"plain text", []byte("hello\n"), 0, ErrNotSnapshot},
		{"etcd database", append([]byte{0, 0, 0, 0, 0xed, 0xda, 0x0c, 0xed}, make([]byte, 4096)...), 0, ErrNotSnapshot},
		{"gzip of something else", gz("{\"Format\":\"other\"}\n"), 0, ErrNotSnapshot},
		{"gzip of garbage", gz("\x00\x01\x02"), 0, ErrNotSnapshot},
		{"newer format", gz(strings.Replace(header, `"Version":1`, `"Version":9`, 1)), 0, ErrVersion},
		{"truncated in the middle", good[:len(good)/2], 0, ErrCorrupt},
		{"truncated before the gzip trailer", good[:len(good)-4], 0, ErrCorrupt},
		{"last line missing", gz(strings.Join(lines[:len(lines)-2], "")), 0, ErrCorrupt},
		{"a flipped bit", flipped, 0, ErrCorrupt},
		{"a key altered", gz(tamper), 0, ErrCorrupt},
		{"a value altered", gz(tamperValue), 0, ErrCorrupt},
		{"a line dropped", gz(strings.Replace(plain, lines[7], "", 1)), 0, ErrCorrupt},
		{"a line repeated", gz(strings.Replace(plain, lines[7], lines[7]+lines[7], 1)), 0, ErrCorrupt},
		{"data after the end", gz(plain + lines[3]), 0, ErrCorrupt},
		{"a second gzip stream", append(append([]byte(nil), good...), good...), 0, ErrCorrupt},
		{"a line that is not JSON", gz(header + "{not json\n"), 0, ErrCorrupt},
		{"over the size bound", good, 1000, ErrTooLarge},
		{"a gzip bomb", gz(header + strings.Repeat(" ", 8<<20)), 1 << 20, ErrTooLarge},
		{"one endless line", gz(header + strings.Repeat("x", MaxLineBytes+10)), 0, ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.data), ReadOptions{MaxBytes: c.max}, func(Record) error { return nil })
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestWriterRefusesUnorderedKeys(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{}, Header{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("jobs/b", nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"jobs/a", "jobs/b", ""} {
		if err := w.Add(k, nil); err == nil {
			t.Errorf("key %q accepted after jobs/b", k)
		}
	}
}

func TestRecordErrorStopsTheRead(t *testing.T) {
	data, _ := write(t, 10)
	stop := errors.New("stop")
	n := 0
	_, err := Read(bytes.NewReader(data), ReadOptions{}, func(Record) error { n++; return stop })
	var le *ErrLine
	if !errors.Is(err, stop) || !errors.As(err, &le) || le.Line != 2 || n != 1 {
		t.Fatalf("err %v after %d records", err, n)
	}
}

func FuzzRead(f *testing.F) {
	good, _ := write(f, 5)
	f.Add(good)
	f.Add(gz("{\"Format\":\"wharf-snapshot\",\"Version\":1}\n{\"End\":true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Read(bytes.NewReader(data), ReadOptions{MaxBytes: 1 << 20}, func(Record) error { return nil })
	})
}
