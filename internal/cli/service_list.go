package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

func (m *meta) serviceListCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the services of the catalog with their instance counts",
		Long: `List the services of the namespace (-namespace '*' for every namespace):
each service's name, the union of its instances' tags, how many instances it
has and how many of them pass their health checks. -json prints the API's
answer (Nomad's GET /v1/services) instead.`,
		Example: `  wharf service list
  wharf service list -namespace '*'
  wharf service list -json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			return m.serviceList(c, o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) serviceList(c *api.Client, o outputOptions) error {
	list, _, err := c.Services().List(nil)
	if err != nil {
		return failed(fmt.Errorf("listing services: %w", err))
	}
	if o.json {
		return printJSON(m.out, list)
	}
	rows := [][]string{{"Service Name", "Tags", "Instances", "Passing"}}
	withNS := len(list) > 1
	if withNS {
		rows[0] = append([]string{"Namespace"}, rows[0]...)
	}
	for _, ns := range list {
		for _, s := range ns.Services {
			row, err := serviceListRow(c, ns.Namespace, s)
			if err != nil {
				return failed(err)
			}
			if withNS {
				row = append([]string{ns.Namespace}, row...)
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 1 {
		fmt.Fprintln(m.out, "No services registered")
		return nil
	}
	fmt.Fprint(m.out, formatList(rows))
	return nil
}

// serviceListRow reads one service's instances to count them.
func serviceListRow(c *api.Client, ns string, s *structs.ServiceRegistrationStub) ([]string, error) {
	regs, _, err := c.Services().Get(s.ServiceName, &api.QueryOptions{Namespace: ns})
	if err != nil {
		return nil, fmt.Errorf("reading service %q: %w", s.ServiceName, err)
	}
	return []string{s.ServiceName, formatTags(s.Tags), strconv.Itoa(len(regs)),
		strconv.Itoa(countPassing(regs))}, nil
}

// formatTags prints tags as Nomad does: [a,b].
func formatTags(tags []string) string {
	return "[" + strings.Join(tags, ",") + "]"
}
