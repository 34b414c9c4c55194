package server

import (
	"context"
	"net/http"

	"github.com/wharf-project/wharf/internal/jobspec"
	"github.com/wharf-project/wharf/internal/jsonlimit"
	"github.com/wharf-project/wharf/internal/structs"
)

// Limits bound what one API request may cost the server. Zero fields
// mean their defaults.
type Limits struct {
	// Job bounds counts, groups, tasks and meta of a submitted job.
	Job structs.JobLimits
	// JobMaxBytes bounds the body of a request carrying a job (register,
	// plan, validate). Default DefaultJobMaxBytes.
	JobMaxBytes int
	// HCLMaxBytes and HCLMaxDepth bound job files sent to
	// /v1/jobs/parse. Defaults jobspec.DefaultMaxBytes and
	// jobspec.DefaultMaxDepth.
	HCLMaxBytes int
	HCLMaxDepth int
	// JSONMaxDepth bounds the nesting of every JSON body. Default
	// jsonlimit.DefaultMaxDepth.
	JSONMaxDepth int
}

// DefaultJobMaxBytes is the default bound of a job-carrying body: 4 MiB,
// far above a real job (the seed job is 5 KB as JSON) and far below the
// store's 16 MiB request limit.
const DefaultJobMaxBytes = 4 << 20

func (l Limits) withDefaults() Limits {
	l.Job = l.Job.WithDefaults()
	if l.JobMaxBytes <= 0 {
		l.JobMaxBytes = DefaultJobMaxBytes
	}
	if l.HCLMaxBytes <= 0 {
		l.HCLMaxBytes = jobspec.DefaultMaxBytes
	}
	if l.HCLMaxDepth <= 0 {
		l.HCLMaxDepth = jobspec.DefaultMaxDepth
	}
	if l.JSONMaxDepth <= 0 {
		l.JSONMaxDepth = jsonlimit.DefaultMaxDepth
	}
	return l
}

// limitsKey carries the server's Limits in a request's context, so that
// decodeBody, shared by every handler, applies the configured bounds.
type limitsKey struct{}

func withLimits(r *http.Request, l *Limits) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), limitsKey{}, l))
}

// requestLimits returns the limits of r's server, or the defaults.
func requestLimits(r *http.Request) *Limits {
	if l, ok := r.Context().Value(limitsKey{}).(*Limits); ok {
		return l
	}
	d := Limits{}.withDefaults()
	return &d
}
