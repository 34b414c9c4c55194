package tmpl

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// BenchmarkHaproxyPass measures one re-render pass of the haproxy example
// over 100 services of 10 instances each, with the catalog data already
// followed (what a change costs after the first render).
func BenchmarkHaproxyPass(b *testing.B) {
	f := newFakeCatalog(b)
	var regs []*structs.ServiceRegistration
	for s := range 100 {
		for i := range 10 {
			regs = append(regs, reg(fmt.Sprintf("svc%d-%d", s, i), fmt.Sprintf("svc%d", s),
				fmt.Sprintf("10.0.%d.%d", s, i), 8000+i, structs.HealthPassing))
		}
	}
	f.register(regs...)
	dest := filepath.Join(b.TempDir(), "haproxy.cfg")
	r, err := New(Options{Client: f.client(b), Once: true,
		Templates: []Spec{{Source: "../../examples/templates/haproxy.cfg.tmpl", Dest: dest}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newStore(ctx, r.opts.Client, r.log, false)
	defer s.close()
	for _, f := range r.files {
		f.t.Funcs(funcMap(s))
	}
	if err := r.pass(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := r.pass(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
