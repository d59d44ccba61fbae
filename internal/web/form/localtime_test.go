package form

import (
	"errors"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("zone %s: %v", name, err)
	}
	return loc
}

func TestParseLocal(t *testing.T) {
	tests := []struct {
		name, value, zone string
		want              string // RFC 3339, when accepted
		err               error
	}{
		{"plain", "2027-01-15T10:00", "Asia/Tokyo", "2027-01-15T10:00:00+09:00", nil},
		{"seconds", "2027-01-15T10:00:30", "Asia/Tokyo", "2027-01-15T10:00:30+09:00", nil},
		{"space", "2027-01-15 10:00", "UTC", "2027-01-15T10:00:00Z", nil},
		{"new york winter", "2027-01-15T10:00", "America/New_York", "2027-01-15T10:00:00-05:00", nil},
		{"new york summer", "2027-07-15T10:00", "America/New_York", "2027-07-15T10:00:00-04:00", nil},
		{"before the gap", "2027-03-14T01:59", "America/New_York", "2027-03-14T01:59:00-05:00", nil},
		{"gap", "2027-03-14T02:30", "America/New_York", "", ErrGap},
		{"gap start", "2027-03-14T02:00", "America/New_York", "", ErrGap},
		{"after the gap", "2027-03-14T03:00", "America/New_York", "2027-03-14T03:00:00-04:00", nil},
		{"overlap", "2027-11-07T01:30", "America/New_York", "", ErrAmbiguous},
		{"overlap start", "2027-11-07T01:00", "America/New_York", "", ErrAmbiguous},
		{"after the overlap", "2027-11-07T02:00", "America/New_York", "2027-11-07T02:00:00-05:00", nil},
		{"before the overlap", "2027-11-07T00:59", "America/New_York", "2027-11-07T00:59:00-04:00", nil},
		{"london gap", "2027-03-28T01:30", "Europe/London", "", ErrGap},
		{"london overlap", "2027-10-31T01:30", "Europe/London", "", ErrAmbiguous},
		{"sydney overlap", "2027-04-04T02:30", "Australia/Sydney", "", ErrAmbiguous},
		{"sydney gap", "2027-10-03T02:30", "Australia/Sydney", "", ErrGap},
		{"lord howe half-hour gap", "2027-10-03T02:15", "Australia/Lord_Howe", "", ErrGap},
		{"lord howe half-hour overlap", "2027-04-04T01:45", "Australia/Lord_Howe", "", ErrAmbiguous},
		{"tokyo has no DST", "2027-03-14T02:30", "Asia/Tokyo", "2027-03-14T02:30:00+09:00", nil},
		{"empty", "", "UTC", "", ErrFormat},
		{"words", "tomorrow", "UTC", "", ErrFormat},
		{"no time", "2027-01-15", "UTC", "", ErrFormat},
		{"month 13", "2027-13-01T10:00", "UTC", "", ErrFormat},
		{"hour 25", "2027-01-15T25:00", "UTC", "", ErrFormat},
		{"february 30", "2027-02-30T10:00", "UTC", "", ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			got, err := ParseLocal(tt.value, loc)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseLocal(%q, %s) = %v, %v; want %v", tt.value, tt.zone, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLocal(%q, %s): %v", tt.value, tt.zone, err)
			}
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("ParseLocal(%q, %s) = %s; want %s", tt.value, tt.zone, s, tt.want)
			}
			if got.Location() != loc {
				t.Errorf("location = %v; want %v", got.Location(), loc)
			}
		})
	}
}

func TestParseDateClock(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	tests := []struct {
		name, date, clock string
		want              string
		errs              []error
	}{
		{"plain", "2027-01-15", "10:00", "2027-01-15T10:00:00-05:00", nil},
		{"seconds", "2027-01-15", "10:00:30", "2027-01-15T10:00:30-05:00", nil},
		{"gap", "2027-03-14", "02:30", "", []error{ErrGap}},
		{"overlap", "2027-11-07", "01:30", "", []error{ErrAmbiguous}},
		{"bad date", "2027-02-30", "10:00", "", []error{ErrDate}},
		{"bad time", "2027-01-15", "10h", "", []error{ErrClock}},
		{"both bad", "15/01/2027", "25:00", "", []error{ErrDate, ErrClock}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDateClock(tt.date, tt.clock, ny)
			if len(tt.errs) > 0 {
				for _, want := range tt.errs {
					if !errors.Is(err, want) {
						t.Errorf("ParseDateClock(%q, %q) = %v; want %v", tt.date, tt.clock, err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDateClock(%q, %q): %v", tt.date, tt.clock, err)
			}
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("ParseDateClock(%q, %q) = %s; want %s", tt.date, tt.clock, s, tt.want)
			}
		})
	}
}

// Every minute of a year in a DST zone is accepted exactly when the zone's
// clocks show it once.
func TestInZoneYear(t *testing.T) {
	loc := mustZone(t, "America/New_York")
	seen := map[string]int{}
	for u := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC); u.Before(time.Date(2028, 1, 2, 0, 0, 0, 0, time.UTC)); u = u.Add(time.Minute) {
		seen[u.In(loc).Format("2006-01-02T15:04")]++
	}
	for w := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); w.Year() < 2028; w = w.Add(time.Minute) {
		key := w.Format("2006-01-02T15:04")
		_, err := InZone(w, loc)
		switch n := seen[key]; {
		case n == 0 && !errors.Is(err, ErrGap):
			t.Fatalf("%s: got %v, want ErrGap", key, err)
		case n == 1 && err != nil:
			t.Fatalf("%s: %v", key, err)
		case n == 2 && !errors.Is(err, ErrAmbiguous):
			t.Fatalf("%s: got %v, want ErrAmbiguous", key, err)
		}
	}
}
