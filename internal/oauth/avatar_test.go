package oauth

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestStoreAvatar fetches pictures from an image server: a good one is
// stored with its sniffed type; an oversize one, a non-image, an
// unreachable URL and a non-http URL are logged (without the query) and
// leave the stored picture as it was.
func TestStoreAvatar(t *testing.T) {
	env := storetest.New(t, store.SQLite)
	e := newTestEnv(t, env)
	ctx := context.Background()
	a, _ := e.seedAccount(t, "pictured")
	good := testPNG(t, 48, 48)
	big := append(testPNG(t, 4, 4), make([]byte, avatarMaxBytes)...)
	imgs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good":
			w.Header().Set("Content-Type", "application/octet-stream") // sniffed, not believed
			w.Write(good)
		case "/big-declared":
			w.Header().Set("Content-Type", "image/png")
			w.Write(big)
		case "/big-streamed": // no Content-Length: the read limit catches it
			w.Header().Set("Content-Type", "image/png")
			w.Write(big[:1024])
			w.(http.Flusher).Flush()
			w.Write(big[1024:])
		case "/html":
			w.Header().Set("Content-Type", "image/png") // a lie
			w.Write([]byte("<!doctype html><html><body>not a picture</body></html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer imgs.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()

	check := func(what, url string, want []byte, wantType, wantLog string) {
		t.Helper()
		acct := *a
		acct.AvatarURL = url
		e.svc.storeAvatar(ctx, &acct)
		av, err := e.st.FindAccountAvatar(ctx, a.ID)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !bytes.Equal(av.Data, want) || av.ContentType != wantType {
			t.Fatalf("%s: stored %d bytes of %s, want %d of %s", what, len(av.Data), av.ContentType, len(want), wantType)
		}
		if wantLog != "" && !strings.Contains(e.logs.String(), wantLog) {
			t.Fatalf("%s: log lacks %q:\n%s", what, wantLog, e.logs.String())
		}
	}
	check("good", imgs.URL+"/good?v=1", good, "image/png", "account avatar stored")
	for _, tc := range []struct{ what, url, log string }{
		{"declared oversize", imgs.URL + "/big-declared?sig=avatar-secret-1", "byte limit"},
		{"streamed oversize", imgs.URL + "/big-streamed?sig=avatar-secret-2", "byte limit"},
		{"not an image", imgs.URL + "/html?sig=avatar-secret-3", "not a PNG, JPEG, GIF or WebP image (text/html)"},
		{"missing", imgs.URL + "/missing?sig=avatar-secret-4", "HTTP 404"},
		{"unreachable", goneURL + "/x.png?sig=avatar-secret-5", "connection refused"},
		{"not http", "ftp://example.com/x.png?sig=avatar-secret-6", "not an http or https URL"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data?sig=avatar-secret-7", "non-public address 169.254.169.254"},
		{"private network", "http://10.1.2.3/x.png?sig=avatar-secret-8", "non-public address 10.1.2.3"},
		{"unspecified", "http://[::]:9/x.png?sig=avatar-secret-9", "non-public address ::"},
	} {
		check(tc.what, tc.url, good, "image/png", tc.log)
	}
	logs := e.logs.String()
	if strings.Contains(logs, "avatar-secret") {
		t.Fatalf("a URL's query reached the log:\n%s", logs)
	}
	if !strings.Contains(logs, "level=INFO msg=\"account avatar not stored\"") {
		t.Fatalf("failures not logged at info level:\n%s", logs)
	}
}

// TestConnectStoresAvatar connects through the simulator, which serves
// its own pictures: the account has the simulator's PNG. With the picture
// unreachable the connect still succeeds.
func TestConnectStoresAvatar(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		e := newTestEnv(t, env)
		ctx := context.Background()
		u := e.sim.AddUser("with_face", "With Face")
		b := browser(t)
		if r := get(t, b, e.startFlow(t, b).String()); r.status != http.StatusOK {
			t.Fatalf("callback: %d %s", r.status, r.body)
		}
		accts, err := e.st.ListAccounts(ctx)
		if err != nil || len(accts) != 1 {
			t.Fatalf("accounts %v, %v", accts, err)
		}
		av, err := e.st.FindAccountAvatar(ctx, accts[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if av.ContentType != "image/png" || !bytes.Equal(av.Data, xsim.AvatarPNG(u.ID)) {
			t.Fatalf("avatar %s, %d bytes", av.ContentType, len(av.Data))
		}

		// A reconnect with the picture unreachable connects and keeps it.
		gone := httptest.NewServer(http.NotFoundHandler())
		gone.Close()
		e.sim.SetBaseURL(gone.URL)
		if err := e.st.SetAccountStatus(ctx, accts[0].ID, snsos.AccountNeedsReauth, "test"); err != nil {
			t.Fatal(err)
		}
		b = browser(t)
		if r := get(t, b, e.startFlow(t, b).String()); r.status != http.StatusOK {
			t.Fatalf("reconnect: %d %s", r.status, r.body)
		}
		a, err := e.st.FindAccountByID(ctx, accts[0].ID)
		if err != nil || a.Status != snsos.AccountConnected || a.AvatarURL != gone.URL+"/__sim/avatars/"+u.ID+".png" {
			t.Fatalf("after reconnect: %+v, %v", a, err)
		}
		if again, err := e.st.FindAccountAvatar(ctx, a.ID); err != nil || again.ETag != av.ETag {
			t.Fatalf("avatar after a failed fetch: %+v, %v", again, err)
		}
		if !strings.Contains(e.logs.String(), "account avatar not stored") {
			t.Fatalf("failed fetch not logged:\n%s", e.logs.String())
		}
	})
}

// TestAvatarAddresses: the avatar client connects to public unicast
// addresses only; loopback only when the demo allows it.
func TestAvatarAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		public   bool
		loopback bool // allowed with AvatarLoopback
	}{
		{"93.184.216.34", true, true},
		{"1.1.1.1", true, true},
		{"2606:4700:4700::1111", true, true},
		{"2001:4860:4860::8888", true, true},
		{"127.0.0.1", false, true},
		{"127.1.2.3", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"10.1.2.3", false, false},
		{"172.16.0.1", false, false},
		{"192.168.1.1", false, false},
		{"169.254.169.254", false, false},
		{"100.64.0.1", false, false},
		{"100.127.255.254", false, false},
		{"198.18.0.1", false, false},
		{"198.19.255.255", false, false},
		{"0.0.0.0", false, false},
		{"0.1.2.3", false, false},
		{"255.255.255.255", false, false},
		{"240.0.0.1", false, false},
		{"224.0.0.1", false, false},
		{"192.0.0.8", false, false},
		{"192.0.2.1", false, false},
		{"::", false, false},
		{"::ffff:10.0.0.1", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"::10.0.0.1", false, false},
		{"64:ff9b::a9fe:a9fe", false, false}, // NAT64 of 169.254.169.254
		{"64:ff9b:1::1", false, false},
		{"2002:a00:1::1", false, false}, // 6to4 of 10.0.0.1
		{"2001:0:4136:e378::1", false, false},
		{"2001:db8::1", false, false},
		{"fc00::1", false, false},
		{"fd12:3456::1", false, false},
		{"fe80::1", false, false},
		{"ff02::1", false, false},
	} {
		if got := publicUnicast(netip.MustParseAddr(tc.addr)); got != tc.public {
			t.Errorf("publicUnicast(%s) = %v, want %v", tc.addr, got, tc.public)
		}
		hostport := net.JoinHostPort(tc.addr, "443")
		if err := avatarDialCheck(hostport, false); (err == nil) != tc.public {
			t.Errorf("dial %s in production: %v", tc.addr, err)
		}
		if err := avatarDialCheck(hostport, true); (err == nil) != tc.loopback {
			t.Errorf("dial %s in the demo: %v", tc.addr, err)
		}
	}
}

// TestAvatarClientNoLoopbackNoProxy: outside the demo a picture on
// loopback is refused, and the client never uses a proxy (the address
// check would see only the proxy's).
func TestAvatarClientNoLoopbackNoProxy(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(testPNG(t, 4, 4)) }))
	defer img.Close()
	if tr := newAvatarClient(false).Transport.(*http.Transport); tr.Proxy != nil {
		t.Fatal("the avatar client uses a proxy")
	}
	prod := New(Config{})
	if _, _, err := prod.fetchAvatar(context.Background(), img.URL+"/a.png"); err == nil || !strings.Contains(err.Error(), "non-public address 127.0.0.1") {
		t.Fatalf("loopback picture outside the demo: %v", err)
	}
	demo := New(Config{AvatarLoopback: true})
	if ct, _, err := demo.fetchAvatar(context.Background(), img.URL+"/a.png"); err != nil || ct != "image/png" {
		t.Fatalf("loopback picture in the demo (through no proxy): %q %v", ct, err)
	}
}
