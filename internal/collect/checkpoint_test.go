package collect

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

func TestCheckpointName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want snsos.Checkpoint
	}{
		{time.Hour, "1h"},
		{24 * time.Hour, "24h"},
		{7 * 24 * time.Hour, "7d"},
		{48 * time.Hour, "2d"},
		{36 * time.Hour, "36h"},
		{90 * time.Minute, "90m"},
		{120 * time.Minute, "2h"},
		{30 * time.Second, "30s"},
		{1500 * time.Millisecond, "1.5s"},
		{90 * time.Second, "1m30s"},
	} {
		t.Run(string(tt.want), func(t *testing.T) {
			t.Parallel()
			got := CheckpointName(tt.d)
			if got != tt.want {
				t.Fatalf("CheckpointName(%v) = %q, want %q", tt.d, got, tt.want)
			}
			back, err := snsos.ParseCheckpointOffset(string(got))
			if err != nil || back != tt.d || !got.Valid() {
				t.Fatalf("%q parses back to %v, %v", got, back, err)
			}
		})
	}
}

func TestCheckpointsFromOffsets(t *testing.T) {
	t.Parallel()
	got := Checkpoints([]time.Duration{time.Hour, 0, 24 * time.Hour, -time.Second, time.Hour, 7 * 24 * time.Hour})
	want := []Checkpoint{{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}}
	if len(got) != len(want) {
		t.Fatalf("Checkpoints = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("checkpoint %d = %v, want %v", i, got[i], want[i])
		}
	}
	if d := Checkpoints(DefaultOffsets); len(d) != 3 || d[0].Name != snsos.Checkpoint1h || d[1].Name != snsos.Checkpoint24h || d[2].Name != snsos.Checkpoint7d {
		t.Errorf("default checkpoints %v", d)
	}
}

func TestSnoozes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{``: 0, `{}`: 0, `{"snoozes":4}`: 4, `{"snoozes":-1}`: 0, `not json`: 0} {
		if got := snoozes([]byte(in)); got != want {
			t.Errorf("snoozes(%q) = %d, want %d", in, got, want)
		}
	}
}
