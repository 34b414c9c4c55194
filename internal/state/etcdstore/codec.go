package etcdstore

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/wharf-project/wharf/internal/structs"
)

// Stored values are the objects' JSON with one optional marker field. A
// writer cannot know the revision its transaction will get, so the markers
// say "this index is the revision of this very write":
//
//   - jobValue.WharfSpecWrite: JobModifyIndex = ModRevision (job and
//     version keys written because the spec changed);
//   - allocValue.WharfServerWrite: AllocModifyIndex = ModRevision (an
//     allocation written by a plan);
//   - evalValue.WharfJobWrite: JobModifyIndex = ModRevision (an eval
//     written with the job version it evaluates).
//
// CreateIndex and ModifyIndex always come from the key's CreateRevision
// and ModRevision, so they survive restarts and agree on every server.

type jobValue struct {
	*structs.Job
	WharfSpecWrite bool `json:",omitempty"`
}

type evalValue struct {
	*structs.Evaluation
	WharfJobWrite bool `json:",omitempty"`
}

func encodeJob(j *structs.Job, specWrite bool) (string, error) {
	return encode(jobValue{Job: j, WharfSpecWrite: specWrite})
}

// encodeAlloc encodes a, never its Job (the API fills it from versions).
func encodeAlloc(a *structs.Allocation, serverWrite bool) (string, error) {
	return encode(compactAlloc(a, serverWrite))
}

func encodeEval(e *structs.Evaluation, jobWrite bool) (string, error) {
	return encode(evalValue{Evaluation: e, WharfJobWrite: jobWrite})
}

// nodeValue is a stored node: its JSON (which never holds the secret
// hash) plus the hash.
type nodeValue struct {
	*structs.Node
	WharfSecretHash string `json:",omitempty"`
}

func encodeNode(n *structs.Node) (string, error) {
	return encode(nodeValue{Node: n, WharfSecretHash: n.SecretHash})
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

func decodeJob(kv *mvccpb.KeyValue) (*structs.Job, error) {
	v := jobValue{Job: &structs.Job{}}
	if err := json.Unmarshal(kv.Value, &v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	v.CreateIndex, v.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	if v.WharfSpecWrite {
		v.JobModifyIndex = uint64(kv.ModRevision)
	}
	return v.Job, nil
}

func decodeAlloc(kv *mvccpb.KeyValue) (*structs.Allocation, error) {
	a := &structs.Allocation{}
	serverWrite, err := decodeShared(kv.Value, a)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	a.CreateIndex, a.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	if serverWrite {
		a.AllocModifyIndex = uint64(kv.ModRevision)
	}
	a.Job = nil
	return a, nil
}

func decodeEval(kv *mvccpb.KeyValue) (*structs.Evaluation, error) {
	v := evalValue{Evaluation: &structs.Evaluation{}}
	if err := json.Unmarshal(kv.Value, &v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	v.CreateIndex, v.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	if v.WharfJobWrite {
		v.JobModifyIndex = uint64(kv.ModRevision)
	}
	return v.Evaluation, nil
}

func decodeNode(kv *mvccpb.KeyValue) (*structs.Node, error) {
	v := nodeValue{Node: &structs.Node{}}
	if err := json.Unmarshal(kv.Value, &v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	n := v.Node
	n.SecretHash = v.WharfSecretHash
	if n.SecretID != "" {
		// Written before secrets were hashed.
		n.SecretHash, n.SecretID = structs.HashSecret(n.SecretID), ""
	}
	n.CreateIndex, n.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	return n, nil
}
