package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/wharf-project/wharf/internal/image"
	"github.com/wharf-project/wharf/internal/regclient"
)

const (
	// partSuffix marks a file that is still being downloaded.
	partSuffix = ".part"
	// maxSmallFile bounds the manifest, digest and signature files.
	maxSmallFile = 1 << 20
	// maxAttempts bounds the resumed attempts of one tarball download; a
	// retry happens only when the previous attempt added bytes.
	maxAttempts = 5
	// reportEvery is the minimum interval between progress reports.
	reportEvery = 500 * time.Millisecond
)

// errNoProgress is the watchdog's cancellation cause.
var errNoProgress = errors.New("no progress")

// transientError marks a download that broke off and may be resumed.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// download fetches the manifest, digest, signature (when keys are
// configured) and tarball of name:tag into the downloads directory.
func (c *Cache) download(ctx context.Context, reg *regclient.Client, name, tag string, progress func(Progress)) error {
	small := []string{image.ExtManifest, image.ExtDigest}
	if len(c.keys) > 0 {
		small = append(small, image.ExtSig)
	}
	for _, ext := range small {
		if err := c.fetchSmall(ctx, reg, name, tag, ext); err != nil {
			return err
		}
	}
	tarPath := c.path(name, tag, image.ExtRootfs)
	if _, err := os.Stat(tarPath); err == nil {
		if _, err := image.VerifyFiles(c.downloadsDir(), name, tag, c.keys); err == nil {
			return nil // an earlier download is complete, only the unpack is missing
		}
		if err := os.Remove(tarPath); err != nil {
			return fmt.Errorf("image %s: %w", image.Ref(name, tag), err)
		}
	}
	return c.fetchTarball(ctx, reg, fileName(name, tag, image.ExtRootfs), tarPath, progress)
}

// fetchSmall downloads one small file, replacing any earlier copy.
func (c *Cache) fetchSmall(ctx context.Context, reg *regclient.Client, name, tag, ext string) error {
	u := fileURL(reg, name, tag, ext)
	dst := c.path(name, tag, ext)
	err := c.transfer(ctx, reg, fileName(name, tag, ext), dst+partSuffix, false, maxSmallFile, nil)
	var st *statusError
	if ext == image.ExtSig && errors.As(err, &st) && st.code == http.StatusNotFound {
		return fmt.Errorf("fetch %s: image %s is %w", u, image.Ref(name, tag), image.ErrNotSigned)
	}
	if err != nil {
		return err
	}
	if err := os.Rename(dst+partSuffix, dst); err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	return nil
}

// fetchTarball downloads the registry's file into dst through dst.part,
// resuming a part left by an earlier attempt and retrying while attempts
// make progress.
func (c *Cache) fetchTarball(ctx context.Context, reg *regclient.Client, file, dst string, progress func(Progress)) error {
	u := reg.FileURL(file)
	part := dst + partSuffix
	for attempt := 1; ; attempt++ {
		before := fileSize(part)
		err := c.transfer(ctx, reg, file, part, true, -1, progress)
		if err == nil {
			break
		}
		var te *transientError
		if ctx.Err() != nil || !errors.As(err, &te) || attempt >= maxAttempts || fileSize(part) <= before {
			return err
		}
		c.log.Info("image download interrupted, resuming", "url", u, "attempt", attempt, "err", err)
	}
	if err := os.Rename(part, dst); err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	return nil
}

// fileSize returns the size of path, or 0 when it cannot be read.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// statusError is an unexpected HTTP response status.
type statusError struct {
	url    string
	code   int
	status string
}

func (e *statusError) Error() string { return fmt.Sprintf("fetch %s: %s", e.url, e.status) }

// transfer does one GET of the registry's file into part. With resume it continues an
// existing part through a Range request; limit >= 0 bounds the size. A
// watchdog cancels the request when no byte arrives for the progress
// deadline.
func (c *Cache) transfer(ctx context.Context, reg *regclient.Client, file, part string, resume bool, limit int64, progress func(Progress)) error {
	u := reg.FileURL(file)
	offset := int64(0)
	if resume {
		offset = fileSize(part)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(c.deadline, func() { cancel(errNoProgress) })
	defer watchdog.Stop()

	body, err := reg.Get(ctx, file, offset)
	if err != nil {
		return c.getErr(ctx, u, err)
	}
	defer body.Close()
	offset, total := body.Offset, body.Total
	if limit >= 0 && total > limit {
		return fmt.Errorf("fetch %s: %d bytes is larger than the limit of %d", u, total, limit)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	rep := newReporter(progress, file, offset, total)
	n, err := c.copyBody(ctx, f, body, watchdog, rep, limit)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return c.bodyErr(ctx, u, offset+n, total, err)
	}
	if total >= 0 && offset+n != total {
		return &transientError{fmt.Errorf("fetch %s: truncated after %d of %d bytes", u, offset+n, total)}
	}
	rep.report(offset+n, true)
	return nil
}

// getErr explains a failed Get: a part that is already complete (nil), an
// unexpected status, an answer that does not fit the request, or a failed
// request.
func (c *Cache) getErr(ctx context.Context, u string, err error) error {
	var st *regclient.StatusError
	var re *regclient.RangeError
	switch {
	case errors.Is(err, regclient.ErrPastEnd):
		return nil // 416: the part is already complete
	case errors.As(err, &st):
		return &statusError{url: u, code: st.Code, status: st.Status}
	case errors.As(err, &re):
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	return c.requestErr(ctx, u, err)
}

// copyBody copies r to w, resetting the watchdog on every read that
// returned bytes and feeding the reporter. It returns the bytes written.
func (c *Cache) copyBody(ctx context.Context, w io.Writer, r io.Reader, watchdog *time.Timer, rep *reporter, limit int64) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			watchdog.Reset(c.deadline)
			if _, err := w.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
			if limit >= 0 && n > limit {
				return n, fmt.Errorf("larger than the limit of %d bytes", limit)
			}
			rep.report(rep.offset+n, false)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
	}
}

// requestErr explains a failed request: watchdog, caller cancel, or an
// unreachable registry.
func (c *Cache) requestErr(ctx context.Context, u string, err error) error {
	if errors.Is(context.Cause(ctx), errNoProgress) {
		return &transientError{fmt.Errorf("fetch %s: no progress for %s waiting for a response", u, c.deadline)}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("fetch %s: %w", u, context.Cause(ctx))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("fetch %s: registry unreachable: %w", u, err)
}

// bodyErr explains a failed body read after have of total bytes.
func (c *Cache) bodyErr(ctx context.Context, u string, have, total int64, err error) error {
	if errors.Is(context.Cause(ctx), errNoProgress) {
		return &transientError{fmt.Errorf("fetch %s: no progress for %s after %d of %s bytes", u, c.deadline, have, sizeString(total))}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("fetch %s: %w", u, context.Cause(ctx))
	}
	return &transientError{fmt.Errorf("fetch %s: truncated after %d of %s bytes: %w", u, have, sizeString(total), err)}
}

func sizeString(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}
