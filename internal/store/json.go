package store

import (
	"encoding/json"
	"fmt"
)

// toJSON encodes v for a TEXT column; nil maps and slices become "{}"/"[]".
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode: %w", err)
	}
	if string(b) == "null" {
		return "{}", nil
	}
	return string(b), nil
}

// fromJSON decodes a TEXT column into v; an empty string leaves v as is.
func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("store: decode: %w", err)
	}
	return nil
}
