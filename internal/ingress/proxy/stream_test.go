package proxy

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/wharf-project/wharf/internal/ingress/config"
)

// oneRoute is a proxy routing every host on entry point web to urls.
func oneRoute(t *testing.T, urls ...string) string {
	t.Helper()
	p := testProxy(t, Options{})
	p.Update(cfg([]*config.Router{router("all", "PathPrefix(`/`)", "s")}, []*config.Service{svc("s", urls...)}))
	return serve(t, p.Handler("web"), ServerOptions{})
}

func TestBackendResetMidResponse(t *testing.T) {
	tests := []struct {
		name   string
		length string
	}{
		{"content-length", "100"},
		{"chunked", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.length != "" {
					w.Header().Set("Content-Length", tt.length)
				}
				io.WriteString(w, "partial")
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler) // the server drops the connection
			})
			url := oneRoute(t, back.URL)
			resp, err := http.Get(url)
			if err != nil {
				return // aborted before the header: also not a fake success
			}
			defer resp.Body.Close()
			if _, err := io.ReadAll(resp.Body); err == nil {
				t.Errorf("client read a complete %d response; want an error", resp.StatusCode)
			}
		})
	}
}

func TestServerSentEventsStream(t *testing.T) {
	next := make(chan struct{})
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			io.WriteString(w, "data: "+string(rune('0'+i))+"\n\n")
			w.(http.Flusher).Flush()
			if i < 2 {
				<-next // the next event waits until the client saw this one
			}
		}
	})
	url := oneRoute(t, back.URL)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if want := "data: " + string(rune('0'+i)) + "\n"; line != want {
			t.Fatalf("event %d: %q, want %q", i, line, want)
		}
		br.ReadString('\n')
		if i < 2 {
			next <- struct{}{}
		}
	}
}

func TestWebSocketEcho(t *testing.T) {
	back := handlerBackend(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	})
	url := oneRoute(t, back.URL)
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/ws", &websocket.DialOptions{Host: "echo.minipot"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, msg := range []string{"hello", "wharf"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || string(got) != msg {
			t.Fatalf("echo of %q: %q, %v", msg, got, err)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
}

func TestH2CClient(t *testing.T) {
	back := namedBackend(t, "A")
	url := oneRoute(t, back.URL)
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &protos}}
	defer client.CloseIdleConnections()
	code, body, resp := do(t, client, http.MethodGet, url, "web.minipot", nil)
	if code != 200 || body != "A" || resp.ProtoMajor != 2 {
		t.Errorf("h2c: %d %q over %s", code, body, resp.Proto)
	}
}
