package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// normalizeArgs rewrites Nomad-style single-dash long flags ("-json",
// "-address=URL") to the double-dash form cobra parses, for every long
// flag name defined anywhere in the command tree. Other arguments, short
// flags and everything after "--" are left alone.
func normalizeArgs(root *cobra.Command, args []string) []string {
	names := longFlagNames(root)
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if isSingleDashLong(a, names) {
			a = "-" + a
		}
		out = append(out, a)
	}
	return out
}

func isSingleDashLong(arg string, names map[string]bool) bool {
	if len(arg) < 3 || arg[0] != '-' || arg[1] == '-' {
		return false
	}
	name, _, _ := strings.Cut(arg[1:], "=")
	return names[name]
}

// longFlagNames collects the long names of all flags of root and its
// descendants, plus cobra's help flag.
func longFlagNames(root *cobra.Command) map[string]bool {
	names := map[string]bool{"help": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { names[f.Name] = true }
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return names
}
