package soak

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", to read River's jobs for the diagnostics
)

// riverJobs reads, for the diagnostics only and best effort, the River
// publish and reconcile jobs of the given targets straight from the
// database: why the job of a stuck target does not run (its errors, its
// next try) is recorded nowhere else. It returns one line per job, by
// target.
func (s *soak) riverJobs(ids []int64) (map[int64][]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var list []string
	for _, id := range ids {
		list = append(list, fmt.Sprint(id))
	}
	in := strings.Join(list, ",")
	var db *sql.DB
	var err error
	var q string
	if s.db == "postgres" {
		db, err = sql.Open("pgx", s.c.envs[0]["SNSOS_DATABASE_URL"])
		q = `SELECT id, kind, state, attempt, max_attempts, scheduled_at::text, (args->>'target_id')::bigint, COALESCE(array_to_json(errors)::text, '[]')
			FROM river_job WHERE kind IN ('publish_target', 'reconcile_target') AND (args->>'target_id')::bigint IN (` + in + `) ORDER BY id`
	} else {
		files, _ := filepath.Glob(filepath.Join(s.c.envs[0]["SNSOS_DATA_DIR"], "*.db"))
		if len(files) == 0 {
			return nil, fmt.Errorf("no SQLite database in %s", s.c.envs[0]["SNSOS_DATA_DIR"])
		}
		db, err = sql.Open("sqlite", "file:"+files[0]+"?mode=ro&_pragma=busy_timeout(5000)")
		q = `SELECT id, kind, state, attempt, max_attempts, scheduled_at, json_extract(args, '$.target_id'), COALESCE(json(errors), '[]')
			FROM river_job WHERE kind IN ('publish_target', 'reconcile_target') AND json_extract(args, '$.target_id') IN (` + in + `) ORDER BY id`
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id, target int64
		var attempt, maxAttempts int
		var kind, state, at, errs string
		if err := rows.Scan(&id, &kind, &state, &attempt, &maxAttempts, &at, &target, &errs); err != nil {
			return nil, err
		}
		var list []struct {
			Attempt int    `json:"attempt"`
			Error   string `json:"error"`
		}
		_ = json.Unmarshal([]byte(errs), &list)
		var e []string
		for _, x := range list {
			e = append(e, fmt.Sprintf("#%d %s", x.Attempt, x.Error))
		}
		line := fmt.Sprintf("job %d %s %s attempt %d/%d at %s", id, kind, state, attempt, maxAttempts, at)
		if len(e) > 0 {
			if len(e) > 4 {
				e = append(e[:1], append([]string{"…"}, e[len(e)-3:]...)...)
			}
			line += " errors: " + strings.Join(e, "; ")
		}
		out[target] = append(out[target], line)
	}
	return out, rows.Err()
}
