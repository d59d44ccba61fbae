package web

import (
	"testing"

	"github.com/sns-os/snsos"
)

// TestPublishProgress: where a publication stands, in both languages,
// from the progress keys the Instagram and Threads clients save.
func TestPublishProgress(t *testing.T) {
	t.Parallel()
	ig, th := snsos.PlatformInstagram, snsos.PlatformThreads
	publishing, published, waiting := snsos.StatePublishing, snsos.StatePublished, snsos.StateRetryWait
	quotaErr := "Instagram's publishing limit for @shop is used up (100 of 100 posts in a rolling 24 hours) — trying again at 2026-11-29T04:00:00Z"
	cases := []struct {
		name       string
		f          progressFacts
		en, ja     string
		wantDetail string
	}{
		{name: "nothing made yet", f: progressFacts{Platform: ig, State: publishing, Kind: "IMAGE", Items: 1, Parts: 1},
			en: "sns-os is sending this to Instagram.", ja: "Instagramに送信しています。"},
		{name: "carousel items arriving", f: progressFacts{Platform: ig, State: publishing, Items: 3, Parts: 1,
			Progress: map[string]string{"media_type": "CAROUSEL", "g1.item1.container": "17900000000000001", "g1.item2.container": "17900000000000002"}},
			en: "Instagram is preparing the carousel (2 of 3 items received).", ja: "Instagramでカルーセルを準備しています（3件中2件を受け付け済み）。"},
		{name: "items of a second generation", f: progressFacts{Platform: ig, State: publishing, Items: 2, Parts: 1,
			Progress: map[string]string{"gen": "2", "media_type": "CAROUSEL", "g1.item1.container": "1", "g1.item2.container": "2", "g2.item1.container": "3"}},
			en: "Instagram is preparing the carousel (1 of 2 items received).", ja: "Instagramでカルーセルを準備しています（2件中1件を受け付け済み）。"},
		{name: "reel processing", f: progressFacts{Platform: ig, State: publishing, Kind: "IMAGE", Items: 1, Parts: 1,
			Progress: map[string]string{"media_type": "REELS", "g1.container": "17900000000000009", "g1.created": "1700000000"}},
			en: "Instagram is processing the video; sns-os checks again shortly.", ja: "Instagramで動画を処理しています。しばらくしてからもう一度確認します。"},
		{name: "carousel container processing", f: progressFacts{Platform: ig, State: publishing, Items: 2, Parts: 1,
			Progress: map[string]string{"media_type": "CAROUSEL", "g1.item1.container": "1", "g1.item2.container": "2", "g1.container": "3"}},
			en: "Instagram is processing the carousel; sns-os checks again shortly.", ja: "Instagramでカルーセルを処理しています。しばらくしてからもう一度確認します。"},
		{name: "publish call sent", f: progressFacts{Platform: ig, State: publishing, Items: 1, Parts: 1,
			Progress: map[string]string{"media_type": "IMAGE", "g1.container": "3", "g1.publish_sent": "1"}},
			en: "Sent to Instagram for publishing; sns-os is confirming that it went live.", ja: "Instagramに公開を依頼しました。公開されたかを確認しています。"},
		{name: "first comment failed", f: progressFacts{Platform: ig, State: published, Items: 1, Parts: 1,
			Progress: map[string]string{"part1.post_id": "17920000000000001", "comment.sent": "1", "comment.error": "comment refused (code 10)"}},
			en: "Published; posting the first comment failed. Add it in the Instagram app if you still want it.",
			ja: "投稿済みです。ただし、最初のコメントは投稿できませんでした。必要であれば、Instagramアプリでコメントしてください。", wantDetail: "comment refused (code 10)"},
		{name: "first comment posted", f: progressFacts{Platform: ig, State: published, Parts: 1,
			Progress: map[string]string{"part1.post_id": "1", "comment.sent": "1", "comment.id": "2"}},
			en: "Published with its first comment.", ja: "最初のコメントとあわせて投稿しました。"},
		{name: "published without a comment", f: progressFacts{Platform: ig, State: published, Parts: 1, Progress: map[string]string{"part1.post_id": "1"}}},
		{name: "confirmed late, its first comment never sent", f: progressFacts{Platform: ig, State: published, Parts: 1, FirstComment: true,
			Progress: map[string]string{"g1.container": "3", "g1.publish_sent": "2026-11-29T03:00:00Z", "part1.post_id": "1"}},
			en: "Published, but Instagram confirmed the post only after its answer was lost, so the first comment was not posted. Add it in the Instagram app if you still want it.",
			ja: "投稿済みです。ただし、Instagramからの応答が途切れたあとで公開を確認したため、最初のコメントは投稿していません。必要であれば、Instagramアプリでコメントしてください。"},
		{name: "quota used up", f: progressFacts{Platform: ig, State: waiting, Error: quotaErr, Due: "29 Nov 13:00"},
			en: "This account has used up its 24-hour publishing limit on Instagram; sns-os tries again at 29 Nov 13:00.",
			ja: "このアカウントはInstagramの24時間あたりの投稿上限に達しています。29 Nov 13:00に再試行します。"},
		{name: "quota refused by Threads", f: progressFacts{Platform: th, State: waiting,
			Error: "threads: publish: (#4) Application request limit reached: This account published 250 posts in the last 24 hours; wait before publishing more. (code 4) (rate_limited, HTTP 400)"},
			en: "This account has used up its 24-hour publishing limit on Threads; sns-os posts this as soon as the limit allows.",
			ja: "このアカウントはThreadsの24時間あたりの投稿上限に達しています。上限に空きができしだい投稿します。"},
		{name: "another wait", f: progressFacts{Platform: ig, State: waiting, Error: "Instagram: an Instagram server error (transient) — retrying at 2026-11-29T04:00:00Z"}},
		{name: "X says nothing more", f: progressFacts{Platform: snsos.PlatformX, State: publishing, Parts: 1, Progress: map[string]string{"part1.post_id": "1"}}},
		{name: "Threads chain halfway", f: progressFacts{Platform: th, State: publishing, Parts: 3,
			Progress: map[string]string{"part1.container": "1", "part1.post_id": "11", "part2.container": "2", "part2.post_id": "12", "part3.container": "3"}},
			en: "Part 2 of 3 published; sns-os is posting the rest.", ja: "3件中2件目まで投稿しました。残りを投稿しています。"},
		{name: "Threads chain waiting", f: progressFacts{Platform: th, State: waiting, Parts: 3, Error: "Threads: a server error (transient)",
			Progress: map[string]string{"part1.post_id": "11"}},
			en: "Part 1 of 3 published; the rest goes out when sns-os tries again.", ja: "3件中1件目まで投稿しました。残りは再試行のときに投稿します。"},
		{name: "Threads carousel items", f: progressFacts{Platform: th, State: publishing, Kind: "CAROUSEL", Items: 3, Parts: 1,
			Progress: map[string]string{"part1.item1.container": "1"}},
			en: "Threads is preparing the carousel (1 of 3 items received).", ja: "Threadsでカルーセルを準備しています（3件中1件を受け付け済み）。"},
		{name: "Threads image of a new generation", f: progressFacts{Platform: th, State: publishing, Kind: "IMAGE", Items: 1, Parts: 2,
			Progress: map[string]string{"part1.container": "1", "part1.gen": "2", "part1.gen2.container": "2"}},
			en: "Threads is processing the image; sns-os checks again shortly.", ja: "Threadsで画像を処理しています。しばらくしてからもう一度確認します。"},
		{name: "Threads publish sent", f: progressFacts{Platform: th, State: publishing, Kind: "TEXT", Parts: 1,
			Progress: map[string]string{"part1.container": "1", "part1.publish_sent": "2026-11-29T03:00:00Z"}},
			en: "Sent to Threads for publishing; sns-os is confirming that it went live.", ja: "Threadsに公開を依頼しました。公開されたかを確認しています。"},
		{name: "Threads text made", f: progressFacts{Platform: th, State: publishing, Kind: "TEXT", Parts: 1, Progress: map[string]string{"part1.container": "1"}},
			en: "Threads is processing the post; sns-os checks again shortly.", ja: "Threadsで投稿を処理しています。しばらくしてからもう一度確認します。"},
		{name: "Threads chain all out", f: progressFacts{Platform: th, State: published, Parts: 2,
			Progress: map[string]string{"part1.post_id": "11", "part2.post_id": "12"}}},
	}
	en, ja := newTranslator(langIndex("en"), nil), newTranslator(langIndex("ja"), nil)
	for _, c := range cases {
		got := publishProgress(en, c.f)
		if got.Text != c.en || got.Detail != c.wantDetail {
			t.Errorf("%s: en %+v, want %q (detail %q)", c.name, got, c.en, c.wantDetail)
		}
		if got := publishProgress(ja, c.f); got.Text != c.ja {
			t.Errorf("%s: ja %q, want %q", c.name, got.Text, c.ja)
		}
		for _, p := range jaProblems(publishProgress(ja, c.f).Text, false) {
			t.Errorf("%s: ja style: %s", c.name, p)
		}
	}
}
