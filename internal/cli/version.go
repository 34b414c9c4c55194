package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Version is wharf's version, set at build time with
// -ldflags "-X github.com/wharf-project/wharf/internal/cli.Version=1.2.3".
var Version = "dev"

func (m *meta) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print wharf's version",
		Long:    `Print the version of this wharf binary.`,
		Example: `  wharf version`,
		Args:    usageArgs(cobra.NoArgs),
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintf(m.out, "wharf %s\n", Version)
		},
	}
}
