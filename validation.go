package snsos

import (
	"fmt"
	"strconv"
	"strings"
)

// FieldError is one broken rule on one input field.
type FieldError struct {
	Field   string `json:"field"`   // e.g. "targets[0].body"
	Rule    string `json:"rule"`    // machine-readable, e.g. "max_length"
	Message string `json:"message"` // for people
}

// ValidationErrors collects every broken rule of an input so that all of them
// can be shown at once. Its Err method returns an EINVALID *Error wrapping it,
// or nil when nothing was added.
type ValidationErrors []FieldError

// Add records a broken rule.
func (v *ValidationErrors) Add(field, rule, format string, args ...any) {
	*v = append(*v, FieldError{Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// Error lists the fields and messages.
func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

// Err returns nil when v is empty and an EINVALID error otherwise.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "validation failed: " + v.Error(), Err: v}
}

func indexField(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}
