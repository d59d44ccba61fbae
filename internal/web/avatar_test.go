package web

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// TestAccountAvatar serves a stored profile picture behind the session,
// revalidated by its ETag, and shows it on the pages that list accounts;
// accounts without one keep their letter badge.
func TestAccountAvatar(t *testing.T) {
	pe := newPagesEnv(t)
	ctx := context.Background()
	accts, err := pe.store.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var xID, thID int64
	for _, a := range accts {
		switch a.Platform {
		case snsos.PlatformX:
			xID = a.ID
		case snsos.PlatformThreads:
			thID = a.ID
		}
	}
	path := "/accounts/" + strconv.FormatInt(xID, 10) + "/avatar"
	imgTag := func(class string, id int64, size int) string {
		s := strconv.Itoa(size)
		return `<img class="` + class + `" src="/accounts/` + strconv.FormatInt(id, 10) + `/avatar" alt="" width="` + s + `" height="` + s + `">`
	}

	// None stored: 404, and letter badges everywhere.
	if resp, _ := pe.get(t, path); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("avatar before one is stored: %d", resp.StatusCode)
	}
	for _, page := range []string{"/accounts", "/", "/compose"} {
		if _, body := pe.get(t, page); strings.Contains(body, "/avatar\"") {
			t.Fatalf("%s links an avatar that is not there:\n%s", page, body)
		}
	}

	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 48, 48))); err != nil {
		t.Fatal(err)
	}
	av := &store.Avatar{AccountID: xID, ContentType: "image/png", Data: buf.Bytes()}
	if err := pe.store.PutAccountAvatar(ctx, av); err != nil {
		t.Fatal(err)
	}
	etag := `"` + av.ETag + `"`

	// Only the operator sees it.
	anon := pe.client(t)
	if resp, body := do(t, anon, "GET", pe.srv.URL+path, nil); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/signin") || strings.Contains(body, "PNG") {
		t.Fatalf("avatar without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, body := pe.get(t, path)
	h := resp.Header
	if resp.StatusCode != http.StatusOK || body != buf.String() {
		t.Fatalf("avatar: %d, %d bytes", resp.StatusCode, len(body))
	}
	for k, want := range map[string]string{"Content-Type": "image/png", "Cache-Control": "private, max-age=86400",
		"ETag": etag, "X-Content-Type-Options": "nosniff", "Content-Length": strconv.Itoa(buf.Len())} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	// Revalidation: the same etag (strong or weak, among others) is 304.
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		req, _ := http.NewRequest("GET", pe.srv.URL+path, nil)
		req.Header.Set("If-None-Match", inm)
		resp, err := pe.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified || resp.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d, ETag %q", inm, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	req, _ := http.NewRequest("GET", pe.srv.URL+path, nil)
	req.Header.Set("If-None-Match", `"stale"`)
	if resp, err := pe.c.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stale etag: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// Another account, an unknown one and a bad id are not found.
	for _, p := range []string{"/accounts/" + strconv.FormatInt(thID, 10) + "/avatar", "/accounts/99999/avatar", "/accounts/x/avatar"} {
		if resp, _ := pe.get(t, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}

	// The pages show the picture of X and the letter of Threads.
	_, body = pe.get(t, "/accounts")
	wantAll(t, "accounts", body, imgTag("acct-avatar", xID, 44), `<span class="monogram" aria-hidden="true">D</span>`)
	if strings.Count(body, "<img") != 1 {
		t.Fatalf("accounts page: want one img:\n%s", body)
	}
	_, body = pe.get(t, "/")
	wantAll(t, "home", body, imgTag("strip-avatar", xID, 32), `<span class="avatar" aria-hidden="true">T</span>`)
	_, body = pe.get(t, "/compose")
	wantAll(t, "compose", body, imgTag("chip-avatar", xID, 24), imgTag("preview-avatar", xID, 32))
	if strings.Contains(body, `/accounts/`+strconv.FormatInt(thID, 10)+`/avatar`) {
		t.Fatal("compose links an avatar Threads does not have")
	}
	for _, page := range []string{"/accounts", "/", "/compose"} {
		if _, body := pe.get(t, page); strings.Contains(body, "style=") {
			t.Fatalf("%s has an inline style (CSP)", page)
		}
	}
}
