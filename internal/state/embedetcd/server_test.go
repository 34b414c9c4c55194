package embedetcd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func client(t *testing.T, srv *Server) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func TestSingleMemberDefaults(t *testing.T) {
	ctx := testCtx(t)
	srv, err := Start(ctx, Config{DataDir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.Endpoints()[0], "http://127.0.0.1:") || srv.MaxTxnOps() != DefaultMaxTxnOps ||
		srv.MaxRequestBytes() != DefaultMaxRequestBytes {
		t.Fatalf("endpoints %v limits %d/%d", srv.Endpoints(), srv.MaxTxnOps(), srv.MaxRequestBytes())
	}
	cli := client(t, srv)
	ops := make([]clientv3.Op, 1000)
	for i := range ops {
		ops[i] = clientv3.OpPut(fmt.Sprintf("k%04d", i), "v")
	}
	if _, err := cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		t.Fatalf("a 1000-op txn (over etcd's default 128) failed: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestMissingDataDir(t *testing.T) {
	if _, err := Start(testCtx(t), Config{}); err == nil {
		t.Fatal("Start without DataDir succeeded")
	}
}

// cluster returns the configurations of n members on free loopback ports.
func cluster(t *testing.T, n int) []Config {
	t.Helper()
	cfgs := make([]Config, n)
	var initial []string
	for i := range cfgs {
		cp, err1 := FreePort()
		pp, err2 := FreePort()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		cfgs[i] = Config{DataDir: t.TempDir(), Name: fmt.Sprintf("m%d", i), UnsafeNoFsync: true,
			ClientURL: fmt.Sprintf("http://127.0.0.1:%d", cp), PeerURL: fmt.Sprintf("http://127.0.0.1:%d", pp)}
		initial = append(initial, cfgs[i].Name+"="+cfgs[i].PeerURL)
	}
	for i := range cfgs {
		cfgs[i].InitialCluster = strings.Join(initial, ",")
	}
	return cfgs
}

func TestThreeMemberCluster(t *testing.T) {
	ctx := testCtx(t)
	srvs, errs := startCluster(ctx, t, 3, nil)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		t.Cleanup(func() { _ = srvs[i].Close() })
	}
	if _, err := client(t, srvs[0]).Put(ctx, "written-on", "m0"); err != nil {
		t.Fatal(err)
	}
	resp, err := client(t, srvs[2]).Get(ctx, "written-on")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "m0" {
		t.Fatalf("member 2 reads %v, %v", resp, err)
	}
	members, err := client(t, srvs[1]).MemberList(ctx)
	if err != nil || len(members.Members) != 3 {
		t.Fatalf("member list %v, %v", members, err)
	}
}

func TestNoQuorumTimesOut(t *testing.T) {
	cfgs := cluster(t, 2)
	cfgs[0].ReadyTimeout = time.Second
	_, err := Start(testCtx(t), cfgs[0])
	if err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("member without quorum: %v, want a not-ready error", err)
	}
}
