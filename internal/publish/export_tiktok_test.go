package publish

// TikTokStartedForTest exposes tiktokStarted to the external tests, which
// compare it with the TikTok client's own keys.
var TikTokStartedForTest = tiktokStarted
