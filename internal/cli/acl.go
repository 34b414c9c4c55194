package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

// maxPolicyFile bounds a policy file read by `acl policy apply`.
const maxPolicyFile = 1 << 20

func (m *meta) aclCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acl",
		Short: "Bootstrap ACLs and manage policies and tokens",
		Long: `Manage access control, as Nomad's "nomad acl": bootstrap the first
management token, write policies in Nomad's rule language, and make tokens
that hold them. Commands send the token of -token or $WHARF_TOKEN (then
$NOMAD_TOKEN).`,
		Example: `  wharf acl bootstrap
  wharf acl policy apply -description "read jobs" readonly readonly.hcl
  wharf acl token create -name ci -policy readonly`,
	}
	cmd.AddCommand(m.aclBootstrapCommand(), m.aclPolicyCommand(), m.aclTokenCommand())
	return cmd
}

func (m *meta) aclBootstrapCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Make the first management token (once per cluster)",
		Long: `Make the cluster's first management token. Its Secret ID is printed only
now: keep it safe (it can do everything) and use it to make policies and
less powerful tokens.`,
		Example: `  wharf acl bootstrap
  export WHARF_TOKEN=<Secret ID printed above>`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			tok, err := c.ACL().Bootstrap()
			if err != nil {
				return failed(fmt.Errorf("bootstrapping ACLs: %w", err))
			}
			return m.printToken(tok, o)
		},
	}
	o.register(cmd)
	return cmd
}

// printToken prints a token as Nomad's CLI does, or its JSON.
func (m *meta) printToken(t *structs.ACLToken, o outputOptions) error {
	if o.json {
		return printJSON(m.out, t)
	}
	policies := "n/a"
	if t.Type != structs.ACLManagementToken {
		policies = strings.Join(t.Policies, ", ")
	}
	expiry := ""
	if t.ExpirationTime != nil {
		expiry = formatTime(*t.ExpirationTime)
	}
	secret := t.SecretID
	if secret == "" {
		secret = "<hidden: shown only when the token was made>"
	}
	fmt.Fprint(m.out, formatKV([]kv{
		{"Accessor ID", t.AccessorID}, {"Secret ID", secret}, {"Name", t.Name}, {"Type", t.Type},
		{"Global", strconv.FormatBool(t.Global)}, {"Create Time", formatTime(t.CreateTime)},
		{"Expiry Time", expiry}, {"Create Index", strconv.FormatUint(t.CreateIndex, 10)},
		{"Modify Index", strconv.FormatUint(t.ModifyIndex, 10)}, {"Policies", policies},
	}))
	return nil
}

// readPolicyFile reads rules from path, "-" for standard input.
func readPolicyFile(path string) (string, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPolicyFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxPolicyFile {
		return "", fmt.Errorf("%s: larger than %d bytes", path, maxPolicyFile)
	}
	return string(b), nil
}
