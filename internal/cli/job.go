package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/api"
)

func (m *meta) jobCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Submit, inspect, scale and stop jobs",
		Long: `Work with jobs: check a job file (validate, inspect), see what submitting it
would change (plan), submit it and follow its placement (run), watch it
(status), change a group's count (scale) and stop it (stop).`,
		Example: `  wharf job run nginx.job
  wharf job status nginx-minipot`,
	}
	cmd.AddCommand(m.jobRunCommand(), m.jobStatusCommand(), m.jobStopCommand(),
		m.jobPlanCommand(), m.jobScaleCommand(), m.jobValidateCommand(), m.jobInspectCommand())
	return cmd
}

// lookupError turns a failed ID lookup into what users read: "no ... found"
// for a miss, the list of candidates for an ambiguous prefix.
func lookupError(singular, id string, err error) error {
	var amb *api.AmbiguousPrefixError
	switch {
	case errors.As(err, &amb):
		return fmt.Errorf("prefix %q matched multiple %s:\n\n%s", id, amb.Kind, strings.Join(amb.Matches, "\n"))
	case api.IsNotFound(err):
		return fmt.Errorf("no %s with ID or prefix %q found", singular, id)
	}
	return fmt.Errorf("looking up %s %q: %w", singular, id, err)
}

// failed wraps err as a plain failure (exit code 1).
func failed(err error) error { return exitWith(exitError, err) }
