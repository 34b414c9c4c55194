package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/registry"
)

// defaultImageDir is where image commands read and write image files
// unless -dir (or -out for build) says otherwise.
const defaultImageDir = "./images"

// Environment variables the image commands read.
const (
	envRegistry      = "WHARF_REGISTRY"
	envRegistryToken = "WHARF_REGISTRY_TOKEN"
)

// imageCommand returns `wharf image` and its subcommands.
func (m *meta) imageCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build, sign, verify and publish pot images",
		Long: `Work with pot images. An image is four files named after its name and tag in
one directory (default ./images):

  <name>_<tag>.tar.zst   the root file system (zstd-compressed tar)
  <name>_<tag>.json      the manifest (os, arch, cmd, env, exposed ports)
  <name>_<tag>.sha256    the sha256 of the two files above
  <name>_<tag>.sig       an optional ed25519 signature of the .sha256 file

"build" packs a directory into an image, "keygen", "sign" and "verify"
manage signatures, and "push", "ls" and "rm" talk to a wharf registry.`,
		Example: `  wharf image build -name web -tag 1.0 -cmd "nginx -g 'daemon off;'" -port 80 ./rootfs
  wharf image keygen -out ./signing
  wharf image sign -key ./signing.key web 1.0
  wharf image push -registry http://registry:9080 -token-file ./token web 1.0`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(m.imageBuildCommand(), m.imageKeygenCommand(), m.imageSignCommand(),
		m.imageVerifyCommand(), m.imagePushCommand(), m.imageLsCommand(), m.imageRmCommand())
	cmd.AddCommand(m.imagePullCommand())
	return cmd
}

// registryURL returns the registry base URL from the flag, then
// $WHARF_REGISTRY, then the local default, without a trailing slash.
func registryURL(flag string) string {
	u := flag
	if u == "" {
		u = os.Getenv(envRegistry)
	}
	if u == "" {
		u = fmt.Sprintf("http://127.0.0.1:%d", registry.DefaultPort)
	}
	return strings.TrimRight(u, "/")
}

// registryToken returns the first token of tokenFile, or
// $WHARF_REGISTRY_TOKEN when no file is given.
func registryToken(tokenFile string) (string, error) {
	if tokenFile != "" {
		toks, err := registry.ReadTokenFile(tokenFile)
		if err != nil {
			return "", err
		}
		return toks[0], nil
	}
	if t := strings.TrimSpace(os.Getenv(envRegistryToken)); t != "" {
		return t, nil
	}
	// An agent's registry with ACLs on also takes an ACL token with
	// registry policy "write".
	for _, env := range []string{"WHARF_TOKEN", "NOMAD_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(env)); t != "" {
			return t, nil
		}
	}
	return "", errors.New("no registry token: give -token-file or set " + envRegistryToken +
		" (or WHARF_TOKEN, an ACL token with registry policy \"write\")")
}

// splitCommand splits a command line into words the way a POSIX shell
// would for plain words: blanks separate words, single quotes keep
// everything literally, double quotes keep blanks and honour \" \\ \$ \`,
// and a backslash outside quotes escapes the next character.
func splitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("command %q: unterminated single quote", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i, inWord = i+1+end, true
		case c == '"':
			n, err := readDoubleQuoted(s, i+1, &cur)
			if err != nil {
				return nil, err
			}
			i, inWord = n, true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("command %q: trailing backslash", s)
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// readDoubleQuoted copies the double-quoted text starting at s[i] into cur
// and returns the index of the closing quote.
func readDoubleQuoted(s string, i int, cur *strings.Builder) (int, error) {
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i, nil
		case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
			i++
			cur.WriteByte(s[i])
		default:
			cur.WriteByte(c)
		}
	}
	return 0, fmt.Errorf("command %q: unterminated double quote", s)
}
