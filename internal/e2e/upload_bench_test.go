package e2e

import (
	"bytes"
	bin "encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// bigMP4 streams a valid MP4 whose mdat holds n bytes, without holding it.
func bigMP4(n int64) io.Reader {
	small := testMP4(1280, 720, 0)
	// testMP4 ends with an empty mdat box (8 bytes): replace it with one of n bytes.
	head := small[:len(small)-8]
	mdat := bin.BigEndian.AppendUint32(nil, 1) // 64-bit size follows
	mdat = append(mdat, "mdat"...)
	mdat = bin.BigEndian.AppendUint64(mdat, uint64(16+n))
	return io.MultiReader(bytes.NewReader(head), bytes.NewReader(mdat), io.LimitReader(zeros{}, n))
}

// rssKiB reads a process's resident set (VmRSS) and its peak (VmHWM).
func rssKiB(pid int) (rss, hwm int64) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				rss = v
			case "VmHWM:":
				hwm = v
			}
		}
	}
	return rss, hwm
}

// BenchmarkUpload1GiB streams a 1 GiB video through POST /api/v1/media to
// the real server (disk backend) and reports how much the server's peak
// resident memory grew. Run with -benchtime=1x; the target is < 64 MiB.
func BenchmarkUpload1GiB(b *testing.B) {
	sim := newSimulator(b)
	env := baseEnv(b, sim)
	srv := start(b, env)
	for b.Loop() {
		_, before := rssKiB(srv.cmd.Process.Pid)
		req, _ := http.NewRequest("POST", srv.base+"/api/v1/media?filename=big.mp4", bigMP4(1<<30-4096)) // just under the default 1 GiB video limit
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Content-Type", "video/mp4")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			b.Fatalf("upload: %s %s", resp.Status, body)
		}
		elapsed := time.Since(start)
		_, after := rssKiB(srv.cmd.Process.Pid)
		b.ReportMetric(float64(after-before)/1024, "peak-rss-growth-MiB")
		b.ReportMetric(float64(after)/1024, "peak-rss-MiB")
		b.ReportMetric(float64(1<<30)/(1<<20)/elapsed.Seconds(), "MiB/s")
		b.Logf("%s", body)
	}
}
