package harness

// Binary is the path of the wharf binary the agents run.
func (c *Cluster) Binary() string { return c.bin }
