package regclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/registry"
)

// MaxListBytes bounds the image list Images reads: ample for a hundred
// thousand images, small enough that a hostile answer cannot exhaust
// memory.
const MaxListBytes = 32 << 20

// Images returns the registry's image list (GET /v1/images), sorted as the
// registry sent it; an empty registry gives an empty, non-nil list.
func (c *Client) Images(ctx context.Context) ([]registry.Image, error) {
	req, err := c.newRequest(ctx, http.MethodGet, registry.ImagesPath, nil)
	if err != nil {
		return nil, err
	}
	u := req.URL.String()
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(req, resp)
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return nil, fmt.Errorf("GET %s: the answer is %q, not JSON: is this a wharf registry?", u, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read: %w", u, err)
	}
	if len(body) > MaxListBytes {
		return nil, fmt.Errorf("GET %s: the image list is larger than %d bytes", u, MaxListBytes)
	}
	images := []registry.Image{}
	if err := json.Unmarshal(body, &images); err != nil {
		return nil, fmt.Errorf("GET %s: decode: %w", u, err)
	}
	if images == nil {
		images = []registry.Image{}
	}
	return images, nil
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
