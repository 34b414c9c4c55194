package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// bodyConn is a connection whose reads come from r and whose writes and
// deadlines go nowhere: a server sending a body, for the fuzzer.
type bodyConn struct {
	net.Conn
	r *bytes.Reader
}

func (c *bodyConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *bodyConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *bodyConn) SetDeadline(time.Time) error      { return nil }
func (c *bodyConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bodyConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzChunkedBody feeds the fast path's chunked body relay what a server
// (a jail's code) may send after a chunked response head. Where the fast
// path and net/http both read a whole body, they must end it at the same
// byte with the same data: the fast path reuses the server connection
// from there, so ending it elsewhere would hand the rest to the next
// client's request. What it relays is the server's bytes up to that end,
// unchanged. Seeds are here and in testdata/fuzz/FuzzChunkedBody.
func FuzzChunkedBody(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nHTTP/1.1 200 OK\r\n",
		"A\r\n0123456789\r\n0\r\n\r\n",
		"5\nhello\n0\n\n",
		"5 \r\nhello\r\n0\r\n\r\n",
		"0\r\n\r\n",
		"ffffffffffffffff\r\n",
		"5\r\nhelloXX0\r\n\r\n",
		"-5\r\nhello\r\n0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sent := &bodyConn{r: bytes.NewReader(data)}
		bc := &bconn{c: sent, br: bufio.NewReaderSize(sent, fastBufSize)}
		var out bytes.Buffer
		fc := &fastConn{p: &Proxy{opts: Options{BodyTimeout: time.Minute}}, c: &bodyConn{r: bytes.NewReader(nil)},
			bw: bufio.NewWriterSize(&out, fastBufSize)}
		n, err := fc.chunks(bc)
		fc.bw.Flush()
		if err != nil {
			return
		}
		used := len(data) - sent.r.Len() - bc.br.Buffered()
		if !bytes.Equal(out.Bytes(), data[:used]) {
			t.Fatalf("%q: relayed %q, want the %d bytes read", data, out.Bytes(), used)
		}
		body, stdUsed, stdErr := readChunkedStd(data)
		if stdErr != nil {
			return // net/http is stricter about some lines the fast path relays as they are
		}
		if stdUsed != used || int64(len(body)) != n {
			t.Fatalf("%q: fast path ends the body after %d bytes with %d of data, net/http after %d with %d",
				data, used, n, stdUsed, len(body))
		}
	})
}

// readChunkedStd reads data as a chunked response body with net/http,
// trailers included, and returns the body and the bytes it consumed.
func readChunkedStd(data []byte) ([]byte, int, error) {
	rest := bytes.NewReader(data)
	br := bufio.NewReader(io.MultiReader(strings.NewReader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), rest))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	return body, len(data) - rest.Len() - br.Buffered(), nil
}
