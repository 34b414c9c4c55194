package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/registry"
)

// registryFlags are the flags of `wharf registry`.
type registryFlags struct {
	dir       string
	bind      string
	port      int
	tokenFile string
	maxUpload int64
}

// newRegistryCommand returns `wharf registry`: a standalone image
// registry serving one directory.
func newRegistryCommand() *cobra.Command {
	var f registryFlags
	cmd := &cobra.Command{
		Use:   "registry -dir DIR",
		Short: "Serve pot images from a directory over HTTP",
		Long: `Serve the images in DIR over plain HTTP: GET and HEAD of any file (with
Range requests and ETags), GET / for a directory listing and GET /v1/images
for a JSON list of images grouped as <name>_<tag> with the .tar.zst, .json,
.sha256 and .sig files present.

With -token-file (one bearer token per line; blank lines and # comments
ignored), PUT /<name>_<tag>.<ext> with "Authorization: Bearer TOKEN" uploads
a file atomically (an optional X-Content-Sha256 header is verified first)
and DELETE removes one. Without it the registry is read-only.

Any static web server holding the same files is a registry too; this
command adds the listing and the uploads. Stop it with Ctrl-C.`,
		Example: `  # Serve ./images read-only on the default port
  wharf registry -dir ./images

  # Accept uploads from holders of a token
  wharf registry -dir /var/db/wharf/images -bind 0.0.0.0 -token-file /usr/local/etc/wharf/registry.tokens
  curl -T web_1.0.tar.zst -H "Authorization: Bearer $TOKEN" http://registry:9080/web_1.0.tar.zst`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRegistry(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "directory holding the image files (required)")
	fl.StringVar(&f.bind, "bind", "127.0.0.1", "address to listen on")
	fl.IntVar(&f.port, "port", registry.DefaultPort, "port to listen on")
	fl.StringVar(&f.tokenFile, "token-file", "", "file of bearer tokens allowed to upload and delete (default: read-only)")
	fl.Int64Var(&f.maxUpload, "max-upload-bytes", registry.DefaultMaxUploadBytes, "largest file an upload may hold")
	return cmd
}

// runRegistry serves until SIGINT or SIGTERM, then shuts down gracefully.
func runRegistry(cmd *cobra.Command, f registryFlags) error {
	if f.dir == "" {
		return &usageError{errors.New("-dir is required")}
	}
	var tokens []string
	if f.tokenFile != "" {
		var err error
		if tokens, err = registry.ReadTokenFile(f.tokenFile); err != nil {
			return exitWith(exitError, err)
		}
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	srv, err := registry.New(registry.Config{Dir: f.dir, Tokens: tokens, MaxUploadBytes: f.maxUpload, Logger: logger})
	if err != nil {
		return exitWith(exitError, err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(f.bind, strconv.Itoa(f.port)))
	if err != nil {
		return exitWith(exitError, fmt.Errorf("listen: %w", err))
	}
	mode := "read-only"
	if len(tokens) > 0 {
		mode = fmt.Sprintf("uploads allowed for %d token(s)", len(tokens))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "==> wharf registry serving %s at http://%s (%s)\n", srv.Dir(), ln.Addr(), mode)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveUntil(ctx, ln, srv.Handler()); err != nil {
		return exitWith(exitError, err)
	}
	return nil
}

// serveUntil serves h on ln until ctx ends, then gives in-flight requests
// ten seconds to finish.
func serveUntil(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 180 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
