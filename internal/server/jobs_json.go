package server

import (
	"encoding/json"
	"net/http"

	"github.com/wharf-project/wharf/internal/structs"
)

// rawJob mirrors the shape of a register body just enough to see which
// fields were sent.
type rawJob struct {
	Job map[string]json.RawMessage
}

func objects(raw json.RawMessage) []map[string]json.RawMessage {
	var out []map[string]json.RawMessage
	_ = json.Unmarshal(raw, &out)
	return out
}

// defaultCounts sets Count to 1 on groups whose Count was not sent, as
// Nomad does: an explicit 0 stays 0.
func defaultCounts(body []byte, job *structs.Job) error {
	var rj rawJob
	if err := json.Unmarshal(body, &rj); err != nil {
		return jsonError(err)
	}
	groups := objects(rj.Job["TaskGroups"])
	for i, tg := range job.TaskGroups {
		if tg == nil {
			return errorf(http.StatusBadRequest, "field Job.TaskGroups[%d]: null task group", i)
		}
		if i < len(groups) {
			if c, ok := groups[i]["Count"]; !ok || string(c) == "null" {
				tg.Count = 1
			}
		}
	}
	return nil
}
