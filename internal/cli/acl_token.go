package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

func (m *meta) aclTokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list, read, update and delete ACL tokens",
		Long: `Tokens authenticate requests: a management token may do everything, a
client token what its policies grant. Only a token's hash is stored: its
Secret ID is shown once, when it is made.`,
		Example: `  wharf acl token create -name ci -policy readonly
  wharf acl token list`,
	}
	cmd.AddCommand(m.aclTokenCreateCommand(), m.aclTokenListCommand(), m.aclTokenInfoCommand(),
		m.aclTokenUpdateCommand(), m.aclTokenDeleteCommand(), m.aclTokenSelfCommand())
	return cmd
}

// tokenFlags are create's and update's flags.
type tokenFlags struct {
	name     string
	typ      string
	policies []string
	global   bool
	ttl      time.Duration
}

func (f *tokenFlags) register(cmd *cobra.Command, create bool) {
	cmd.Flags().StringVar(&f.name, "name", "", "name of the token")
	cmd.Flags().StringSliceVar(&f.policies, "policy", nil, "policy the token holds (repeat for several)")
	if create {
		cmd.Flags().StringVar(&f.typ, "type", structs.ACLClientToken, "client or management")
		cmd.Flags().BoolVar(&f.global, "global", false, "replicate the token to every region (accepted for Nomad compatibility)")
		cmd.Flags().DurationVar(&f.ttl, "ttl", 0, "the token expires after this long (e.g. 24h; default never)")
	}
}

func (m *meta) aclTokenCreateCommand() *cobra.Command {
	var f tokenFlags
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "create [flags]",
		Short: "Make a token; its Secret ID is shown only now",
		Long: `Make a client token holding -policy (repeat for several) or a management
token (-type management). The Secret ID is printed only now.`,
		Example: `  wharf acl token create -name ci -policy readonly -policy deploy
  wharf acl token create -name admin -type management -ttl 8h`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			req := &structs.ACLToken{Name: f.name, Type: f.typ, Policies: f.policies, Global: f.global}
			if f.ttl > 0 {
				exp := m.now().Add(f.ttl).UTC()
				req.ExpirationTime = &exp
			}
			tok, err := c.ACL().CreateToken(req)
			if err != nil {
				return failed(fmt.Errorf("creating token: %w", err))
			}
			return m.printToken(tok, o)
		},
	}
	f.register(cmd, true)
	o.register(cmd)
	return cmd
}

func (m *meta) aclTokenListCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the tokens (never their secrets)",
		Long:    "List every token (management token needed): name, type, accessor ID and\nwhether it expired. Secrets are never shown.",
		Example: `  wharf acl token list`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			list, _, err := c.ACL().Tokens(nil)
			if err != nil {
				return failed(fmt.Errorf("listing tokens: %w", err))
			}
			if o.json {
				return printJSON(m.out, list)
			}
			rows := [][]string{{"Name", "Type", "Global", "Accessor ID", "Expired"}}
			for _, t := range list {
				expired := t.ExpirationTime != nil && !t.ExpirationTime.After(m.now())
				rows = append(rows, []string{t.Name, t.Type, fmt.Sprint(t.Global), t.AccessorID, fmt.Sprint(expired)})
			}
			fmt.Fprint(m.out, formatList(rows))
			return nil
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) aclTokenInfoCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:     "info <accessor id>",
		Short:   "Show a token",
		Long:    "Show a token by its accessor ID (a management token, or the token itself).\nThe secret is not shown.",
		Example: `  wharf acl token info 8d4c7e2a-0f1b-4c55-9a3e-6b1f0e2d7c11`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			tok, _, err := c.ACL().Token(args[0], nil)
			if err != nil {
				return failed(fmt.Errorf("reading token %q: %w", args[0], err))
			}
			return m.printToken(tok, o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) aclTokenSelfCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:     "self",
		Short:   "Show the token the command sends (-token or $WHARF_TOKEN)",
		Long:    "Show the token the command sends (-token, $WHARF_TOKEN or $NOMAD_TOKEN).",
		Example: `  WHARF_TOKEN=<secret> wharf acl token self`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			tok, err := c.ACL().Self()
			if err != nil {
				return failed(fmt.Errorf("reading own token: %w", err))
			}
			return m.printToken(tok, o)
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) aclTokenUpdateCommand() *cobra.Command {
	var f tokenFlags
	var o outputOptions
	cmd := &cobra.Command{
		Use:     "update [flags] <accessor id>",
		Short:   "Change a token's name or policies",
		Example: `  wharf acl token update -policy readonly -policy deploy 8d4c7e2a-0f1b-4c55-9a3e-6b1f0e2d7c11`,
		Long: `Change a token's name (-name) or policies (-policy, repeated: the new
list replaces the old one). Flags not given keep their values.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			tok, _, err := c.ACL().Token(args[0], nil)
			if err != nil {
				return failed(fmt.Errorf("reading token %q: %w", args[0], err))
			}
			if cmd.Flags().Changed("name") {
				tok.Name = f.name
			}
			if cmd.Flags().Changed("policy") {
				tok.Policies = f.policies
			}
			upd, err := c.ACL().UpdateToken(tok)
			if err != nil {
				return failed(fmt.Errorf("updating token %q: %w", args[0], err))
			}
			return m.printToken(upd, o)
		},
	}
	f.register(cmd, false)
	o.register(cmd)
	return cmd
}

func (m *meta) aclTokenDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "delete <accessor id>",
		Short:   "Delete a token",
		Long:    "Delete a token by its accessor ID; requests with its secret are refused at once.",
		Example: `  wharf acl token delete 8d4c7e2a-0f1b-4c55-9a3e-6b1f0e2d7c11`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			if err := c.ACL().DeleteToken(strings.TrimSpace(args[0])); err != nil {
				return failed(fmt.Errorf("deleting token %q: %w", args[0], err))
			}
			fmt.Fprintf(m.out, "Token %s successfully deleted\n", args[0])
			return nil
		},
	}
}
