package threads

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

func (e *env) insights(media, tok string) (map[string]int64, graphtest.Resp) {
	e.T.Helper()
	r := e.Do(http.MethodGet, "/v1.0/"+media+"/insights?metric=views,likes,replies,reposts,quotes,shares", tok, nil)
	out := map[string]int64{}
	for i := 0; r.Str("data", strconv.Itoa(i), "name") != ""; i++ {
		n, _ := strconv.ParseInt(r.Str("data", strconv.Itoa(i), "values", "0", "value"), 10, 64)
		out[r.Str("data", strconv.Itoa(i), "name")] = n
	}
	return out, r
}

func TestInsights(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("metrics")
	root := e.post(u, tok, "measure me", "")
	reply := e.post(u, tok, "a reply", root)
	e.post(u, tok, "a nested reply", reply)
	if m, r := e.insights(root, tok); r.Status != 200 || len(m) != 0 || string(r.Raw) != `{"data":[]}` {
		t.Fatalf("fresh insights %s", r.Raw)
	}
	e.Clock.Advance(DefaultInsightsDelay)
	first, r := e.insights(root, tok)
	if len(first) != 6 || first["views"] == 0 || first["replies"] < 2 || first["views"] < first["likes"] ||
		r.Str("data", "0", "id") != root+"/insights/views/lifetime" || r.Str("data", "0", "period") != "lifetime" {
		t.Fatalf("insights %s", r.Raw)
	}
	if m, _ := e.insights(reply, tok); m["replies"] < 1 {
		t.Fatalf("reply insights %v", m)
	}
	e.Clock.Advance(48 * time.Hour)
	later, _ := e.insights(root, tok)
	for k, v := range first {
		if later[k] < v {
			t.Fatalf("%s went down: %d -> %d", k, v, later[k])
		}
	}
	if later["views"] <= first["views"] {
		t.Fatalf("views did not grow: %v -> %v", first, later)
	}
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/"+root+"/insights?metric=views,impressions", tok, nil), 400, "100/")
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/"+root+"/insights", tok, nil), 400, "100/")
	noInsights := e.token("threads_basic,threads_content_publish", "metrics")
	e.ExpectErr(e.Do(http.MethodGet, "/v1.0/"+root+"/insights?metric=views", noInsights, nil), 400, "100/10")
}
