package structs

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// ACL token types, as Nomad's.
const (
	ACLManagementToken = "management"
	ACLClientToken     = "client"
)

// ACLAnonymousPolicy is the name of the policy that applies to requests
// without a token.
const ACLAnonymousPolicy = "anonymous"

// ACLPolicy is a named set of rules in Nomad's policy language.
type ACLPolicy struct {
	Name        string
	Description string
	Rules       string
	CreateIndex uint64
	ModifyIndex uint64
}

// ACLPolicyListStub is a policy without its rules, as Nomad lists them.
type ACLPolicyListStub struct {
	Name        string
	Description string
	CreateIndex uint64
	ModifyIndex uint64
}

// Stub returns the policy's list stub.
func (p *ACLPolicy) Stub() *ACLPolicyListStub {
	return &ACLPolicyListStub{Name: p.Name, Description: p.Description,
		CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex}
}

// ACLToken is a token: its AccessorID names it, its SecretID authenticates
// with it. The store keeps only SecretHash (the hex SHA-256 of the
// SecretID); SecretID is set only in the answer that creates the token.
type ACLToken struct {
	AccessorID     string
	SecretID       string `json:",omitempty"`
	SecretHash     string `json:"-"`
	Name           string
	Type           string
	Policies       []string
	Global         bool
	CreateTime     time.Time
	ExpirationTime *time.Time `json:",omitempty"`
	CreateIndex    uint64
	ModifyIndex    uint64
}

// ACLTokenListStub is a token as Nomad lists it (never its secret).
type ACLTokenListStub struct {
	AccessorID     string
	Name           string
	Type           string
	Policies       []string
	Global         bool
	CreateTime     time.Time
	ExpirationTime *time.Time `json:",omitempty"`
	CreateIndex    uint64
	ModifyIndex    uint64
}

// Stub returns the token's list stub.
func (t *ACLToken) Stub() *ACLTokenListStub {
	return &ACLTokenListStub{AccessorID: t.AccessorID, Name: t.Name, Type: t.Type,
		Policies: t.Policies, Global: t.Global, CreateTime: t.CreateTime,
		ExpirationTime: t.ExpirationTime, CreateIndex: t.CreateIndex, ModifyIndex: t.ModifyIndex}
}

// Copy returns a deep copy of the token.
func (t *ACLToken) Copy() *ACLToken {
	if t == nil {
		return nil
	}
	c := *t
	c.Policies = append([]string(nil), t.Policies...)
	if t.ExpirationTime != nil {
		e := *t.ExpirationTime
		c.ExpirationTime = &e
	}
	return &c
}

// Expired reports whether the token has an expiration time at or before
// now.
func (t *ACLToken) Expired(now time.Time) bool {
	return t.ExpirationTime != nil && !t.ExpirationTime.After(now)
}

// HashSecret returns the hex SHA-256 of a secret, the form in which
// secrets (ACL token and node secrets) are stored and looked up.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
