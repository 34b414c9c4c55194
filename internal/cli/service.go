package cli

import (
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

// taskServicePrefix starts the registration ID of a task's service; an
// allocation ID follows it.
const taskServicePrefix = "_wharf-task-"

func (m *meta) serviceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Inspect the service catalog",
		Long: `Inspect the service catalog: the services that tasks (and external systems,
through the Consul-shaped API) registered, the address of each instance and
the results of its health checks.`,
		Example: `  wharf service list
  wharf service info nginx`,
	}
	cmd.AddCommand(m.serviceListCommand(), m.serviceInfoCommand())
	return cmd
}

// shortServiceID shortens the allocation ID inside a task service's
// registration ID to 8 characters unless verbose; other IDs print whole.
func shortServiceID(id string, verbose bool) string {
	rest, ok := strings.CutPrefix(id, taskServicePrefix)
	const uuidLen = 36
	if verbose || !ok || len(rest) <= uuidLen || rest[uuidLen] != '-' {
		return id
	}
	return taskServicePrefix + rest[:8] + rest[uuidLen:]
}

// instanceAddress is an instance's address and port, host:port.
func instanceAddress(r *structs.ServiceRegistration) string {
	if r.Address == "" {
		return ":" + strconv.Itoa(r.Port)
	}
	return net.JoinHostPort(r.Address, strconv.Itoa(r.Port))
}

// countPassing is how many of regs are passing.
func countPassing(regs []*structs.ServiceRegistration) int {
	n := 0
	for _, r := range regs {
		if r.Health() == structs.HealthPassing {
			n++
		}
	}
	return n
}
