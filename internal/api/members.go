package api

import (
	"net/http"
	"net/url"
)

// AgentMember is one server as GET /v1/agent/members lists it (Nomad's
// shape): Tags carry the etcd side (etcd_id, etcd_health, etcd_leader,
// raft_index, alarms) and the server's API address (http_addr) and
// whether it leads (leader).
type AgentMember struct {
	Name        string
	Addr        string
	Port        uint16
	Tags        map[string]string
	Status      string
	ProtocolMin uint8
	ProtocolMax uint8
	ProtocolCur uint8
	DelegateMin uint8
	DelegateMax uint8
	DelegateCur uint8
}

// EtcdAlarm is an alarm an etcd member raised.
type EtcdAlarm struct {
	MemberID string
	Alarm    string
}

// ServerMembers is the answer of GET /v1/agent/members.
type ServerMembers struct {
	ServerName   string
	ServerRegion string
	ServerDC     string
	Members      []*AgentMember
	EtcdAlarms   []EtcdAlarm
}

// EtcdMember is one etcd member.
type EtcdMember struct {
	ID         string
	Name       string
	PeerURLs   []string
	ClientURLs []string
	Learner    bool
}

// EtcdMemberJoin is the answer to adding a member: InitialCluster is the
// new server's etcd initial_cluster (with initial_cluster_state =
// "existing").
type EtcdMemberJoin struct {
	Member         EtcdMember
	Members        []EtcdMember
	InitialCluster string
}

// Agent is the /v1/agent part of the API.
type Agent struct{ c *Client }

// Agent returns the agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{c: c} }

// Members lists the servers and their etcd members (GET
// /v1/agent/members).
func (a *Agent) Members() (*ServerMembers, error) {
	var out ServerMembers
	if _, err := a.c.query("/v1/agent/members", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// ForceLeave removes the etcd member of server name (PUT
// /v1/agent/force-leave?node=NAME).
func (a *Agent) ForceLeave(name string) error {
	return a.c.write(http.MethodPut, "/v1/agent/force-leave", nil, nil, nil, url.Values{"node": {name}})
}

// EtcdMemberAdd adds an etcd member for a server about to start (PUT
// /v1/operator/etcd/member).
func (o *Operator) EtcdMemberAdd(name, peerURL string, w *WriteOptions) (*EtcdMemberJoin, error) {
	var out EtcdMemberJoin
	in := map[string]string{"Name": name, "PeerURL": peerURL}
	if err := o.c.write(http.MethodPut, "/v1/operator/etcd/member", in, &out, w, nil); err != nil {
		return nil, err
	}
	return &out, nil
}
