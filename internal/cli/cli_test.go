package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// syncBuf is a goroutine-safe buffer that can wait for text to appear.
type syncBuf struct {
	mu   sync.Mutex
	b    bytes.Buffer
	wake chan struct{}
}

func newSyncBuf() *syncBuf { return &syncBuf{wake: make(chan struct{}, 1)} }

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return s.b.Write(p)
}

func (s *syncBuf) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// waitFor blocks until re matches the output, or fails after a bound that
// only a broken run reaches.
func (s *syncBuf) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(s.String()); m != nil {
			return m
		}
		select {
		case <-s.wake:
		case <-timeout:
			t.Fatalf("output never matched %s:\n%s", re, s.String())
		}
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"version"}, 0, "sns-os dev", ""},
		{[]string{"help"}, 0, "Commands:", ""},
		{nil, 2, "Commands:", ""},
		{[]string{"bogus"}, 2, "", `unknown command "bogus"`},
		{[]string{"serve", "--help"}, 0, "Usage: sns-os serve", ""},
		{[]string{"demo", "--help"}, 0, "--data", ""},
		{[]string{"backup", "--help"}, 0, "pg_dump", ""},
		{[]string{"keys", "--help"}, 0, "rotate", ""},
		{[]string{"keys", "rotate", "--help"}, 0, "resumes", ""},
		{[]string{"config", "--help"}, 0, "SNSOS_MASTER_KEY_FILE", ""},
		{[]string{"help", "backup"}, 0, "--out", ""},
		{[]string{"serve", "--no-such-flag"}, 2, "", "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"keys"}, 2, "", "name a subcommand"},
		{[]string{"keys", "spin"}, 2, "", `unknown keys subcommand "spin"`},
		{[]string{"version", "x"}, 2, "", "no arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := run(t, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.inStdout) || !strings.Contains(r.stderr, tt.inStderr) {
				t.Fatalf("code %d (want %d)\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestKeysGenerate(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "keys", "generate")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := secret.ParseKey(r.stdout); err != nil {
		t.Fatalf("generated key does not parse: %v", err)
	}
}

func TestConfigCommand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SNSOS_API_TOKEN": "bootstrap-token-0123456789", "SNSOS_X_CLIENT_SECRET": "x-secret-abcdefgh", "SNSOS_DATA_DIR": t.TempDir()}
	r := run(t, env, "config")
	if r.code != 0 || !strings.Contains(r.stdout, "SNSOS_API_TOKEN="+snsos.Mask) {
		t.Fatalf("config: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{"bootstrap-token", "x-secret-abcdefgh"} {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Fatalf("config prints %q", s)
		}
	}
	r = run(t, map[string]string{"SNSOS_ADDR": "nope", "SNSOS_LOG_FORMAT": "xml"}, "config")
	if r.code != 1 || !strings.Contains(r.stderr, "SNSOS_ADDR") || !strings.Contains(r.stderr, "SNSOS_LOG_FORMAT") {
		t.Fatalf("invalid config: %d\n%s", r.code, r.stderr)
	}
}

// TestBadSetupInput: each mistake gets a one-line error naming the setting,
// a non-zero exit, and leaves nothing half-written.
func TestBadSetupInput(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "plainfile")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong-length master key", map[string]string{"SNSOS_MASTER_KEY": "c2hvcnQ="}, "SNSOS_MASTER_KEY"},
		{"unreachable postgres", map[string]string{"SNSOS_DATABASE_URL": "postgres://u:pw-hidden-1@127.0.0.1:1/x?connect_timeout=2"}, "SNSOS_DATABASE_URL"},
		{"data dir under a file", map[string]string{"SNSOS_DATA_DIR": filepath.Join(file, "data")}, "SNSOS_DATA_DIR"},
		{"bad addr", map[string]string{"SNSOS_ADDR": "::::"}, "SNSOS_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_ADDR": "127.0.0.1:0"}
			for k, v := range tt.env {
				env[k] = v
			}
			r := run(t, env, "serve")
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("code %d, stderr %q: want 1 and %s", r.code, r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, "pw-hidden-1") {
				t.Fatal("error shows the database password")
			}
			if _, err := os.Stat(filepath.Join(data, store.DBFileName)); err == nil && tt.want != "SNSOS_DATABASE_URL" {
				t.Fatal("a database was created despite the error")
			}
		})
	}
}

// startServe runs "serve" (or "demo") in the background and returns its base
// URL, its stderr, and a stop function that cancels it and returns the exit
// code.
func startServe(t *testing.T, env map[string]string, cmd string, extra ...string) (string, *syncBuf, *syncBuf, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newSyncBuf(), newSyncBuf()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{cmd, "--addr", "127.0.0.1:0"}, extra...), func(k string) string { return env[k] }, strings.NewReader(""), stdout, stderr)
	}()
	var addr string
	ready := regexp.MustCompile(`ready\W{1,4}addr\W{1,3}(127\.0\.0\.1:\d+)`)
	timeout := time.After(30 * time.Second)
	for addr == "" {
		if m := ready.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("%s exited %d before ready:\n%s", cmd, code, stderr.String())
		case <-stderr.wake:
		case <-timeout:
			cancel()
			t.Fatalf("%s not ready:\n%s", cmd, stderr.String())
		}
	}
	stopped := false
	var code int
	stop := func() int {
		if !stopped {
			cancel()
			code = <-done
			stopped = true
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr, stdout, stderr, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeReadyAndSecretsNotLogged(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	secrets := map[string]string{
		"SNSOS_API_TOKEN":            "bootstrap-api-token-9d8c7b6a5f",
		"SNSOS_X_CLIENT_SECRET":      "x-client-secret-5e4d3c2b1a",
		"SNSOS_TIKTOK_CLIENT_SECRET": "tiktok-secret-1122334455",
		"META_APP_SECRET":            "meta-app-secret-6677889900",
	}
	env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_LOG_LEVEL": "debug", "SNSOS_LOG_FORMAT": "json"}
	for k, v := range secrets {
		env[k] = v
	}
	base, stdout, stderr, stop := startServe(t, env, "serve")
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Fatalf("readyz = %d %s", code, body)
	}
	// No password yet: a one-time setup link on stdout, never in the log.
	linkRE := regexp.MustCompile(`(http://127\.0\.0\.1:\d+/setup\?token=([\w-]+))`)
	var link []string
	for deadline := time.After(30 * time.Second); link == nil; {
		if link = linkRE.FindStringSubmatch(stdout.String()); link != nil {
			break
		}
		select {
		case <-stdout.wake:
		case <-deadline:
			t.Fatalf("no setup link on stdout:\n%s", stdout.String())
		}
	}
	if code, body := get(t, link[1]); code != 200 || !strings.Contains(body, `name="password2"`) {
		t.Fatalf("setup link = %d", code)
	}
	secrets["setup token"] = link[2]
	if code, _ := get(t, base+"/healthz?access_token="+secrets["SNSOS_API_TOKEN"]); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	// A second server on the same data dir is refused.
	r := run(t, map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_ADDR": "127.0.0.1:0"}, "serve")
	if r.code != 1 || !strings.Contains(r.stderr, "another sns-os process") {
		t.Fatalf("second serve: %d %s", r.code, r.stderr)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, stderr.String())
	}
	out := stderr.String()
	if !strings.Contains(out, `"msg":"stopped"`) || !strings.Contains(out, "generated a new master key") {
		t.Fatalf("log lacks expected lines:\n%s", out)
	}
	key, err := os.ReadFile(filepath.Join(data, secret.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range secrets {
		if strings.Contains(out, v) {
			t.Fatalf("%s found in the log", name)
		}
	}
	if strings.Contains(out, strings.TrimSpace(string(key))) {
		t.Fatal("master key found in the log")
	}
	fi, _ := os.Stat(filepath.Join(data, secret.KeyFileName))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
}

func TestServeOnPostgres(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	base, _, stderr, stop := startServe(t, map[string]string{"SNSOS_DATA_DIR": t.TempDir(), "SNSOS_DATABASE_URL": url, "SNSOS_MASTER_KEY": mustKey(t).Encode()}, "serve")
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz = %d %s", code, body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

// TestDemo: the demo's promise, end to end: a post created through the API
// for X, approved and scheduled 5 s ahead, is on the simulator exactly once,
// its target published with remote id and permalink, and its three
// checkpoint snapshots arrive on the accelerated schedule.
func TestDemo(t *testing.T) {
	t.Parallel()
	base, stdout, stderr, stop := startServe(t, map[string]string{"SNSOS_DATA_DIR": t.TempDir()}, "demo", "--checkpoint-delays", "5s,6s,7s")
	m := stdout.waitFor(t, regexp.MustCompile(`(?s)operator password: (\S+)\n.*api token: (\S+)\nconnected X account @(\S+) \(id (\d+)\)`))
	if len(m[1]) < 16 {
		t.Fatalf("weak operator password %q", m[1])
	}
	token, account := m[2], m[4]
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	at := time.Now().Add(5 * time.Second).Format(time.RFC3339Nano)
	code, p := call("POST", "/api/v1/posts", `{"body":"Hello from the demo test","targets":[{"account_id":`+account+`}],"approve":true,"scheduled_at":"`+at+`"}`)
	if code != 201 {
		t.Fatalf("create post = %d %v", code, p)
	}
	id := fmt.Sprint(p["id"])
	deadline := time.Now().Add(60 * time.Second)
	var tg map[string]any
	for {
		_, p = call("GET", "/api/v1/posts/"+id, "")
		tg = p["targets"].([]any)[0].(map[string]any)
		metrics, _ := tg["metrics"].([]any)
		if tg["state"] == "published" && len(metrics) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("target %v after 60 s\n%s", tg, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	remote := fmt.Sprint(tg["remote_id"])
	if remote == "" || !strings.HasSuffix(fmt.Sprint(tg["remote_url"]), "/status/"+remote) {
		t.Fatalf("published target %v", tg)
	}
	names := map[string]bool{}
	for _, m := range tg["metrics"].([]any) {
		names[fmt.Sprint(m.(map[string]any)["checkpoint"])] = true
	}
	if !names["1h"] || !names["24h"] || !names["7d"] {
		t.Fatalf("checkpoints %v", names)
	}
	code, body := get(t, base+"/sim/x/__sim/posts")
	if code != 200 || strings.Count(body, "Hello from the demo test") != 1 || !strings.Contains(body, remote) {
		t.Fatalf("simulator posts = %d %s", code, body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("demo exit %d", code)
	}
	if strings.Contains(stderr.String(), token) {
		t.Fatal("the API token reached the log")
	}
}

func mustKey(t *testing.T) *secret.Key {
	t.Helper()
	k, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// seed opens the data dir's store with box and writes n credentials.
func seed(t *testing.T, data string, box *secret.Box, n int) map[int64]string {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{DataDir: data, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[int64]string{}
	for i := range n {
		a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: fmt.Sprint(1000 + i), Handle: fmt.Sprint("u", i)}
		if err := s.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		tok := fmt.Sprintf("access-%d-%d", i, time.Now().UnixNano())
		if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret(tok), RefreshToken: "r" + snsos.Secret(tok)}); err != nil {
			t.Fatal(err)
		}
		want[a.ID] = tok
	}
	return want
}

func checkTokens(t *testing.T, data string, box *secret.Box, want map[int64]string) {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{DataDir: data, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, tok := range want {
		c, err := s.FindCredential(context.Background(), id)
		if err != nil || c.AccessToken.Reveal() != tok || c.RefreshToken.Reveal() != "r"+tok {
			t.Fatalf("account %d after rotation: %v", id, err)
		}
	}
}

func TestKeysRotateFileMode(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	oldKey, _, err := secret.LoadOrCreateKeyFile(filepath.Join(data, secret.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	want := seed(t, data, secret.NewBox(oldKey), 150)

	// A rotation that died after writing the new key and resealing part of
	// the credentials: master.key.next exists, 40 rows are under it.
	next := mustKey(t)
	if err := secret.WriteKeyFile(filepath.Join(data, secret.NextKeyFileName), next); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), store.Options{DataDir: data, Box: secret.NewBox(next, oldKey)})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.ResealCredentials(context.Background(), 40); err != nil || p.Resealed != 40 {
		t.Fatalf("partial reseal: %+v %v", p, err)
	}
	s.Close()

	// status shows both keys; serve would still start (both readable).
	r := run(t, map[string]string{"SNSOS_DATA_DIR": data}, "keys", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "unfinished rotation") || !strings.Contains(r.stdout, "seals 110") {
		t.Fatalf("status: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// rotate resumes with the same new key.
	r = run(t, map[string]string{"SNSOS_DATA_DIR": data}, "keys", "rotate")
	if r.code != 0 || !strings.Contains(r.stdout, "resuming the rotation to key "+next.ID()) || !strings.Contains(r.stdout, "resealed 110 credentials") {
		t.Fatalf("rotate: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(data, secret.NextKeyFileName)); !os.IsNotExist(err) {
		t.Fatal("master.key.next left behind")
	}
	installed, err := secret.ReadKeyFile(filepath.Join(data, secret.KeyFileName))
	if err != nil || installed.ID() != next.ID() {
		t.Fatalf("installed key %v, want %s", err, next.ID())
	}
	checkTokens(t, data, secret.NewBox(next), want)

	// A fresh rotation generates a key and completes.
	r = run(t, map[string]string{"SNSOS_DATA_DIR": data}, "keys", "rotate")
	if r.code != 0 || !strings.Contains(r.stdout, "resealed 150 credentials") {
		t.Fatalf("second rotate: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	third, _ := secret.ReadKeyFile(filepath.Join(data, secret.KeyFileName))
	if third.ID() == next.ID() {
		t.Fatal("key file unchanged after rotation")
	}
	checkTokens(t, data, secret.NewBox(third), want)

	// The old key no longer opens anything: starting with it is refused.
	r = run(t, map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_MASTER_KEY": oldKey.Encode()}, "keys", "status")
	if r.code != 1 || !strings.Contains(r.stderr, "SNSOS_MASTER_KEY: 150 stored credentials are sealed under key "+third.ID()) {
		t.Fatalf("wrong key: %d %s", r.code, r.stderr)
	}
}

func TestKeysRotateEnvMode(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	oldKey, newKey := mustKey(t), mustKey(t)
	want := seed(t, data, secret.NewBox(oldKey), 5)
	env := map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_MASTER_KEY": newKey.Encode()}
	// Without the old key the new one cannot start.
	if r := run(t, env, "keys", "rotate"); r.code != 1 || !strings.Contains(r.stderr, "SNSOS_MASTER_KEY_OLD") {
		t.Fatalf("rotate without old key: %d %s", r.code, r.stderr)
	}
	env["SNSOS_MASTER_KEY_OLD"] = oldKey.Encode()
	r := run(t, env, "keys", "rotate")
	if r.code != 0 || !strings.Contains(r.stdout, "resealed 5 credentials") || !strings.Contains(r.stdout, "remove SNSOS_MASTER_KEY_OLD") {
		t.Fatalf("rotate: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, newKey.Encode()) || strings.Contains(r.stdout+r.stderr, oldKey.Encode()) {
		t.Fatal("rotation printed a key")
	}
	checkTokens(t, data, secret.NewBox(newKey), want)
}

func TestBackupCommand(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	k, _, _ := secret.LoadOrCreateKeyFile(filepath.Join(data, secret.KeyFileName))
	seed(t, data, secret.NewBox(k), 3)
	out := filepath.Join(t.TempDir(), "b.db")
	r := run(t, map[string]string{"SNSOS_DATA_DIR": data}, "backup", "--out", out)
	if r.code != 0 {
		t.Fatalf("backup: %d %s", r.code, r.stderr)
	}
	raw, _ := os.ReadFile(out)
	if len(raw) == 0 || bytes.Contains(raw, []byte("access-")) {
		t.Fatal("backup empty or holds a plaintext token")
	}
	if r := run(t, map[string]string{"SNSOS_DATA_DIR": data}, "backup", "--out", out); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("backup over existing: %d %s", r.code, r.stderr)
	}
	if r := run(t, map[string]string{"SNSOS_DATA_DIR": data}, "backup"); r.code != 2 {
		t.Fatalf("backup without --out: %d", r.code)
	}
	if r := run(t, map[string]string{"SNSOS_DATA_DIR": t.TempDir()}, "backup", "--out", out+"2"); r.code != 1 || !strings.Contains(r.stderr, "nothing to back up") {
		t.Fatalf("backup of empty dir: %d %s", r.code, r.stderr)
	}
	if r := run(t, map[string]string{"SNSOS_DATABASE_URL": "postgres://127.0.0.1:1/x?connect_timeout=1", "SNSOS_DATA_DIR": data}, "backup", "--out", out+"3"); r.code != 1 {
		t.Fatalf("backup on postgres: %d %s", r.code, r.stderr)
	}
}

func runIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestLint(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("あ", 141) // 282 weighted
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"x valid json", "Hello world\n", []string{"--platform", "x", "--json"}, 0, `{"platform":"x","length":11,"max_length":280,"valid":true,"errors":[]}`, ""},
		{"x url counts 23", "see https://example.com/a/very/long/path/that/is/long", []string{"--platform", "x", "--json"}, 0, `"length":27`, ""},
		{"x cjk too long", long, []string{"--platform", "x", "--json"}, 1, `"valid":false`, ""},
		{"x text verdict", long, []string{"--platform", "x"}, 1, "X: 282 of 280 characters, not valid", ""},
		{"x cost with link", "read https://example.com", []string{"--platform", "x"}, 0, "estimated X cost: $0.2", ""},
		{"x cost plain", "plain", []string{"--platform", "x"}, 0, "estimated X cost: $0.015", ""},
		{"threads", "hi #topic", []string{"--platform", "threads", "--json"}, 0, `"max_length":500`, ""},
		{"instagram", "caption", []string{"--platform", "instagram"}, 0, "2200", ""},
		{"tiktok", "title", []string{"--platform", "tiktok", "--json"}, 0, `"platform":"tiktok"`, ""},
		{"no platform", "x", nil, 2, "", "--platform is required"},
		{"bad platform", "x", []string{"--platform", "myspace"}, 2, "", `unknown platform "myspace"`},
		{"bad flag", "x", []string{"--platfrom", "x"}, 2, "", "flag provided but not defined"},
		{"invalid utf8", "\xff\xfe", []string{"--platform", "x"}, 1, "", "not valid UTF-8"},
		{"too big", strings.Repeat("a", snsos.MaxBodyBytes+1), []string{"--platform", "x"}, 1, "", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runIn(t, tt.stdin, append([]string{"lint"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Fatalf("code %d (want %d)\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestOperatorPassword(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	env := map[string]string{"SNSOS_DATA_DIR": data}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"operator", "password"}, func(k string) string { return env[k] }, strings.NewReader("correct horse battery staple\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("set password: %d %s", code, errb.String())
	}
	s, err := store.Open(context.Background(), store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := s.Setting(context.Background(), auth.PasswordSetting)
	s.Close()
	if ok, _ := auth.VerifyPassword("correct horse battery staple", hash); err != nil || !ok {
		t.Fatalf("stored hash does not verify: %v", err)
	}
	if r := runIn(t, "short\n", "operator", "password", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "too short") {
		t.Fatalf("short password: %d %s", r.code, r.stderr)
	}
	if r := runIn(t, "", "operator", "password", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "no password on stdin") {
		t.Fatalf("no stdin: %d %s", r.code, r.stderr)
	}
	if r := runIn(t, "", "operator", "password", "--generate", "--data", data); r.code != 0 || !strings.HasPrefix(r.stdout, "operator password: ") {
		t.Fatalf("generate: %d %s %s", r.code, r.stdout, r.stderr)
	}
}
