package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/structs"
)

func (m *meta) aclPolicyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write, list, read and delete ACL policies",
		Long: `Policies are named sets of rules in Nomad's language (namespace, node,
agent, operator, plugin, quota) plus service and service_prefix rules for
the catalog; tokens hold policies.`,
		Example: `  wharf acl policy apply readonly readonly.hcl
  wharf acl policy list`,
	}
	cmd.AddCommand(m.aclPolicyApplyCommand(), m.aclPolicyListCommand(), m.aclPolicyInfoCommand(), m.aclPolicyDeleteCommand())
	return cmd
}

func (m *meta) aclPolicyApplyCommand() *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "apply [flags] <name> <path>",
		Short: "Create or replace a policy from a rules file (- for stdin)",
		Long: `Create or replace the policy <name> with the rules in <path> (HCL or JSON,
Nomad's rule language plus service and service_prefix rules for the
catalog). The server checks the rules and names the line of an error.`,
		Example: `  wharf acl policy apply -description "read only" readonly readonly.hcl`,
		Args:    usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			rules, err := readPolicyFile(args[1])
			if err != nil {
				return failed(fmt.Errorf("reading policy rules: %w", err))
			}
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			if err := c.ACL().UpsertPolicy(&structs.ACLPolicy{Name: args[0], Description: description, Rules: rules}); err != nil {
				return failed(fmt.Errorf("writing policy %q: %w", args[0], err))
			}
			fmt.Fprintf(m.out, "Successfully wrote %q ACL policy!\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the policy is for")
	return cmd
}

func (m *meta) aclPolicyListCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the policies",
		Long: `List the policies: every one for a management token, else the ones the
token holds.`,
		Example: `  wharf acl policy list -json`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			list, _, err := c.ACL().Policies(nil)
			if err != nil {
				return failed(fmt.Errorf("listing policies: %w", err))
			}
			if o.json {
				return printJSON(m.out, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(m.out, "No policies found")
				return nil
			}
			rows := [][]string{{"Name", "Description"}}
			for _, p := range list {
				rows = append(rows, []string{p.Name, p.Description})
			}
			fmt.Fprint(m.out, formatList(rows))
			return nil
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) aclPolicyInfoCommand() *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:     "info <name>",
		Short:   "Show a policy and its rules",
		Long:    `Show a policy's name, description, indexes and rules.`,
		Example: `  wharf acl policy info readonly`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			p, _, err := c.ACL().Policy(args[0], nil)
			if err != nil {
				return failed(fmt.Errorf("reading policy %q: %w", args[0], err))
			}
			if o.json {
				return printJSON(m.out, p)
			}
			fmt.Fprint(m.out, formatKV([]kv{{"Name", p.Name}, {"Description", p.Description},
				{"Create Index", strconv.FormatUint(p.CreateIndex, 10)}, {"Modify Index", strconv.FormatUint(p.ModifyIndex, 10)}}))
			fmt.Fprintf(m.out, "\nRules\n\n%s\n", p.Rules)
			return nil
		},
	}
	o.register(cmd)
	return cmd
}

func (m *meta) aclPolicyDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "delete <name>",
		Short:   "Delete a policy",
		Long:    `Delete a policy; tokens that hold it lose what it granted at once.`,
		Example: `  wharf acl policy delete readonly`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return failed(err)
			}
			if err := c.ACL().DeletePolicy(args[0]); err != nil {
				return failed(fmt.Errorf("deleting policy %q: %w", args[0], err))
			}
			fmt.Fprintf(m.out, "Successfully deleted %q ACL policy!\n", args[0])
			return nil
		},
	}
}
