package operator

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// A snapshot file is a gzip stream of JSON lines:
//
//	{"Format":"wharf-snapshot","Version":1,"Index":…,"Time":…,"Prefix":…}
//	{"K":"jobs/default/web","V":"<base64 value>"}      one line per key,
//	…                                                  in key order
//	{"End":true,"Keys":N,"Tables":{"jobs":…},"SHA256":"<hex>"}
//
// K is the key below the store's prefix. SHA256 covers every byte of the
// uncompressed stream before the last line, so a truncated, altered or
// foreign file is refused before anything is restored.

// Format is the value of the header's Format field.
const Format = "wharf-snapshot"

// FormatVersion is the version this package writes and the newest it
// reads.
const FormatVersion = 1

// Default bounds of a snapshot a server reads.
const (
	// DefaultMaxBytes bounds the uncompressed size of a snapshot: twice
	// etcd's default 2 GiB quota would not fit a cluster anyway.
	DefaultMaxBytes = 4 << 30
	// MaxLineBytes bounds one line: a value of etcd's largest request
	// (16 MiB) in base64 and its key.
	MaxLineBytes = 24 << 20
)

// Errors a reader returns, wrapped with the details.
var (
	// ErrNotSnapshot: the file is not a wharf snapshot at all (not gzip,
	// or another format).
	ErrNotSnapshot = errors.New("not a wharf snapshot")
	// ErrCorrupt: the file is a wharf snapshot that was truncated or
	// altered.
	ErrCorrupt = errors.New("snapshot is corrupt")
	// ErrTooLarge: the file is over the reader's bound.
	ErrTooLarge = errors.New("snapshot is too large")
	// ErrVersion: the file was written by a newer wharf.
	ErrVersion = errors.New("snapshot format version not supported")
	// ErrInvalid: the file is whole but holds a key or value the store
	// cannot load.
	ErrInvalid = errors.New("snapshot holds what the store cannot load")
	// ErrNoQuorum: etcd did not answer in time, most likely for want of
	// a quorum.
	ErrNoQuorum = errors.New("etcd did not answer in time (no quorum?)")
	// ErrRestoreRunning: another restore holds the cluster's restore lock.
	ErrRestoreRunning = errors.New("another restore is running")
)

// IsBadSnapshot reports whether err says the file itself is at fault
// (as opposed to the store it was restored into).
func IsBadSnapshot(err error) bool {
	for _, e := range []error{ErrNotSnapshot, ErrCorrupt, ErrTooLarge, ErrVersion, ErrInvalid} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	// Snapshot describes the file restored.
	Snapshot Summary
	// Deleted is the number of keys removed because the snapshot did not
	// hold them; Index the store index once the restore was applied.
	Deleted int
	Index   uint64
}

// Header is the first line of a snapshot.
type Header struct {
	Format  string
	Version int
	// Index is the store index (etcd revision) the keys were read at.
	Index uint64
	// Time is when the snapshot was taken.
	Time time.Time
	// Prefix is the key prefix the keys were read under.
	Prefix string
}

// Record is one key (below the prefix) and its value.
type Record struct {
	Key   string
	Value []byte
}

// Summary describes a whole snapshot.
type Summary struct {
	Header
	// Keys is the number of keys; Tables counts them by their first path
	// segment (jobs, allocs, nodes…).
	Keys   int
	Tables map[string]int
	// Bytes is the uncompressed size; SHA256 the checksum in the file.
	Bytes  int64
	SHA256 string
}

// line is any line of the file after the header.
type line struct {
	K      string         `json:",omitempty"`
	V      []byte         `json:",omitempty"`
	End    bool           `json:",omitempty"`
	Keys   int            `json:",omitempty"`
	Tables map[string]int `json:",omitempty"`
	SHA256 string         `json:",omitempty"`
}

// Table is the table a key below the prefix belongs to: its first path
// segment.
func Table(key string) string {
	t, _, _ := strings.Cut(key, "/")
	return t
}

// Writer writes a snapshot.
type Writer struct {
	gz      *gzip.Writer
	sum     hash.Hash
	out     io.Writer // gz and sum
	n       int64
	sm      Summary
	lastKey string
}

// NewWriter starts a snapshot on w with h (Format and Version are set).
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	h.Format, h.Version = Format, FormatVersion
	gz := gzip.NewWriter(w)
	sum := sha256.New()
	sw := &Writer{gz: gz, sum: sum, out: io.MultiWriter(gz, sum), sm: Summary{Header: h, Tables: map[string]int{}}}
	return sw, sw.writeLine(h)
}

func (w *Writer) writeLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("snapshot: encode: %w", err)
	}
	n, err := w.out.Write(append(b, '\n'))
	w.n += int64(n)
	if err != nil {
		return fmt.Errorf("snapshot: write: %w", err)
	}
	return nil
}

// Add writes one key; keys must come in increasing order.
func (w *Writer) Add(key string, value []byte) error {
	if err := checkKey(key, w.lastKey, w.sm.Keys > 0); err != nil {
		return err
	}
	w.lastKey = key
	w.sm.Keys++
	w.sm.Tables[Table(key)]++
	return w.writeLine(line{K: key, V: value})
}

// Close writes the last line and ends the gzip stream (not the
// underlying writer) and returns the summary.
func (w *Writer) Close() (Summary, error) {
	w.sm.Bytes = w.n
	w.sm.SHA256 = hex.EncodeToString(w.sum.Sum(nil))
	end := line{End: true, Keys: w.sm.Keys, Tables: w.sm.Tables, SHA256: w.sm.SHA256}
	b, err := json.Marshal(end)
	if err != nil {
		return Summary{}, fmt.Errorf("snapshot: encode: %w", err)
	}
	if _, err := w.gz.Write(append(b, '\n')); err != nil {
		return Summary{}, fmt.Errorf("snapshot: write: %w", err)
	}
	if err := w.gz.Close(); err != nil {
		return Summary{}, fmt.Errorf("snapshot: write: %w", err)
	}
	return w.sm, nil
}

// checkKey refuses empty, non-UTF-8 and out-of-order keys.
func checkKey(key, last string, haveLast bool) error {
	switch {
	case key == "" || !utf8.ValidString(key):
		return fmt.Errorf("%w: key %q is empty or not UTF-8", ErrCorrupt, key)
	case haveLast && key <= last:
		return fmt.Errorf("%w: key %q does not come after %q", ErrCorrupt, key, last)
	}
	return nil
}

// ReadOptions bound what Read accepts.
type ReadOptions struct {
	// MaxBytes bounds the uncompressed size (DefaultMaxBytes when 0).
	MaxBytes int64
}

// Read reads a whole snapshot from r, calling fn with each record in
// order, and checks the checksum and counts at the end. fn sees records
// before the checksum is known: act on them only once Read returned nil.
// fn's error stops the read and is returned.
func Read(r io.Reader, opt ReadOptions, fn func(Record) error) (Summary, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return Summary{}, fmt.Errorf("%w: the file is not gzip compressed", ErrNotSnapshot)
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return Summary{}, fmt.Errorf("%w: %v", ErrNotSnapshot, err)
	}
	gz.Multistream(false)
	rd := &reader{lim: &limited{r: gz, left: opt.MaxBytes}, sum: sha256.New()}
	rd.sc = bufio.NewScanner(rd.lim)
	rd.sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	sm, err := rd.read(fn)
	if err != nil {
		return Summary{}, err
	}
	// The gzip trailer (CRC and size) was checked at the stream's end;
	// nothing may follow it.
	if _, err := br.ReadByte(); err != io.EOF {
		return Summary{}, fmt.Errorf("%w: data after the end of the compressed stream", ErrCorrupt)
	}
	return sm, nil
}

// reader is one Read in progress.
type reader struct {
	lim *limited
	sc  *bufio.Scanner
	sum hash.Hash
	n   int64
}

// next returns the next line, or an error naming why there is none.
func (rd *reader) next() ([]byte, error) {
	if rd.sc.Scan() {
		if rd.lim.over {
			// The scanner hands out the part of a line read before the
			// bound.
			return nil, rd.fail(nil)
		}
		return rd.sc.Bytes(), nil
	}
	return nil, rd.fail(rd.sc.Err())
}

// fail turns a read error into one of the package's errors.
func (rd *reader) fail(err error) error {
	switch {
	case rd.lim.over:
		return fmt.Errorf("%w: more than %d bytes uncompressed", ErrTooLarge, rd.lim.max())
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Errorf("%w: a line is longer than %d bytes", ErrCorrupt, MaxLineBytes)
	case err == nil, errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the file ends early (truncated?)", ErrCorrupt)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	var ce *ErrLine
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

// ErrLine is an error in one line of a snapshot.
type ErrLine struct {
	Line int
	Err  error
}

func (e *ErrLine) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ErrLine) Unwrap() error { return e.Err }

func (rd *reader) hashed(b []byte) {
	rd.sum.Write(b)
	rd.sum.Write([]byte{'\n'})
	rd.n += int64(len(b)) + 1
}

func (rd *reader) read(fn func(Record) error) (Summary, error) {
	b, err := rd.next()
	if err != nil {
		return Summary{}, fmt.Errorf("%w: no header line", ErrNotSnapshot)
	}
	var h Header
	if err := json.Unmarshal(b, &h); err != nil || h.Format != Format {
		return Summary{}, fmt.Errorf("%w: the first line is not a wharf snapshot header", ErrNotSnapshot)
	}
	if h.Version < 1 || h.Version > FormatVersion {
		return Summary{}, fmt.Errorf("%w: version %d, this wharf reads 1 to %d", ErrVersion, h.Version, FormatVersion)
	}
	rd.hashed(b)
	sm := Summary{Header: h, Tables: map[string]int{}}
	var last string
	for n := 2; ; n++ {
		b, err := rd.next()
		if err != nil {
			return Summary{}, err
		}
		var l line
		if err := json.Unmarshal(b, &l); err != nil {
			return Summary{}, &ErrLine{n, fmt.Errorf("%w: %v", ErrCorrupt, err)}
		}
		if l.End {
			return rd.end(sm, l)
		}
		rd.hashed(b)
		if err := checkKey(l.K, last, sm.Keys > 0); err != nil {
			return Summary{}, &ErrLine{n, err}
		}
		last = l.K
		sm.Keys++
		sm.Tables[Table(l.K)]++
		if err := fn(Record{Key: l.K, Value: l.V}); err != nil {
			return Summary{}, &ErrLine{n, err}
		}
	}
}

// end checks the last line against what was read.
func (rd *reader) end(sm Summary, l line) (Summary, error) {
	sum := hex.EncodeToString(rd.sum.Sum(nil))
	if l.SHA256 != sum {
		return Summary{}, fmt.Errorf("%w: checksum mismatch (file says %.16s…, content is %.16s…)", ErrCorrupt, l.SHA256, sum)
	}
	if l.Keys != sm.Keys {
		return Summary{}, fmt.Errorf("%w: the file says %d keys, it holds %d", ErrCorrupt, l.Keys, sm.Keys)
	}
	for t, n := range l.Tables {
		if sm.Tables[t] != n {
			return Summary{}, fmt.Errorf("%w: the file says %d keys in %s, it holds %d", ErrCorrupt, n, t, sm.Tables[t])
		}
	}
	if rd.sc.Scan() {
		return Summary{}, fmt.Errorf("%w: data after the last line", ErrCorrupt)
	}
	if err := rd.sc.Err(); err != nil {
		return Summary{}, rd.fail(err)
	}
	sm.Bytes, sm.SHA256 = rd.n, sum
	return sm, nil
}

// limited reads at most left bytes and remembers going over.
type limited struct {
	r    io.Reader
	left int64
	read int64
	over bool
}

func (l *limited) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a stream at its bound from one beyond it.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.over = true
			return 0, ErrTooLarge
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}

func (l *limited) max() int64 { return l.read + l.left }
