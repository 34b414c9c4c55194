package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/regclient"
)

// imageLsCommand returns `wharf image ls`.
func (m *meta) imageLsCommand() *cobra.Command {
	var reg string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls [-registry URL] [-json]",
		Short: "List the images of a wharf registry",
		Long: `List the images a registry holds (GET /v1/images): name, tag, archive size,
whether a signature is present, whether the archive, manifest and digest
file are all present (COMPLETE), and the newest modification time. -json
prints the registry's answer as JSON.`,
		Example: `  wharf image ls
  wharf image ls -registry http://registry:9080 -json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return exitWith(m.runLs(cmd.Context(), registryURL(reg), asJSON))
		},
	}
	cmd.Flags().StringVar(&reg, "registry", "", registryFlagUsage)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

// runLs fetches and prints the registry's image list.
func (m *meta) runLs(ctx context.Context, base string, asJSON bool) (int, error) {
	hc, err := m.httpClient()
	if err != nil {
		return exitError, err
	}
	images, err := regclient.New(base, hc, "").Images(ctx)
	if err != nil {
		return exitError, err
	}
	if asJSON {
		return exitOK, printJSON(m.out, images)
	}
	if len(images) == 0 {
		fmt.Fprintf(m.out, "No images in %s\n", base)
		return exitOK, nil
	}
	rows := [][]string{{"NAME", "TAG", "SIZE", "SIGNED", "COMPLETE", "MODIFIED"}}
	for _, im := range images {
		rows = append(rows, []string{im.Name, im.Tag, strconv.FormatInt(im.Files["tar.zst"], 10),
			strconv.FormatBool(im.Signed), strconv.FormatBool(im.Complete), formatTime(im.Modified)})
	}
	fmt.Fprint(m.out, formatList(rows))
	return exitOK, nil
}
