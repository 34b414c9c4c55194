package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"
)

// QueryBool reads the flag query parameter name as Nomad and Consul both
// do: absent is false, present without a value ("?stale") is true,
// otherwise its first value is parsed with strconv.ParseBool. ok is false
// when that value is not a boolean; raw is then the value, for the
// caller's error.
func QueryBool(r *http.Request, name string) (value bool, raw string, ok bool) {
	vals, present := r.URL.Query()[name]
	if !present {
		return false, "", true
	}
	if len(vals) == 0 || vals[0] == "" {
		return true, "", true
	}
	b, err := strconv.ParseBool(vals[0])
	if err != nil {
		return false, vals[0], false
	}
	return b, vals[0], true
}

// errNegativeWait refuses a wait below zero.
var errNegativeWait = errors.New("negative wait")

// ParseWait reads a blocking query's ?wait: a Go duration ("5m", "300ms")
// or a bare number of seconds below 2^32. With allowNegative false a
// negative duration is an error; with it true it is returned (Nomad
// answers at once, where Consul refuses it).
func ParseWait(v string, allowNegative bool) (time.Duration, error) {
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 0 && !allowNegative {
		return 0, errNegativeWait
	}
	return d, nil
}
