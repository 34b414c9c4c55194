package client

import (
	"fmt"

	"github.com/wharf-project/wharf/internal/client/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// loadIdentity returns the node's identity from db, generating and
// storing one on first start.
func loadIdentity(db state.DB) (*state.NodeIdentity, error) {
	id, err := db.NodeIdentity()
	if err != nil {
		return nil, fmt.Errorf("read node identity: %w", err)
	}
	if id != nil && id.ID != "" && id.SecretID != "" {
		return id, nil
	}
	id = &state.NodeIdentity{ID: structs.GenerateUUID(), SecretID: structs.GenerateUUID()}
	if err := db.PutNodeIdentity(id); err != nil {
		return nil, fmt.Errorf("store node identity: %w", err)
	}
	return id, nil
}
