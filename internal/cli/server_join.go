package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func (m *meta) serverJoinCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "join -name NAME PEER_URL",
		Short: "Add an etcd member for a new server, before starting it",
		Long: `Add an etcd member named NAME at PEER_URL (the new server's etcd peer_url,
reachable by the other servers) through the server at -address, and print
the etcd settings the new server starts with. Run it before starting the
new server; remove a failed server with "server force-leave" first, so
the cluster keeps its quorum while the new member comes up.

Instead of this command, the new server's configuration may name servers
in etcd { join = [...] }: it then asks them itself at its first start.`,
		Example: `  wharf server join -name s4 http://10.0.0.4:2380`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return &usageError{errors.New("-name is required: the new server's etcd { name }")}
			}
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			res, err := c.Operator().EtcdMemberAdd(name, args[0], nil)
			if err != nil {
				return failed(fmt.Errorf("adding the member: %w", err))
			}
			fmt.Fprintf(m.out, "Added etcd member %s (ID %s) at %s.\n\nStart the new server now, with in its etcd block:\n\n", name, res.Member.ID, args[0])
			fmt.Fprintf(m.out, "  name                  = %q\n  peer_url              = %q\n  initial_cluster       = %q\n  initial_cluster_state = \"existing\"\n",
				name, args[0], res.InitialCluster)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the new server's etcd member name (its etcd { name })")
	return cmd
}

func (m *meta) serverForceLeaveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "force-leave NAME",
		Short: "Remove a server's etcd member from the cluster",
		Long: `Remove the etcd member of server NAME (its etcd name, with or without the
region, or the member's hex ID) so it no longer counts towards the quorum,
as Nomad's "server force-leave". etcd refuses a removal that would cost
the quorum of the members that run. A removed server cannot come back on
its old data dir: its member is refused by the cluster; move
<data_dir>/etcd aside and join it again as a new member.`,
		Example: `  wharf server force-leave s3`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			if err := c.Agent().ForceLeave(args[0]); err != nil {
				return failed(fmt.Errorf("removing %s: %w", args[0], err))
			}
			fmt.Fprintf(m.out, "Removed the etcd member of %s.\n", args[0])
			return nil
		},
	}
}
