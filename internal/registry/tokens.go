package registry

import (
	"fmt"
	"os"
	"strings"
)

// ParseTokens returns the bearer tokens of a token file's contents: one
// token a line, surrounding blanks trimmed, blank lines and lines starting
// with # left out.
func ParseTokens(data []byte) []string {
	var tokens []string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			tokens = append(tokens, line)
		}
	}
	return tokens
}

// ReadTokenFile reads the token file at path (see ParseTokens). A file
// that holds no token is an error: a registry started with it would
// silently refuse every upload.
func ReadTokenFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	tokens := ParseTokens(data)
	if len(tokens) == 0 {
		return nil, fmt.Errorf("token file %s holds no token", path)
	}
	return tokens, nil
}
