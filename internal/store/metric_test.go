package store_test

import (
	"strings"
	"testing"

	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestSnapshotsByTargetIndexed: the queries that read snapshots by target
// (every post page and list) use an index on both databases; the partial
// unique index on (target_id, checkpoint) cannot serve them.
func TestSnapshotsByTargetIndexed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		db := env.Store.DB()
		if env.Store.Dialect() == store.SQLite {
			rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT id FROM metric_snapshots WHERE target_id IN (1, 2) ORDER BY fetched_at, id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if p := strings.Join(plan, "; "); !strings.Contains(p, "metric_snapshots_target") {
				t.Fatalf("plan = %s; want the metric_snapshots_target index", p)
			}
			return
		}
		var def string
		if err := db.QueryRowContext(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = 'metric_snapshots_target' AND schemaname = current_schema()`).
			Scan(&def); err != nil {
			t.Fatalf("metric_snapshots_target: %v", err)
		}
		if !strings.Contains(def, "(target_id, fetched_at)") || strings.Contains(def, "WHERE") {
			t.Fatalf("index = %s", def)
		}
	})
}
