package consulapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wharf-project/wharf/internal/httpapi"
	"github.com/wharf-project/wharf/internal/structs"
)

// checkUpdate answers PUT /v1/agent/check/{pass,warn,fail}/:id (?note=
// becomes the output) and /v1/agent/check/update/:id (body Status,
// Output) for the TTL checks of agent registrations; each update renews
// the check's TTL.
func (s *Server) checkUpdate(verb string) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		status, output, err := s.updateFromRequest(verb, r)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		reg, c, err := s.findTTLCheck(r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		if ai := authOf(r); ai.aclsOn && !ai.acl.AllowServiceWrite(reg.ServiceName) {
			return nil, errorf(http.StatusForbidden, "Permission denied: token lacks service %q policy \"write\"", reg.ServiceName)
		}
		s.ttl.arm(reg.ID, c)
		if c.Status == status && c.Output == output {
			return nil, nil
		}
		return nil, s.writeCheck(r.Context(), reg, c.ID, status, output)
	}
}

func (s *Server) updateFromRequest(verb string, r *http.Request) (status, output string, err error) {
	switch verb {
	case "pass":
		return structs.HealthPassing, httpapi.CutUTF8(r.URL.Query().Get("note"), maxOutput), nil
	case "warn":
		return structs.HealthWarning, httpapi.CutUTF8(r.URL.Query().Get("note"), maxOutput), nil
	case "fail":
		return structs.HealthCritical, httpapi.CutUTF8(r.URL.Query().Get("note"), maxOutput), nil
	}
	var u checkUpdate
	if err := s.decodeBody(r, &u); err != nil {
		return "", "", err
	}
	if !validStatus(u.Status) {
		return "", "", errorf(http.StatusBadRequest, "Status: %q is not passing, warning or critical", u.Status)
	}
	return u.Status, httpapi.CutUTF8(u.Output, maxOutput), nil
}

// findTTLCheck finds a TTL check of the local agent registrations.
func (s *Server) findTTLCheck(id string) (*structs.ServiceRegistration, *structs.CheckStatus, error) {
	for _, reg := range s.cfg.Store.Snapshot().ServiceRegistrationsByNode(s.localNode()) {
		if reg.AllocID != "" {
			continue
		}
		for _, c := range reg.Checks {
			if c.ID == id {
				if c.Type != "ttl" {
					return nil, nil, errorf(http.StatusBadRequest, "check %q is not a TTL check", id)
				}
				return reg, c, nil
			}
		}
	}
	return nil, nil, errorf(http.StatusNotFound, "Unknown check ID %q", id)
}

// writeCheck stores a new result of one check of reg.
func (s *Server) writeCheck(ctx context.Context, reg *structs.ServiceRegistration, checkID, status, output string) error {
	nr := reg.Copy()
	for _, c := range nr.Checks {
		if c.ID == checkID {
			c.Status, c.Output = status, output
		}
	}
	if _, err := s.cfg.Store.UpsertServiceRegistrations(ctx, []*structs.ServiceRegistration{nr}); err != nil {
		return fmt.Errorf("store check %s of %s: %w", checkID, reg.ID, err)
	}
	return nil
}

// expireCheck turns a TTL check critical when no update came in time.
func (s *Server) expireCheck(regID, checkID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg := s.cfg.Store.Snapshot().ServiceRegistration(regID)
	if reg == nil {
		return
	}
	for _, c := range reg.Checks {
		if c.ID == checkID && c.Type == "ttl" && c.Status != structs.HealthCritical {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.writeCheck(ctx, reg, checkID, structs.HealthCritical, "TTL expired"); err != nil {
				s.cfg.Logger.Warn("expire TTL check", "check", checkID, "err", err)
			}
		}
	}
}

// ttlTimers turns TTL checks critical when their TTL passes without an
// update. They live in the agent that took the registration.
type ttlTimers struct {
	mu     sync.Mutex
	timers map[string]*time.Timer
	expire func(regID, checkID string)
}

func newTTLTimers(expire func(regID, checkID string)) *ttlTimers {
	return &ttlTimers{timers: map[string]*time.Timer{}, expire: expire}
}

func ttlKey(regID, checkID string) string { return regID + "\x00" + checkID }

// arm (re)starts the TTL of one check.
func (t *ttlTimers) arm(regID string, c *structs.CheckStatus) {
	ttl, err := time.ParseDuration(c.Interval)
	if c.Type != "ttl" || err != nil || ttl <= 0 {
		return
	}
	key := ttlKey(regID, c.ID)
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.timers[key]; old != nil {
		old.Stop()
	}
	checkID := c.ID
	t.timers[key] = time.AfterFunc(ttl, func() { t.expire(regID, checkID) })
}

// armAll restarts the TTLs of every check of reg.
func (t *ttlTimers) armAll(reg *structs.ServiceRegistration) {
	for _, c := range reg.Checks {
		t.arm(reg.ID, c)
	}
}

// disarmAll stops the TTLs of reg's checks.
func (t *ttlTimers) disarmAll(reg *structs.ServiceRegistration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range reg.Checks {
		key := ttlKey(reg.ID, c.ID)
		if tm := t.timers[key]; tm != nil {
			tm.Stop()
			delete(t.timers, key)
		}
	}
}

// stopAll stops every timer.
func (t *ttlTimers) stopAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, tm := range t.timers {
		tm.Stop()
		delete(t.timers, k)
	}
}
