package embedetcd

import (
	"fmt"
	"os"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// DefaultQuotaBackendBytes is etcd's own default space quota (2 GiB),
// used when Config.QuotaBackendBytes is 0.
const DefaultQuotaBackendBytes = int64(2) << 30

// Quota is the member's space quota in bytes.
func (s *Server) Quota() int64 {
	if s.cfg.QuotaBackendBytes > 0 {
		return s.cfg.QuotaBackendBytes
	}
	return DefaultQuotaBackendBytes
}

// Alarm is one alarm etcd holds for a member.
type Alarm struct {
	// MemberID is the member's etcd ID, in hex as etcdctl prints it.
	MemberID string
	// Type is etcd's name of the alarm: NOSPACE or CORRUPT.
	Type string
}

// String says what the alarm means for writes.
func (a Alarm) String() string {
	if a.Type == pb.AlarmType_NOSPACE.String() {
		return fmt.Sprintf("NOSPACE on member %s (etcd space quota exceeded: writes are refused until wharf system gc frees room)", a.MemberID)
	}
	return fmt.Sprintf("%s on member %s", a.Type, a.MemberID)
}

// Alarms lists the alarms the cluster holds, for every member (the
// alarm list is replicated), as `wharf server members` shows them; none
// when all is well.
func (s *Server) Alarms() []Alarm {
	var out []Alarm
	for _, a := range s.etcd.Server.Alarms() {
		out = append(out, Alarm{MemberID: fmt.Sprintf("%x", a.MemberID), Type: a.Alarm.String()})
	}
	return out
}

// SpaceUsage is the member's database size, the part of it in use, and
// its quota, in bytes.
func (s *Server) SpaceUsage() (size, inUse, quota int64) {
	be := s.etcd.Server.Backend()
	return be.Size(), be.SizeInUse(), s.Quota()
}

// guardAlarm reports whether the space alarm is the disk guard's own (a
// full disk, see guard.go), which only the guard disarms.
func (s *Server) guardAlarm() bool {
	_, err := os.Stat(s.alarmMarker())
	return err == nil
}

// quotaCause says why writes are refused while etcd's space alarm is
// raised, and what to do.
func (s *Server) quotaCause() string {
	return fmt.Sprintf("etcd space quota exceeded (%s of %s, etcd's NOSPACE alarm): run wharf system gc or raise etcd.quota_backend_bytes; writes resume once the alarm is disarmed",
		size(s.etcd.Server.Backend().Size()), size(s.Quota()))
}

// ownSpaceAlarm reports whether etcd holds a NOSPACE alarm for this
// member (each member raises its own, and only it can free its file).
func (s *Server) ownSpaceAlarm() bool {
	id := uint64(s.etcd.Server.MemberID())
	for _, a := range s.etcd.Server.Alarms() {
		if a.Alarm == pb.AlarmType_NOSPACE && a.MemberID == id {
			return true
		}
	}
	return false
}
