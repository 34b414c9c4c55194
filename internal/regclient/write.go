package regclient

import (
	"context"
	"io"
	"net/http"

	"github.com/wharf-project/wharf/internal/registry"
)

// Upload stores size bytes of body as the registry's file named file.
// sum, when not empty, is the hex SHA-256 of body: the registry refuses
// a body that does not match it, and keeps the file it had.
func (c *Client) Upload(ctx context.Context, file string, body io.Reader, size int64, sum string) error {
	req, err := c.newRequest(ctx, http.MethodPut, file, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	if sum != "" {
		req.Header.Set(registry.DigestHeader, sum)
	}
	return c.write(req)
}

// Delete removes the registry's file named file; a missing file is a
// *StatusError with code 404.
func (c *Client) Delete(ctx context.Context, file string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, file, nil)
	if err != nil {
		return err
	}
	return c.write(req)
}
