package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/wharf-project/wharf/internal/acl"
	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/netlimit"
)

// Config configures the DNS server.
type Config struct {
	// Reader is the catalog's store.
	Reader catalog.Reader
	// Domain is the served domain, "wharf" by default.
	Domain string
	// Aliases are further domains answered the same way; nil means
	// ["consul"], an empty non-nil slice none.
	Aliases []string
	// Datacenter, when set, is the only datacenter label accepted in
	// names; any is accepted when empty.
	Datacenter string
	// TTL of the answers; 0 by default (always fresh).
	TTL    time.Duration
	Logger *slog.Logger
	// Conns caps the TCP connections held at once; nil means no cap.
	// At the cap, connections wait in the kernel's queue until one
	// closes, so that a flood cannot take the descriptors the process's
	// other roles need.
	Conns *netlimit.Limiter
	// ACL, when set (ACLs on), returns what a query may read at the time:
	// the anonymous policy's ACL, as Consul's DNS answers with the
	// agent's default token. A service is answered only with service read
	// on its name, a node (and node names as SRV targets) only with node
	// read; nil answers everything.
	ACL func() *acl.ACL
}

// Server answers catalog queries.
type Server struct {
	cfg     Config
	domains []string // fully qualified, lower case, primary first
	mu      sync.Mutex
	servers []*mdns.Server
	addr    string
}

// New returns a server for cfg; Start makes it listen.
func New(cfg Config) (*Server, error) {
	if cfg.Reader == nil {
		return nil, errors.New("dns: no catalog reader")
	}
	if cfg.Domain == "" {
		cfg.Domain = "wharf"
	}
	if cfg.Aliases == nil {
		cfg.Aliases = []string{"consul"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg}
	for _, d := range append([]string{cfg.Domain}, cfg.Aliases...) {
		fq := mdns.Fqdn(strings.ToLower(strings.Trim(d, ".")))
		if _, ok := mdns.IsDomainName(fq); !ok || fq == "." {
			return nil, fmt.Errorf("dns: domain %q is not a domain name", d)
		}
		s.domains = append(s.domains, fq)
	}
	return s, nil
}

// Start listens on addr (host:port; port 0 picks one) over TCP and UDP on
// the same port and serves in the background.
func (s *Server) Start(addr string) error {
	tcp, udp, err := listenBoth(addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr = tcp.Addr().String()
	tcp = netlimit.NewListener(tcp, s.cfg.Conns, s.cfg.Logger)
	s.servers = []*mdns.Server{
		{Listener: tcp, Handler: s, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second},
		{PacketConn: udp, Handler: s, UDPSize: 65535},
	}
	for _, srv := range s.servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func(srv *mdns.Server) {
			if err := srv.ActivateAndServe(); err != nil {
				s.cfg.Logger.Debug("dns server stopped", "err", err)
			}
		}(srv)
		<-started
	}
	return nil
}

// listenBoth opens TCP and UDP on one port; with port 0 it retries until
// the UDP port matching the picked TCP port is free.
func listenBoth(addr string) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dns address %q: %w", addr, err)
	}
	var lastErr error
	for try := 0; try < 20; try++ {
		tcp, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen for DNS on tcp %s: %w", addr, err)
		}
		p := strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, p))
		if err == nil {
			return tcp, udp, nil
		}
		_ = tcp.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return nil, nil, fmt.Errorf("listen for DNS on udp %s: %w", addr, lastErr)
}

// Addr is the address the server listens on (TCP and UDP), or "" before
// Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops serving.
func (s *Server) Close() error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.ShutdownContext(ctx))
	}
	return errors.Join(errs...)
}

// ServeDNS answers one query; UDP answers are cut to the client's buffer.
func (s *Server) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	size := mdns.MaxMsgSize
	if _, udp := w.LocalAddr().(*net.UDPAddr); udp {
		size = udpSize(req)
	}
	resp := s.Answer(req, size)
	if err := w.WriteMsg(resp); err != nil {
		s.cfg.Logger.Debug("dns write", "err", err)
	}
}

// udpSize is the largest UDP answer the client takes: its EDNS0 buffer
// size, at least 512 bytes.
func udpSize(req *mdns.Msg) int {
	if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > mdns.MinMsgSize {
		return int(opt.UDPSize())
	}
	return mdns.MinMsgSize
}
