// Command wharf is the single wharf binary: the CLI, and the agent that
// runs servers, clients, the catalog and the ingress.
package main

import (
	"os"

	"github.com/wharf-project/wharf/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
