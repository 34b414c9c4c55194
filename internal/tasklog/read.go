package tasklog

import "fmt"

// position is where streaming resumes: a file index and an offset in it.
type position struct {
	index  int
	offset int64
}

// startPosition resolves origin and offset against the files: from the
// start, offset bytes into the oldest file; from the end, offset bytes
// before the end, walking back over rotated files.
func startPosition(files []File, origin string, offset int64) (position, error) {
	if len(files) == 0 {
		return position{}, nil
	}
	switch origin {
	case "", "start":
		return position{index: files[0].Index, offset: min(offset, files[0].Size)}, nil
	case "end":
		remaining := offset
		for i := len(files) - 1; i >= 0; i-- {
			if remaining <= files[i].Size {
				return position{index: files[i].Index, offset: files[i].Size - remaining}, nil
			}
			remaining -= files[i].Size
		}
		return position{index: files[0].Index}, nil
	}
	return position{}, fmt.Errorf("origin %q: must be \"start\" or \"end\"", origin)
}
