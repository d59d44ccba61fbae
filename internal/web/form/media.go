package form

import "slices"

// The modes of a platform tab's "Media for <platform>" choice.
const (
	// MediaSame publishes the post's media as they are (media_ids nil).
	MediaSame = "same"
	// MediaChoose publishes the checked items in the order listed.
	MediaChoose = "choose"
	// MediaNone publishes no media on the platform (media_ids []).
	MediaNone = "none"
)

// MediaChoice is one platform's media choice as typed: a mode, and the
// post's media listed in the order the operator arranged them, some of
// them checked. It is kept apart from the post's media (the pool), which
// may change while the form is open: items gone from the pool are dropped
// and new ones are listed last, unchecked.
type MediaChoice struct {
	Mode   string
	Order  []int64 // the items in the order listed
	Chosen []int64 // the checked items
}

// MediaChoiceItem is one line of the choice's list.
type MediaChoiceItem struct {
	ID     int64
	Chosen bool
}

// ParseMediaChoice reads a choice from its fields: the mode (anything but
// "choose" or "none" is "same"), the ids in list order and the checked ids.
func ParseMediaChoice(mode string, order, chosen []int64) MediaChoice {
	switch mode {
	case MediaChoose, MediaNone:
	default:
		mode = MediaSame
	}
	return MediaChoice{Mode: mode, Order: order, Chosen: chosen}
}

// MediaChoiceOf is the choice that gives a target's media_ids ids (nil:
// the post's; empty: none; otherwise those items in that order) with the
// post's media pool.
func MediaChoiceOf(ids, pool []int64) MediaChoice {
	switch {
	case ids == nil:
		return MediaChoice{Mode: MediaSame, Order: slices.Clone(pool), Chosen: slices.Clone(pool)}
	case len(ids) == 0:
		return MediaChoice{Mode: MediaNone, Order: slices.Clone(pool)}
	}
	order := slices.Clone(ids)
	for _, id := range pool {
		if !slices.Contains(order, id) {
			order = append(order, id)
		}
	}
	return MediaChoice{Mode: MediaChoose, Order: order, Chosen: slices.Clone(ids)}
}

// Items lists the pool in the choice's order: the listed items the pool
// still holds, then the pool's other items, unchecked. In MediaSame mode
// every item is checked (choosing starts from the post's media).
func (c MediaChoice) Items(pool []int64) []MediaChoiceItem {
	out := make([]MediaChoiceItem, 0, len(pool))
	add := func(id int64) {
		if slices.Contains(pool, id) && !slices.ContainsFunc(out, func(it MediaChoiceItem) bool { return it.ID == id }) {
			out = append(out, MediaChoiceItem{ID: id, Chosen: c.Mode == MediaSame || slices.Contains(c.Chosen, id)})
		}
	}
	for _, id := range c.Order {
		add(id)
	}
	for _, id := range pool {
		add(id)
	}
	return out
}

// IDs returns the media_ids the choice gives a target whose post has the
// media pool: nil for MediaSame, empty for MediaNone, and for MediaChoose
// the checked items of the pool in the listed order (empty, not nil, when
// none is checked).
func (c MediaChoice) IDs(pool []int64) []int64 {
	switch c.Mode {
	case MediaChoose:
	case MediaNone:
		return []int64{}
	default:
		return nil
	}
	out := []int64{}
	for _, it := range c.Items(pool) {
		if it.Chosen {
			out = append(out, it.ID)
		}
	}
	return out
}

// Move moves the item at index i of Items(pool) one place up (delta -1)
// or down (+1); an index or move off the list changes nothing. The choice
// becomes a MediaChoose one: the operator is arranging the list.
func (c *MediaChoice) Move(pool []int64, i, delta int) {
	items := c.Items(pool)
	j := i + delta
	if i < 0 || i >= len(items) || j < 0 || j >= len(items) || (delta != 1 && delta != -1) {
		return
	}
	items[i], items[j] = items[j], items[i]
	c.Order, c.Chosen = nil, nil
	for _, it := range items {
		c.Order = append(c.Order, it.ID)
		if it.Chosen {
			c.Chosen = append(c.Chosen, it.ID)
		}
	}
	c.Mode = MediaChoose
}

// Replace puts id to where old is, in the list and among the checked
// items; an id already listed elsewhere is dropped from its old place.
func (c *MediaChoice) Replace(old, id int64) {
	c.Order = ReplaceID(c.Order, old, id)
	c.Chosen = ReplaceID(c.Chosen, old, id)
}

// ReplaceID returns ids with old replaced by id at its position, and any
// other occurrence of id removed. ids without old is returned as it is.
func ReplaceID(ids []int64, old, id int64) []int64 {
	i := slices.Index(ids, old)
	if i < 0 {
		return ids
	}
	out := make([]int64, 0, len(ids))
	for k, v := range ids {
		switch {
		case k == i:
			out = append(out, id)
		case v != id:
			out = append(out, v)
		}
	}
	return out
}
