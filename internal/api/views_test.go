package api

import "testing"

// TestShownProgressHidesUploadAddresses: a platform's upload address (a
// short-lived capability) never leaves through the API; ids do.
func TestShownProgressHidesUploadAddresses(t *testing.T) {
	got := shownProgress(map[string]string{"g1.publish_id": "v_pub_file~1", "g1.upload_url": "https://up/x?upload_token=secret"})
	if len(got) != 1 || got["g1.publish_id"] != "v_pub_file~1" {
		t.Fatalf("shown %v", got)
	}
	if shownProgress(nil) != nil {
		t.Fatal("nil progress shown as non-nil")
	}
}
