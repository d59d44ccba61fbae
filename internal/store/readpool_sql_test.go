package store

import "testing"

func TestReadOnlySQL(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT 1`:                                             true,
		"\n\t  select id FROM posts":                           true,
		`(SELECT 1) UNION (SELECT 2)`:                          true,
		`WITH x AS (SELECT 1) SELECT * FROM x`:                 true,
		`WITH x AS (SELECT updated_at FROM t) SELECT * FROM x`: true,
		`WITH x AS (SELECT 1) UPDATE t SET a = 1`:              false,
		`WITH x AS (SELECT 1) DELETE FROM t`:                   false,
		`INSERT INTO t VALUES (1) RETURNING id`:                false,
		`UPDATE t SET a = 1 RETURNING id`:                      false,
		`DELETE FROM t RETURNING id`:                           false,
		`PRAGMA optimize`:                                      false,
		`VACUUM INTO 'x'`:                                      false,
		``:                                                     false,
		`sel`:                                                  false,
	} {
		if got := readOnlySQL(q); got != want {
			t.Errorf("readOnlySQL(%q) = %v, want %v", q, got, want)
		}
	}
}
