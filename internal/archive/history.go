package archive

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// findInHistory returns every path, in any commit reachable from the
// branch, under one of the top-level dirs, for which match(path, blob) is
// true. A subtree met again at the same place (most of them, from one
// commit to the next) is not walked twice.
func (r *Repo) findInHistory(dirs []string, match func(p string, blob plumbing.Hash) (bool, error)) ([]string, error) {
	chain, err := r.chain()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{} // "path@tree" walked, "path@blob" matched
	found := map[string]bool{}
	var walk func(prefix string, h plumbing.Hash) error
	walk = func(prefix string, h plumbing.Hash) error {
		key := prefix + "@" + h.String()
		if seen[key] {
			return nil
		}
		seen[key] = true
		t, err := object.GetTree(r.git.Storer, h)
		if err != nil {
			return err
		}
		for _, e := range t.Entries {
			p := path.Join(prefix, e.Name)
			if e.Mode == filemode.Dir {
				if err := walk(p, e.Hash); err != nil {
					return err
				}
				continue
			}
			if found[p] || seen[p+"@"+e.Hash.String()] {
				continue
			}
			seen[p+"@"+e.Hash.String()] = true
			ok, err := match(p, e.Hash)
			if err != nil {
				return err
			}
			if ok {
				found[p] = true
			}
		}
		return nil
	}
	for _, c := range chain {
		root, err := object.GetTree(r.git.Storer, c.TreeHash)
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			if e, err := root.FindEntry(d); err == nil && e.Mode == filemode.Dir {
				if err := walk(d, e.Hash); err != nil {
					return nil, err
				}
			}
		}
	}
	return sortedKeys(found), nil
}

// purgePaths returns the paths, anywhere in the history, that hold what a
// purge or a deletion removed: the files of these posts; the files of any
// post that held one of these targets (their posts may live on for other
// accounts: the file is removed from the history and written again
// without them); and the files of these accounts.
func (r *Repo) purgePaths(posts, targets, accounts []int64) ([]string, error) {
	postSet, targetSet, accountSet := idSet(posts), idSet(targets), idSet(accounts)
	var out []string
	if len(postSet)+len(targetSet) > 0 {
		ps, err := r.findInHistory([]string{"posts", "metrics"}, func(p string, blob plumbing.Hash) (bool, error) {
			id, ok := postIDOf(p)
			if !ok {
				return false, nil
			}
			if postSet[id] {
				return true, nil
			}
			if len(targetSet) == 0 || !strings.HasPrefix(p, "posts/") {
				return false, nil
			}
			var d struct {
				Targets []struct{ ID int64 } `json:"targets"`
			}
			b, err := r.blob(blob)
			if err != nil {
				return false, err
			}
			if json.Unmarshal(b, &d) != nil {
				return false, nil
			}
			for _, t := range d.Targets {
				if targetSet[t.ID] {
					postSet[id] = true // its metrics file goes too
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
		// A metrics file walked before its post's file matched.
		ms, err := r.findInHistory([]string{"metrics"}, func(p string, _ plumbing.Hash) (bool, error) {
			id, ok := postIDOf(p)
			return ok && postSet[id], nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	if len(accountSet) > 0 {
		as, err := r.findInHistory([]string{"accounts"}, func(p string, blob plumbing.Hash) (bool, error) {
			var d struct{ ID int64 }
			b, err := r.blob(blob)
			if err != nil {
				return false, err
			}
			return json.Unmarshal(b, &d) == nil && accountSet[d.ID], nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return dedupe(out), nil
}

func idSet(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func dedupe(s []string) []string {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return sortedKeys(m)
}
