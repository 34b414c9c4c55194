package cli

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
)

func (m *meta) serverCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "List the servers and add or remove them",
		Long: `Servers form one etcd cluster (each embeds a member). "server members"
shows each member's health, raft index and alarms; "server join" and
"server force-leave" add and remove members with wharf alone.`,
		Example: `  wharf server members
  wharf server join -name s4 http://10.0.0.4:2380
  wharf server force-leave s3`,
	}
	cmd.AddCommand(m.serverMembersCommand(), m.serverJoinCommand(), m.serverForceLeaveCommand())
	return cmd
}

func (m *meta) serverMembersCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "members",
		Short: "List the servers, their etcd members' health, raft index and alarms",
		Long: `List one row per etcd member: the server's name and API address, whether
it is alive, whether it leads wharf (Leader) and etcd (Etcd Leader), its
member's health, raft index and alarms. A member that does not answer
shows "failed" and "unreachable"; one added with "server join" and not
started yet shows "unstarted". Answers within about 2 s, also without an
etcd quorum.`,
		Example: `  wharf server members
  wharf server members -json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			sm, err := c.Agent().Members()
			if err != nil {
				return failed(fmt.Errorf("listing the servers: %w", err))
			}
			if o.json {
				return printJSON(m.out, sm)
			}
			m.printMembers(sm)
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the API answer as JSON")
	return cmd
}

// printMembers prints the members as a table, then the alarms.
func (m *meta) printMembers(sm *api.ServerMembers) {
	members := append([]*api.AgentMember(nil), sm.Members...)
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	rows := [][]string{{"Name", "Address", "Port", "Status", "Leader", "Etcd Leader", "Etcd Health", "Raft Index", "Alarms", "Region"}}
	for _, mb := range members {
		t := mb.Tags
		rows = append(rows, []string{mb.Name, mb.Addr, strconv.Itoa(int(mb.Port)), mb.Status, t["leader"], t["etcd_leader"],
			t["etcd_health"], t["raft_index"], t["alarms"], t["region"]})
	}
	fmt.Fprint(m.out, formatList(rows))
	for _, a := range sm.EtcdAlarms {
		fmt.Fprintf(m.out, "\netcd alarm %s on member %s: writes fail until it is resolved", a.Alarm, a.MemberID)
	}
	if len(sm.EtcdAlarms) > 0 {
		fmt.Fprintln(m.out)
	}
}
