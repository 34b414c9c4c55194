package ui_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCatalogNodeAndIngressPages opens the nodes, node, services, service
// and ingress pages with a registered service and checks each shows its
// data: drivers with health, the instance's address and its check's
// status and output, the ingress router for the service.
func TestCatalogNodeAndIngressPages(t *testing.T) {
	needBrowser(t)
	a := startDevAgent(t)
	reg := map[string]any{"Services": []map[string]any{{
		"ID": "pg-1", "ServiceName": "postgres", "NodeID": "external", "Address": "127.0.0.42", "Port": 5432,
		"Tags": []string{"primary"},
		"Checks": []map[string]any{{"ID": "tcp", "Name": "tcp", "Type": "tcp", "Status": "passing",
			"Output": "TCP connect 127.0.0.42:5432: Success"}},
	}}}
	a.apiCall(t, "PUT", "/v1/services/register", reg, nil)
	ctx := newTab(t, 90*time.Second)
	shots := newShooter(t, ctx)

	run(t, ctx, "open the nodes page", chromedp.Navigate(a.addr+"/ui/nodes"))
	waitText(t, ctx, "ready")
	shots.shot("nodes")
	evalUntil(t, ctx, 15*time.Second, "a link to the node", `(() => {
		const a = [...document.querySelectorAll('a')].find(a => (a.getAttribute('href') || '').startsWith('/ui/nodes/'));
		if (!a) return false;
		a.click();
		return true;
	})()`, pageText)
	waitText(t, ctx, "raw_exec")
	waitText(t, ctx, "pot")
	shots.shot("node")

	run(t, ctx, "open the services page", chromedp.Navigate(a.addr+"/ui/services"))
	waitText(t, ctx, "postgres")
	shots.shot("services")
	run(t, ctx, "open the service", chromedp.Navigate(a.addr+"/ui/services/postgres"))
	waitText(t, ctx, "127.0.0.42")
	waitText(t, ctx, "TCP connect 127.0.0.42:5432: Success")
	waitText(t, ctx, "passing")
	shots.shot("service")

	run(t, ctx, "open the ingress page", chromedp.Navigate(a.addr+"/ui/ingress"))
	waitText(t, ctx, "postgres.minipot")
	shots.shot("ingress")
}
