package x

import "github.com/sns-os/snsos/internal/platform"

var _ platform.Permalinker = (*Client)(nil)

// Permalink returns the link of post id by handle (see PostURL).
func (c *Client) Permalink(handle, id string) string { return PostURL(handle, id) }
