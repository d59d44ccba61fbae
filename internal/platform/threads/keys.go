package threads

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// GenKey is the progress key of part n's current container generation
// (absent: generation 1).
func GenKey(n int) string { return fmt.Sprintf("part%d.gen", n) }

// keys are the progress keys of one generation of one part's containers.
type keys struct{ n, gen int }

func (k keys) prefix() string {
	if k.gen <= 1 {
		return fmt.Sprintf("part%d.", k.n)
	}
	return fmt.Sprintf("part%d.gen%d.", k.n, k.gen)
}

// container is the key of the part's (or the carousel's) container id.
func (k keys) container() string { return k.prefix() + "container" }

// item is the key of carousel item m's container id (m from 1).
func (k keys) item(m int) string { return k.prefix() + "item" + strconv.Itoa(m) + ".container" }

// created is the key of the time the part's container was made.
func (k keys) created() string { return k.prefix() + "created" }

// itemCreated is the key of the time carousel item m's container was made.
func (k keys) itemCreated(m int) string { return k.prefix() + "item" + strconv.Itoa(m) + ".created" }

// publishSent is the key of the time the publish call was first sent.
func (k keys) publishSent() string { return k.prefix() + "publish_sent" }

// ContainerKey is the progress key of part n's container id in generation
// gen (1 for the first).
func ContainerKey(n, gen int) string { return keys{n, gen}.container() }

// ItemKey is the progress key of carousel item m's container id.
func ItemKey(n, gen, m int) string { return keys{n, gen}.item(m) }

// PublishSentKey is the progress key of the time a publish call was sent
// for part n's container of generation gen.
func PublishSentKey(n, gen int) string { return keys{n, gen}.publishSent() }

// generation returns part n's current generation from a progress lookup.
func generation(get func(string) string, n int) int {
	g, err := strconv.Atoi(get(GenKey(n)))
	if err != nil || g < 1 {
		return 1
	}
	return min(g, 1000)
}

// sentAt reads a publish_sent or created value; the zero time when absent
// or not a time (a bare "1" still says a call was sent).
func sentAt(v string) time.Time {
	t, _ := time.Parse(time.RFC3339, v)
	return t
}

// liveSince returns the earliest time the post of generation k's
// container can carry: its publish call less the clock skew, and never
// before the container was made (less createdSkew: the time is ours, the
// post's is Threads'). Zero when progress records neither.
func liveSince(get func(string) string, k keys) time.Time {
	var lower time.Time
	if made := sentAt(get(k.created())); !made.IsZero() {
		lower = made.Add(-createdSkew)
	}
	if sent := sentAt(get(k.publishSent())); !sent.IsZero() && sent.Add(-clockSkew).After(lower) {
		lower = sent.Add(-clockSkew)
	}
	return lower
}

// outlived reports whether a container made at the time recorded under key
// is older than a container lives (24 hours).
func outlived(get func(string) string, key string, now time.Time) bool {
	born := sentAt(get(key))
	return !born.IsZero() && now.Sub(born) >= meta.ContainerTTL
}

// progressLookup adapts a *platform.Progress to a lookup.
func progressLookup(pr *platform.Progress) func(string) string {
	return func(k string) string {
		v, _ := pr.Get(k)
		return v
	}
}

// mapLookup adapts a saved progress map to a lookup.
func mapLookup(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// attempted reports whether the saved progress holds any key of part n: an
// attempt got as far as making a container for it.
func attempted(m map[string]string, n int) bool {
	prefix := fmt.Sprintf("part%d.", n)
	for k := range m {
		if strings.HasPrefix(k, prefix) && k != platform.PartIDKey(n) {
			return true
		}
	}
	return false
}
