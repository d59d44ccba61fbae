package form

import (
	"slices"
	"testing"
)

// TestMediaChoiceRoundTrip: a target's media_ids become a choice and back
// unchanged, nil and empty kept apart.
func TestMediaChoiceRoundTrip(t *testing.T) {
	t.Parallel()
	pool := []int64{1, 2, 3}
	for _, tc := range []struct {
		name string
		ids  []int64
		mode string
	}{
		{"post's media", nil, MediaSame},
		{"none", []int64{}, MediaNone},
		{"one", []int64{2}, MediaChoose},
		{"reordered", []int64{3, 1}, MediaChoose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := MediaChoiceOf(tc.ids, pool)
			if c.Mode != tc.mode {
				t.Fatalf("mode %q, want %q", c.Mode, tc.mode)
			}
			// As the form sends it back: the mode, every listed id, the checked ones.
			var order, chosen []int64
			for _, it := range c.Items(pool) {
				order = append(order, it.ID)
				if it.Chosen {
					chosen = append(chosen, it.ID)
				}
			}
			back := ParseMediaChoice(c.Mode, order, chosen).IDs(pool)
			if (back == nil) != (tc.ids == nil) || !slices.Equal(back, tc.ids) {
				t.Fatalf("round trip gave %#v, want %#v", back, tc.ids)
			}
		})
	}
}

// TestMediaChoicePool: items gone from the post are dropped, new ones are
// listed last and unchecked; nothing checked is an empty list, not nil.
func TestMediaChoicePool(t *testing.T) {
	t.Parallel()
	c := ParseMediaChoice("choose", []int64{3, 9, 1}, []int64{9, 1})
	items := c.Items([]int64{1, 2, 3})
	want := []MediaChoiceItem{{3, false}, {1, true}, {2, false}}
	if !slices.Equal(items, want) {
		t.Fatalf("items %v, want %v", items, want)
	}
	if ids := c.IDs([]int64{1, 2, 3}); !slices.Equal(ids, []int64{1}) {
		t.Fatalf("ids %v", ids)
	}
	if ids := ParseMediaChoice("choose", []int64{1}, nil).IDs([]int64{1}); ids == nil || len(ids) != 0 {
		t.Fatalf("nothing checked gave %#v", ids)
	}
	if ids := ParseMediaChoice("bogus", []int64{1}, nil).IDs([]int64{1}); ids != nil {
		t.Fatalf("an unknown mode gave %#v, want the post's media", ids)
	}
}

func TestMediaChoiceMoveAndReplace(t *testing.T) {
	t.Parallel()
	pool := []int64{1, 2, 3}
	c := MediaChoiceOf(nil, pool)
	c.Move(pool, 2, -1) // 3 up
	if c.Mode != MediaChoose || !slices.Equal(c.IDs(pool), []int64{1, 3, 2}) {
		t.Fatalf("after moving 3 up: %+v → %v", c, c.IDs(pool))
	}
	c.Move(pool, 0, -1) // off the top: nothing
	c.Move(pool, 2, 1)  // off the bottom: nothing
	c.Move(pool, 1, 5)  // not a move
	if !slices.Equal(c.IDs(pool), []int64{1, 3, 2}) {
		t.Fatalf("moves off the list changed it: %v", c.IDs(pool))
	}
	c.Replace(3, 7)
	pool = []int64{1, 7, 2}
	if !slices.Equal(c.IDs(pool), []int64{1, 7, 2}) {
		t.Fatalf("after replacing 3 by 7: %v", c.IDs(pool))
	}
	if got := ReplaceID([]int64{4, 5, 6}, 5, 6); !slices.Equal(got, []int64{4, 6}) {
		t.Fatalf("ReplaceID with the new id already listed: %v", got)
	}
	if got := ReplaceID([]int64{4}, 5, 6); !slices.Equal(got, []int64{4}) {
		t.Fatalf("ReplaceID without old: %v", got)
	}
}
