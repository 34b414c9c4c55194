package spec

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoCommand: neither the task nor the image names a command.
var ErrNoCommand = errors.New("no command: set config.command or use an image with a default command")

// ProcessArgs returns the task's argv. With config.command set, command
// and args are joined with spaces and split again with POSIX shell quoting
// rules, because pot runs `command args...` through the jail's sh: the seed
// job's args ["-g", "'daemon off;'"] thus become nginx's argv
// ["nginx", "-g", "daemon off;"]. No shell runs in the task and nothing is
// expanded ($VAR, globs and ; are kept literally). Without a command the
// image's default command is used verbatim, followed by the args.
func ProcessArgs(c *Config, imageCmd []string) ([]string, error) {
	if c.Command == "" {
		if len(imageCmd) == 0 {
			return nil, ErrNoCommand
		}
		return append(append([]string(nil), imageCmd...), c.Args...), nil
	}
	line := strings.Join(append([]string{c.Command}, c.Args...), " ")
	argv, err := SplitWords(line)
	if err != nil {
		return nil, fmt.Errorf("config.command/args: %w", err)
	}
	if len(argv) == 0 {
		return nil, ErrNoCommand
	}
	return argv, nil
}

// SplitWords splits s into words like sh does, without expansions: blanks
// separate words, '…' quotes literally, "…" quotes with \ escaping only
// \ " $ and `, and a bare \ escapes the next character.
func SplitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		inw   bool
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inw {
				words, inw = append(words, cur.String()), false
				cur.Reset()
			}
			continue
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case ch == '"':
			n, err := doubleQuoted(s, i+1, &cur)
			if err != nil {
				return nil, err
			}
			i = n
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		default:
			cur.WriteByte(ch)
		}
		inw = true
	}
	if inw {
		words = append(words, cur.String())
	}
	return words, nil
}

// doubleQuoted copies a "…" section starting after the opening quote into
// cur and returns the index of the closing quote.
func doubleQuoted(s string, i int, cur *strings.Builder) (int, error) {
	for ; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"':
			return i, nil
		case ch == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`", s[i+1]) >= 0:
			i++
			cur.WriteByte(s[i])
		default:
			cur.WriteByte(ch)
		}
	}
	return 0, fmt.Errorf("unterminated \" in %q", s)
}
