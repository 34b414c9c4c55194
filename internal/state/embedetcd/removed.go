package embedetcd

import (
	"fmt"
	"strings"
)

// removedMessage is what the agent logs when its member learns it was
// removed from the cluster (wharf server force-leave, etcdctl member
// remove): etcd then stops it, and it never comes back on this data dir.
const removedMessage = "this server's etcd member was removed from the cluster: it cannot come back on this data dir; " +
	"move <data_dir>/etcd aside and add the server again as a new member (etcd { join = [...] } or wharf server join)"

// removedMember reports whether an etcd log entry says the member was
// removed.
func removedMember(msg string, args []any) bool {
	return strings.Contains(msg+fmt.Sprint(args...), "permanently removed")
}
