package snsos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStateMachine(t *testing.T) {
	t.Parallel()
	allowed := []struct{ from, to TargetState }{
		{StateDraft, StateApproved}, {StateApproved, StateScheduled}, {StateScheduled, StatePublishing},
		{StatePublishing, StatePublished}, {StatePublishing, StateFailed}, {StatePublishing, StateRetryWait},
		{StatePublishing, StateUnknown}, {StateUnknown, StatePublished}, {StateUnknown, StateRetryWait},
		{StateUnknown, StateNeedsOperator}, {StateRetryWait, StatePublishing}, {StateScheduled, StateCanceled},
		{StateNeedsOperator, StatePublished},
		// A quota used up right before the call: the target waits, nothing sent.
		{StateScheduled, StateRetryWait}, {StateRetryWait, StateRetryWait},
	}
	for _, tt := range allowed {
		if !CanTransition(tt.from, tt.to) {
			t.Errorf("%s -> %s refused", tt.from, tt.to)
		}
	}
	// The edges that would allow a double post must not exist.
	forbidden := []struct{ from, to TargetState }{
		{StatePublishing, StateScheduled}, {StatePublishing, StatePublishing}, {StateUnknown, StatePublishing},
		{StateNeedsOperator, StatePublishing}, {StatePublished, StateScheduled}, {StatePublished, StatePublishing},
		{StateUnknown, StateScheduled}, {StateUnknown, StateCanceled}, {StatePublishing, StateCanceled},
		{StateCanceled, StateScheduled}, {StateDraft, StatePublishing},
	}
	for _, tt := range forbidden {
		if CanTransition(tt.from, tt.to) {
			t.Errorf("%s -> %s allowed", tt.from, tt.to)
		}
	}
	// Every state that may be live leads only to states that are live or
	// reached by reconciliation, never straight back into publishing.
	for _, s := range TargetStates {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		for _, n := range s.Next() {
			if !n.Valid() {
				t.Errorf("%s -> unknown state %s", s, n)
			}
			if s.MayBeLive() && n == StatePublishing {
				t.Errorf("%s may be live but can go to publishing", s)
			}
		}
	}
	if TargetState("bogus").Valid() || len(StatePublished.Next()) != 0 {
		t.Error("published must be final")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret("tok-abcdef-123456")
	c := Credential{AccessToken: s, RefreshToken: "ref-abcdef-654321"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "cred", c, "s", s)
	js, _ := json.Marshal(c)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", c, c, c, s), string(js), buf.String()} {
		if strings.Contains(out, "abcdef") {
			t.Fatalf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "tok-abcdef-123456" || Secret("").String() != "" {
		t.Fatal("Reveal or empty mask wrong")
	}
}

func TestCheckpointOffsets(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "90m": 90 * time.Minute, "30s": 30 * time.Second} {
		if got, err := ParseCheckpointOffset(in); err != nil || got != want {
			t.Errorf("ParseCheckpointOffset(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "d", "0h", "-1h", "1.5d", "7 d", "soon", "1w"} {
		if _, err := ParseCheckpointOffset(bad); err == nil {
			t.Errorf("ParseCheckpointOffset(%q) accepted", bad)
		}
	}
	if !Checkpoint1h.Valid() || !CheckpointManual.Valid() || Checkpoint("x").Valid() {
		t.Error("Checkpoint.Valid")
	}
}

func TestPostValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Post
		rule string
	}{
		{"empty", Post{}, "required"},
		{"override only", Post{Targets: []*Target{{AccountID: 1, Body: "x"}}}, ""},
		{"media only", Post{MediaIDs: []int64{1}}, ""},
		{"duplicate account", Post{Body: "x", Targets: []*Target{{AccountID: 1}, {AccountID: 1}}}, "duplicate"},
		{"no account", Post{Body: "x", Targets: []*Target{{}}}, "required"},
		{"huge", Post{Body: strings.Repeat("a", MaxBodyBytes+1)}, "max_bytes"},
		{"target subset", Post{MediaIDs: []int64{1, 2, 3}, Targets: []*Target{{AccountID: 1, MediaIDs: []int64{3, 1}}}}, ""},
		{"target media not on the post", Post{Body: "x", MediaIDs: []int64{1}, Targets: []*Target{{AccountID: 1, MediaIDs: []int64{2}}}}, "attached"},
		{"target media twice", Post{Body: "x", MediaIDs: []int64{1, 2}, Targets: []*Target{{AccountID: 1, MediaIDs: []int64{2, 2}}}}, "duplicate"},
		{"no body, every target without media", Post{MediaIDs: []int64{1}, Targets: []*Target{{AccountID: 1, MediaIDs: []int64{}}, {AccountID: 2, MediaIDs: []int64{}}}}, "required"},
		{"no body, one target with the post's media", Post{MediaIDs: []int64{1}, Targets: []*Target{{AccountID: 1, MediaIDs: []int64{}}, {AccountID: 2}}}, ""},
		{"no body, no post media, target list given", Post{Targets: []*Target{{AccountID: 1, MediaIDs: []int64{}}}}, "required"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if tt.rule == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "") {
			t.Errorf("%s: %v", tt.name, err)
		}
		var v ValidationErrors
		if e, ok := err.(*Error); !ok || !asValidation(e.Err, &v) || v[0].Rule != tt.rule {
			t.Errorf("%s: rule %v, want %s", tt.name, err, tt.rule)
		}
	}
}

// TestTargetMediaFor: nil is the post's media, an empty list none, and
// JSON keeps the difference both ways.
func TestTargetMediaFor(t *testing.T) {
	t.Parallel()
	p := &Post{MediaIDs: []int64{1, 2, 3}}
	for _, tt := range []struct {
		name string
		ids  []int64
		want []int64
		json string
	}{
		{"nil", nil, []int64{1, 2, 3}, `{"id":0,"post_id":0,"account_id":0,"platform":"","state":"","attempts":0,"updated_at":"0001-01-01T00:00:00Z","metrics":null}`},
		{"empty", []int64{}, []int64{}, `{"id":0,"post_id":0,"account_id":0,"platform":"","state":"","media_ids":[],"attempts":0,"updated_at":"0001-01-01T00:00:00Z","metrics":null}`},
		{"subset", []int64{3, 1}, []int64{3, 1}, `{"id":0,"post_id":0,"account_id":0,"platform":"","state":"","media_ids":[3,1],"attempts":0,"updated_at":"0001-01-01T00:00:00Z","metrics":null}`},
	} {
		tg := &Target{MediaIDs: tt.ids}
		if got := p.MediaFor(tg); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("%s: MediaFor = %#v, want %#v", tt.name, got, tt.want)
		}
		b, err := json.Marshal(tg)
		if err != nil || string(b) != tt.json {
			t.Errorf("%s: JSON = %s, %v\nwant %s", tt.name, b, err, tt.json)
		}
		var back Target
		if err := json.Unmarshal(b, &back); err != nil || (back.MediaIDs == nil) != (tt.ids == nil) || !slices.Equal(back.MediaIDs, tt.ids) {
			t.Errorf("%s: read back %#v, %v", tt.name, back.MediaIDs, err)
		}
	}
}

func asValidation(err error, v *ValidationErrors) bool {
	ve, ok := err.(ValidationErrors)
	*v = ve
	return ok && len(ve) > 0
}

func TestErrors(t *testing.T) {
	t.Parallel()
	inner := fmt.Errorf("dial: %w", &Error{Code: ENOTFOUND, Message: "account 3 not found"})
	if ErrorCode(inner) != ENOTFOUND || ErrorMessage(inner) != "account 3 not found" || !IsCode(inner, ENOTFOUND) {
		t.Fatal("codes through wrapping")
	}
	if ErrorCode(fmt.Errorf("boom")) != EINTERNAL || ErrorMessage(fmt.Errorf("secret detail")) != "Internal error." || ErrorCode(nil) != "" {
		t.Fatal("non-domain errors must be internal and hidden")
	}
	if _, err := ParsePlatform("myspace"); ErrorCode(err) != EINVALID {
		t.Fatal("ParsePlatform")
	}
}
