package agent

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wharf-project/wharf/internal/registry"
)

// registryRole is the running registry: its server and listener.
type registryRole struct {
	srv   *registry.Server
	http  *http.Server
	ln    net.Listener
	token string // generated in -dev, "" otherwise
}

// startRegistry serves the image directory on its own port.
func (a *Agent) startRegistry() error {
	rc := a.cfg.Registry
	dir := rc.Dir
	if dir == "" {
		dir = filepath.Join(a.cfg.DataDir, "registry")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("registry dir %s: %w", dir, err)
	}
	tokens, generated, err := a.registryTokens(rc)
	if err != nil {
		return err
	}
	maxUpload := DefaultRegistryMaxUpload
	if cl, err := a.cfg.ConnLimits(); err == nil {
		maxUpload = cl.RegistryMaxUpload // limits.registry_max_upload
	}
	authz, err := a.registryAuthorizer()
	if err != nil {
		return err
	}
	srv, err := registry.New(registry.Config{Dir: dir, Tokens: tokens, Authorize: authz, PrivateReads: rc.PrivateReads,
		MaxUploadBytes: maxUpload, Logger: a.log.With("role", "registry")})
	if err != nil {
		return fmt.Errorf("start registry in %s: %w", dir, err)
	}
	addr := net.JoinHostPort(a.cfg.BindAddr, strconv.Itoa(rc.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("listen for the registry on %s: %w", addr, err)
	}
	if ln, err = a.wrapTLS(a.limitListener("registry", ln), userListener); err != nil {
		_ = srv.Close()
		return err
	}
	r := &registryRole{srv: srv, ln: ln, token: generated, http: a.bound(&http.Server{Handler: srv.Handler()})}
	a.registry = r
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := r.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("registry stopped", "err", err)
		}
	}()
	return nil
}

// registryTokens reads the token file, or in -dev makes up a token and
// writes it to <data_dir>/registry-token so scripts can push.
func (a *Agent) registryTokens(rc *RegistryConfig) (tokens []string, generated string, err error) {
	if rc.TokenFile != "" {
		tokens, err := registry.ReadTokenFile(rc.TokenFile)
		if err != nil {
			return nil, "", fmt.Errorf("registry.token_file: %w", err)
		}
		return tokens, "", nil
	}
	if !a.cfg.Dev {
		return nil, "", nil
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	generated = hex.EncodeToString(b)
	path := filepath.Join(a.cfg.DataDir, "registry-token")
	if err := os.WriteFile(path, []byte(generated+"\n"), 0o600); err != nil {
		return nil, "", fmt.Errorf("write the dev registry token: %w", err)
	}
	return []string{generated}, generated, nil
}

// RegistryAddr is the registry's address, or "" without the role.
func (a *Agent) RegistryAddr() string {
	if a.registry == nil {
		return ""
	}
	return a.registry.ln.Addr().String()
}

// RegistryTokenFile is where -dev wrote the upload token, or "".
func (a *Agent) RegistryTokenFile() string {
	if a.registry == nil || a.registry.token == "" {
		return ""
	}
	return filepath.Join(a.cfg.DataDir, "registry-token")
}

// stopRegistry shuts the registry down.
func (a *Agent) stopRegistry() error {
	if a.registry == nil {
		return nil
	}
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	return errors.Join(a.registry.http.Shutdown(ctx), a.registry.srv.Close())
}
