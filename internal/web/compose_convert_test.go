package web

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/media"
)

// transparentPNG is a w×h PNG whose left half is transparent and right
// half opaque red.
func transparentPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := w / 2; x < w; x++ {
			img.Set(x, y, color.NRGBA{R: 220, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestComposeConvertToJPEG: "Convert to JPEG" next to Instagram's PNG badge
// makes a JPEG of the same size, white where the PNG was transparent, and
// puts it where the PNG was — in the post's media, in a tab's chosen
// media, with its alt text — without JavaScript; the page says so.
func TestComposeConvertToJPEG(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	ig, th := ce.metaAccounts(t)
	jpg := ce.upload(t, testJPEG(t, 64, 64, 1), "boat.jpg")
	pngID := ce.upload(t, transparentPNG(t, 40, 30), "flag.png")
	f := ce.form("A flag", "check")
	f["account"] = []string{itoa(ce.x.ID), itoa(ig.ID), itoa(th.ID)}
	f["media"] = []string{itoa(jpg), itoa(pngID)}
	f.Set("alt_"+itoa(pngID), "A red flag")
	f.Set("tmedia_mode_threads", "choose")
	f["tmedia_order_threads"] = []string{itoa(pngID), itoa(jpg)}
	f["tmedia_threads"] = []string{itoa(pngID)}
	_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	wantAll(t, "before", body, "Instagram ✗ PNG — JPEG only", `value="convert:`+itoa(pngID)+`"`)

	v := composeFormValues(t, body)
	v.Set("do", "convert:"+itoa(pngID))
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("convert: %d\n%s", resp.StatusCode, body)
	}
	wantAll(t, "after", body, `id="compose-notice"`, "Converted flag.png to JPEG (flag.jpg).")
	v = composeFormValues(t, body)
	newID := parseIDs(v["media"])
	if len(newID) != 2 || newID[0] != jpg || newID[1] == pngID {
		t.Fatalf("media after converting: %v", v["media"])
	}
	jid := itoa(newID[1])
	if !slices.Equal(v["tmedia_order_threads"], []string{jid, itoa(jpg)}) || !slices.Equal(v["tmedia_threads"], []string{jid}) {
		t.Fatalf("Threads choice after converting: %v %v", v["tmedia_order_threads"], v["tmedia_threads"])
	}
	if v.Get("alt_"+jid) != "A red flag" || v.Has("alt_"+itoa(pngID)) {
		t.Fatalf("alt texts after converting: %v", v)
	}
	if strings.Contains(body, "Instagram ✗") {
		t.Fatal("Instagram still refuses the image")
	}

	// The JPEG: same size, white where transparent, red where red.
	rc, m, err := ce.lib.Open(ctx, newID[1])
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(rc)
	rc.Close()
	if err != nil || m.Mime != "image/jpeg" || m.Width != 40 || m.Height != 30 || img.Bounds().Dx() != 40 || img.Bounds().Dy() != 30 {
		t.Fatalf("converted %+v %v (%v)", m, img.Bounds(), err)
	}
	if r, g, b, _ := img.At(5, 15).RGBA(); r>>8 < 245 || g>>8 < 245 || b>>8 < 245 {
		t.Errorf("transparent pixel became %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
	if r, g, b, _ := img.At(35, 15).RGBA(); r>>8 < 190 || g>>8 > 60 || b>>8 > 60 {
		t.Errorf("red pixel became %d,%d,%d", r>>8, g>>8, b>>8)
	}

	// Saved: the post and the Threads target carry the JPEG.
	v.Set("do", "draft")
	resp, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", v)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	p, _ := ce.store.FindPostByID(ctx, postIDFrom(t, resp.Header.Get("Location")))
	sameTargets(t, "saved", p.Targets, []*snsos.Target{{AccountID: ce.x.ID}, {AccountID: ig.ID}, {AccountID: th.ID, MediaIDs: []int64{newID[1]}}})
	if !slices.Equal(p.MediaIDs, newID) || p.MediaAlt[newID[1]] != "A red flag" {
		t.Fatalf("post media %v %v", p.MediaIDs, p.MediaAlt)
	}
}

// TestComposeConvertRefused: an image whose JPEG is over the library's
// limit, an item not in the post, and a library that can't convert are
// refused with a sentence; the form stays as it was.
func TestComposeConvertRefused(t *testing.T) {
	ce := newComposeEnv(t)
	ig, _ := ce.metaAccounts(t)
	// A plain PNG compresses far better than its JPEG: a limit between the
	// two takes the PNG and refuses the JPEG.
	plain := image.NewNRGBA(image.Rect(0, 0, 600, 600))
	for i := range plain.Pix {
		plain.Pix[i] = byte(i % 7 * 30)
	}
	var pb, jb bytes.Buffer
	png.Encode(&pb, plain)
	jpeg.Encode(&jb, plain, &jpeg.Options{Quality: media.DefaultJPEGQuality})
	if jb.Len() <= pb.Len() {
		t.Fatalf("the JPEG (%d bytes) is not larger than the PNG (%d)", jb.Len(), pb.Len())
	}
	disk, err := media.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	small := media.NewLibrary(disk, ce.store, media.Limits{MaxImageBytes: int64(pb.Len() + (jb.Len()-pb.Len())/2)})
	ce.reconfigure(t, func(c *Config) { c.Media = small })
	m, err := small.Upload(context.Background(), bytes.NewReader(pb.Bytes()), "stripes.png")
	if err != nil {
		t.Fatal(err)
	}
	form := func(action string) (int, string) {
		f := ce.form("Stripes", action)
		f["account"] = []string{itoa(ig.ID)}
		f["media"] = []string{itoa(m.ID)}
		resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
		return resp.StatusCode, html.UnescapeString(body)
	}
	status, body := form("convert:" + itoa(m.ID))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("too large: %d", status)
	}
	wantAll(t, "too large", body, `id="media-error"`, "This image is too large to convert (", "limit for images", "Make it smaller",
		`name="media" value="`+itoa(m.ID)+`"`)
	if status, body = form("convert:999999"); status != http.StatusUnprocessableEntity || !strings.Contains(body, "no longer in this post") {
		t.Fatalf("not in the post: %d", status)
	}
	ce.reconfigure(t, func(c *Config) { c.Media = struct{ Media }{small} })
	if status, body = form("convert:" + itoa(m.ID)); status != http.StatusServiceUnavailable || !strings.Contains(body, "not available on this server") {
		t.Fatalf("without conversion: %d", status)
	}
	if strings.Contains(body, `name="do" value="convert:`) {
		t.Fatal("Convert to JPEG is offered by a library that can't convert")
	}
}
