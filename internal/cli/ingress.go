package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wharf-project/wharf/internal/ingress/dashboard"
)

// defaultDashboard is where `wharf ingress` finds the ingress dashboard
// without -dashboard or $WHARF_INGRESS_DASHBOARD.
const defaultDashboard = "http://127.0.0.1:9200"

func (m *meta) ingressCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingress",
		Short: "Inspect the ingress (routers and services)",
		Long: `Inspect the ingress through its dashboard API (Traefik-shaped, on :9200 by
default): the routers built from the catalog, their rules and services, and the
health of each service's servers.`,
		Example: `  wharf ingress routes
  wharf ingress routes -dashboard http://10.0.0.5:9200`,
	}
	cmd.AddCommand(m.ingressRoutesCommand())
	return cmd
}

func (m *meta) ingressRoutesCommand() *cobra.Command {
	var (
		asJSON bool
		addr   string
	)
	cmd := &cobra.Command{
		Use:   "routes [flags]",
		Short: "List the ingress routers with their rules, services and servers",
		Long: `List the ingress's routers: name, rule, service, how many of the service's
servers are up out of how many, and the router's status. A router disabled by
a malformed rule or tag shows the reason. The dashboard is read at -dashboard
(default $WHARF_INGRESS_DASHBOARD, then ` + defaultDashboard + `). -json prints
the dashboard API's routers (GET /api/http/routers).`,
		Example: `  wharf ingress routes
  wharf ingress routes -json
  WHARF_INGRESS_DASHBOARD=http://127.0.0.1:19200 wharf ingress routes`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := dashboardURL(addr)
			if err != nil {
				return &usageError{err}
			}
			return m.ingressRoutes(base, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the dashboard API's routers as JSON")
	cmd.Flags().StringVar(&addr, "dashboard", "", "address of the ingress dashboard (default $WHARF_INGRESS_DASHBOARD or "+defaultDashboard+")")
	return cmd
}

// dashboardURL resolves the dashboard's base URL from the flag, the
// environment and the default; a bare host:port gets http://.
func dashboardURL(flag string) (string, error) {
	addr := flag
	if addr == "" {
		addr = os.Getenv("WHARF_INGRESS_DASHBOARD")
	}
	if addr == "" {
		addr = defaultDashboard
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("-dashboard: %q is not an address (e.g. http://127.0.0.1:9200)", addr)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func (m *meta) ingressRoutes(base string, asJSON bool) error {
	c := &http.Client{Timeout: 10 * time.Second}
	var routers []dashboard.RouterInfo
	if err := getDashboardList(c, base+"/api/http/routers", &routers); err != nil {
		return failed(err)
	}
	if asJSON {
		return printJSON(m.out, routers)
	}
	var services []dashboard.ServiceInfo
	if err := getDashboardList(c, base+"/api/http/services", &services); err != nil {
		return failed(err)
	}
	if len(routers) == 0 {
		fmt.Fprintln(m.out, "No routers")
		return nil
	}
	fmt.Fprint(m.out, formatList(routeRows(routers, services)))
	return nil
}

// routeRows builds the routes table.
func routeRows(routers []dashboard.RouterInfo, services []dashboard.ServiceInfo) [][]string {
	byName := map[string]dashboard.ServiceInfo{}
	for _, s := range services {
		byName[s.Name] = s
	}
	rows := [][]string{{"Router", "Rule", "Service", "Servers", "Status"}}
	for _, r := range routers {
		svc := r.Service
		if !strings.Contains(svc, "@") {
			svc += "@" + r.Provider
		}
		servers := "-"
		if s, ok := byName[svc]; ok {
			up := 0
			for _, st := range s.ServerStatus {
				if st == "UP" {
					up++
				}
			}
			servers = strconv.Itoa(up) + "/" + strconv.Itoa(len(s.LoadBalancer.Servers))
		}
		status := r.Status
		if len(r.Err) > 0 {
			status += ": " + strings.Join(r.Err, "; ")
		}
		rows = append(rows, []string{r.Name, r.Rule, r.Service, servers, status})
	}
	return rows
}

// getDashboardList reads every page of a dashboard list endpoint into
// out (a pointer to a slice).
func getDashboardList[T any](c *http.Client, endpoint string, out *[]T) error {
	for pageNo := 1; ; {
		res, err := c.Get(endpoint + "?per_page=1000&page=" + strconv.Itoa(pageNo))
		if err != nil {
			return fmt.Errorf("reading the ingress dashboard: %w (is the ingress running? set -dashboard or $WHARF_INGRESS_DASHBOARD)", err)
		}
		var part []T
		err = decodeDashboard(res, &part)
		if err != nil {
			return fmt.Errorf("reading %s: %w", endpoint, err)
		}
		*out = append(*out, part...)
		next, _ := strconv.Atoi(res.Header.Get("X-Next-Page"))
		if next <= pageNo {
			return nil
		}
		pageNo = next
	}
}

func decodeDashboard(res *http.Response, v any) error {
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e struct{ Message string }
		_ = json.NewDecoder(res.Body).Decode(&e)
		return fmt.Errorf("%s: %s", res.Status, e.Message)
	}
	return json.NewDecoder(res.Body).Decode(v)
}
