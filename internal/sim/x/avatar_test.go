package x

import (
	"bytes"
	"image/png"
	"net/http"
	"testing"
)

func TestAvatars(t *testing.T) {
	t.Parallel()
	// Without a base URL, profile_image_url stays X's default picture.
	e := newEnv(t, Options{})
	u, at := e.user("plain")
	r := e.expect(e.do(http.MethodGet, "/2/users/me?user.fields=profile_image_url", at, nil), 200)
	if got := r.str("data", "profile_image_url"); got != defaultProfileImage {
		t.Fatalf("profile_image_url without a base URL = %q", got)
	}

	// SetBaseURL points it at the simulator itself.
	e.sim.SetBaseURL(e.srv.URL + "/")
	r = e.expect(e.do(http.MethodGet, "/2/users/me?user.fields=profile_image_url", at, nil), 200)
	want := e.srv.URL + "/__sim/avatars/" + u.ID + ".png"
	if got := r.str("data", "profile_image_url"); got != want {
		t.Fatalf("profile_image_url = %q, want %q", got, want)
	}
	resp, err := e.http.Get(want)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("avatar: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != AvatarSize || b.Dy() != AvatarSize {
		t.Fatalf("avatar is %v", b)
	}
	// The colour follows the id: same id, same picture; another id, another.
	if !bytes.Equal(AvatarPNG(u.ID), AvatarPNG(u.ID)) || bytes.Equal(AvatarPNG(u.ID), AvatarPNG(u.ID+"1")) {
		t.Fatal("avatar colour not derived from the id")
	}
	// The form action follows too.
	page := e.expect(e.do(http.MethodGet, "/i/oauth2/authorize?"+authorizeQuery(allScopes).Encode(), "", nil), 200)
	if !bytes.Contains(page.raw, []byte(`action="`+e.srv.URL+`/i/oauth2/authorize"`)) {
		t.Fatalf("form action: %s", page.raw)
	}
	// Unknown users and other names are not found.
	for _, path := range []string{"/__sim/avatars/1234.png", "/__sim/avatars/" + u.ID + ".jpg"} {
		e.expect(e.do(http.MethodGet, path, "", nil), 404)
	}
}
