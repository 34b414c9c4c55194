package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// Nomad job fields wharf does not implement. A submitted job that sets one
// of them is refused with the field named, never silently trimmed.
var (
	unsupportedJobFields   = []string{"Periodic", "ParameterizedJob", "Multiregion", "Affinities", "Dispatched"}
	unsupportedGroupFields = []string{"Volumes", "Affinities", "Scaling", "Disconnect"}
	unsupportedTaskFields  = []string{"Lifecycle", "Artifacts", "Vault", "Templates", "VolumeMounts",
		"CSIPluginConfig", "DispatchPayload", "Affinities", "Secrets", "Actions", "ScalingPolicies"}
	unsupportedServiceFields = []string{"Connect"}
)

// rawJob mirrors the shape of a register body just enough to see which
// fields were sent.
type rawJob struct {
	Job map[string]json.RawMessage
}

// checkUnsupported refuses bodies that use Nomad features wharf lacks.
func checkUnsupported(body []byte) error {
	var rj rawJob
	if err := json.Unmarshal(body, &rj); err != nil {
		return jsonError(err)
	}
	var problems []string
	problems = append(problems, setFields("Job", rj.Job, unsupportedJobFields)...)
	for gi, g := range objects(rj.Job["TaskGroups"]) {
		gpath := fmt.Sprintf("Job.TaskGroups[%d]", gi)
		problems = append(problems, setFields(gpath, g, unsupportedGroupFields)...)
		problems = append(problems, serviceProblems(gpath, g)...)
		for ti, t := range objects(g["Tasks"]) {
			tpath := fmt.Sprintf("%s.Tasks[%d]", gpath, ti)
			problems = append(problems, setFields(tpath, t, unsupportedTaskFields)...)
			problems = append(problems, serviceProblems(tpath, t)...)
		}
	}
	if len(problems) > 0 {
		return errorf(http.StatusBadRequest, "unsupported by wharf: %s", strings.Join(problems, "; "))
	}
	return nil
}

func serviceProblems(path string, obj map[string]json.RawMessage) []string {
	var out []string
	for si, svc := range objects(obj["Services"]) {
		out = append(out, setFields(fmt.Sprintf("%s.Services[%d]", path, si), svc, unsupportedServiceFields)...)
	}
	return out
}

// setFields lists the fields of obj among names whose value is not empty.
func setFields(path string, obj map[string]json.RawMessage, names []string) []string {
	var out []string
	for _, n := range names {
		if isSet(obj[n]) {
			out = append(out, path+"."+n)
		}
	}
	sort.Strings(out)
	return out
}

func isSet(raw json.RawMessage) bool {
	v := string(bytes.TrimSpace(raw))
	switch v {
	case "", "null", "[]", "{}", "false", `""`, "0":
		return false
	}
	return true
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
