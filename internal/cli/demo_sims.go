package cli

import (
	"net/http"
	"time"

	"github.com/sns-os/snsos"
	igsim "github.com/sns-os/snsos/internal/sim/instagram"
	thsim "github.com/sns-os/snsos/internal/sim/threads"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	xsim "github.com/sns-os/snsos/internal/sim/x"
)

// demoSim is one simulated platform of the demo, mounted at
// /sim/{platform}/ with a registered app of its own.
type demoSim struct {
	platform   snsos.Platform
	clientID   string
	handler    http.Handler
	setBaseURL func(string)
	close      func()
	// appSecret signs the demo's Meta callbacks (Instagram, Threads);
	// appSecretFrom names the setting it came from ("" when generated).
	appSecret     snsos.Secret
	appSecretFrom string
}

type demoSims []*demoSim

// newDemoSims returns the simulators of the supported platforms, in the
// usual order. With autoApprove, their consent pages approve at once for
// the demo user, so the demo can connect the accounts itself. The
// simulated Instagram and Threads keep a new post's insights empty for
// insights (as Meta does for a while), which the demo sets well before its
// accelerated +1h checkpoint. The simulated TikTok app has not passed the
// Direct Post audit (Unaudited), as a new app: its posts can only be
// SELF_ONLY.
func newDemoSims(autoApprove bool, insights time.Duration) demoSims {
	const user = "snsos_demo"
	x := xsim.New(xsim.Options{ClientID: "snsos-demo-x", ClientSecret: "snsos-demo-x-secret", AutoApprove: autoApprove, DemoUsername: user})
	ig := igsim.New(igsim.Options{ClientID: "snsos-demo-instagram", ClientSecret: "snsos-demo-instagram-secret",
		AutoApprove: autoApprove, DemoUsername: user, InsightsDelay: insights})
	th := thsim.New(thsim.Options{ClientID: "snsos-demo-threads", ClientSecret: "snsos-demo-threads-secret",
		AutoApprove: autoApprove, DemoUsername: user, InsightsDelay: insights})
	tt := ttsim.New(ttsim.Options{ClientKey: "snsos-demo-tiktok", ClientSecret: "snsos-demo-tiktok-secret",
		AutoApprove: autoApprove, DemoUsername: user, Unaudited: true})
	return demoSims{
		{platform: snsos.PlatformX, clientID: "snsos-demo-x", handler: x, setBaseURL: x.SetBaseURL, close: x.Close},
		{platform: snsos.PlatformInstagram, clientID: "snsos-demo-instagram", handler: ig, setBaseURL: ig.SetBaseURL, close: ig.Close},
		{platform: snsos.PlatformThreads, clientID: "snsos-demo-threads", handler: th, setBaseURL: th.SetBaseURL, close: th.Close},
		{platform: snsos.PlatformTikTok, clientID: "snsos-demo-tiktok", handler: tt, setBaseURL: tt.SetBaseURL, close: tt.Close},
	}
}

func (ss demoSims) close() {
	for _, s := range ss {
		s.close()
	}
}
