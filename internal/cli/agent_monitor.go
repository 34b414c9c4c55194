package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// agentMonitorCommand is `wharf monitor`, Nomad's `nomad monitor`.
func (m *meta) agentMonitorCommand() *cobra.Command {
	var level string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "monitor [flags]",
		Short: "Stream the log of the agent at -address",
		Long: `Stream the log lines of the agent at -address as it writes them, at
-log-level (trace, debug, info, warn or error), whatever level the agent itself
logs at, until interrupted; -json prints each line as a JSON object. Needs
agent policy "read" with ACLs on. A monitor
that reads slower than the agent logs is told how many lines it lost; it never
slows the agent down.`,
		Example: `  wharf monitor
  wharf monitor -log-level debug -address http://10.0.0.5:4646`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return m.agentMonitor(level, asJSON) },
	}
	cmd.Flags().StringVar(&level, "log-level", "info", "lowest level of the lines to stream: trace, debug, info, warn or error")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each log line as a JSON object")
	return cmd
}

func (m *meta) agentMonitor(level string, asJSON bool) error {
	c, err := m.client()
	if err != nil {
		return failed(err)
	}
	s, err := c.AgentMonitor(level, asJSON, nil)
	if err != nil {
		return failed(fmt.Errorf("monitor the agent at %s: %w", c.Address(), err))
	}
	defer s.Close()
	for {
		f, err := s.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return failed(fmt.Errorf("monitor the agent at %s: %w", c.Address(), err))
		}
		if _, err := m.out.Write(f.Data); err != nil {
			return failed(err)
		}
	}
}
