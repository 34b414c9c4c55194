package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
	"github.com/wharf-project/wharf/internal/structs"
)

// maxOutputWidth is how much of a check's output the table shows without
// -verbose.
const maxOutputWidth = 60

func (m *meta) serviceInfoCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "info [flags] NAME",
		Short: "Show a service's instances, their addresses and health checks",
		Long: `Show the instances of one service: each instance's ID, node, address and
port, allocation and health (passing, warning or critical), then each check
with its type, status and what it said last. Long check output is cut to
one line; -verbose prints it whole, with full IDs.`,
		Example: `  wharf service info nginx
  wharf service info -verbose nginx
  wharf service info -json nginx`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			return m.serviceInfo(c, args[0], o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) serviceInfo(c *api.Client, name string, o outputOptions) error {
	regs, _, err := c.Services().Get(name, nil)
	if err != nil {
		return failed(fmt.Errorf("reading service %q: %w", name, err))
	}
	if o.json {
		return printJSON(m.out, regs)
	}
	if len(regs) == 0 {
		return failed(fmt.Errorf("no instances of service %q registered", name))
	}
	fmt.Fprint(m.out, formatServiceInfo(name, regs, o.verbose))
	return nil
}

func formatServiceInfo(name string, regs []*structs.ServiceRegistration, verbose bool) string {
	var b strings.Builder
	b.WriteString(formatKV([]kv{
		{"Service Name", name}, {"Namespace", regs[0].Namespace},
		{"Tags", formatTags(unionTags(regs))},
		{"Instances", strconv.Itoa(len(regs))}, {"Passing", strconv.Itoa(countPassing(regs))},
	}))
	b.WriteString("\nInstances\n")
	rows := [][]string{{"ID", "Node", "Address", "Alloc", "Health"}}
	for _, r := range regs {
		rows = append(rows, []string{shortServiceID(r.ID, verbose), shortID(r.NodeID, verbose),
			instanceAddress(r), shortID(r.AllocID, verbose), r.Health()})
	}
	b.WriteString(formatList(rows))
	if checks := formatChecks(regs, verbose); checks != "" {
		b.WriteString("\nChecks\n")
		b.WriteString(checks)
	}
	return b.String()
}

// formatChecks lists every instance's checks; long output is cut to a line
// unless verbose, which prints it whole below the table.
func formatChecks(regs []*structs.ServiceRegistration, verbose bool) string {
	rows := [][]string{{"Instance", "Check", "Type", "Status", "Output"}}
	var full strings.Builder
	for _, r := range regs {
		id := shortServiceID(r.ID, verbose)
		for _, c := range r.Checks {
			out, cut := oneLine(c.Output)
			rows = append(rows, []string{id, checkName(c), c.Type, c.Status, out})
			if verbose && cut {
				fmt.Fprintf(&full, "\nOutput of check %q of %s:\n%s\n", checkName(c), id, indent(c.Output))
			}
		}
	}
	if len(rows) == 1 {
		return ""
	}
	return formatList(rows) + full.String()
}

func checkName(c *structs.CheckStatus) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// oneLine returns the first line of s cut to maxOutputWidth, and whether
// anything was cut.
func oneLine(s string) (string, bool) {
	s = strings.TrimSpace(s)
	line, _, multi := strings.Cut(s, "\n")
	line = strings.TrimSpace(line)
	if r := []rune(line); len(r) > maxOutputWidth {
		return string(r[:maxOutputWidth-3]) + "...", true
	}
	if multi {
		return line + " ...", true
	}
	return line, false
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

// unionTags is the sorted union of the instances' tags.
func unionTags(regs []*structs.ServiceRegistration) []string {
	var tags []string
	for _, r := range regs {
		for _, t := range r.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	slices.Sort(tags)
	return tags
}
