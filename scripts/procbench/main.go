// Command procbench measures what a lean process means for sns-os: how
// long "sns-os serve" takes from exec to the first 200 from /readyz on a
// data dir that already exists (keys, schema and River's tables made by an
// earlier start), and its resident memory (VmRSS) while idle at 5 s and
// 60 s. It prints one line per figure; docs/benchmarks.md records them.
//
//	go run ./scripts/procbench -bin bin/sns-os [-runs 15] [-idle 5s,60s]
//
// Linux only (it reads /proc/PID/status).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/sns-os", "the sns-os binary to measure")
	runs := flag.Int("runs", 15, "start-ups to measure")
	idle := flag.String("idle", "5s,60s", "when to read the idle RSS, after the start")
	flag.Parse()
	if err := run(*bin, *runs, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "procbench:", err)
		os.Exit(1)
	}
}

func run(bin string, runs int, idle string) error {
	var marks []time.Duration
	for _, s := range strings.Split(idle, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-idle: %w", err)
		}
		marks = append(marks, d)
	}
	dir, err := os.MkdirTemp("", "procbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	// The first start makes the data dir; it is not counted.
	p, _, err := start(bin, data)
	if err != nil {
		return err
	}
	p.stop()
	var took []time.Duration
	for range runs {
		p, d, err := start(bin, data)
		if err != nil {
			return err
		}
		p.stop()
		took = append(took, d)
	}
	slices.Sort(took)
	fmt.Printf("ready (existing data dir): median %.1f ms, min %.1f, max %.1f over %d starts\n",
		ms(took[len(took)/2]), ms(took[0]), ms(took[len(took)-1]), len(took))

	p, _, err = start(bin, data)
	if err != nil {
		return err
	}
	defer p.stop()
	for _, at := range marks {
		time.Sleep(time.Until(p.started.Add(at)))
		rss, hwm, err := p.memory()
		if err != nil {
			return err
		}
		fmt.Printf("idle RSS at %s: %.1f MiB (peak so far %.1f MiB)\n", at, rss, hwm)
	}
	if fi, err := os.Stat(bin); err == nil {
		fmt.Printf("binary: %.1f MiB\n", float64(fi.Size())/(1<<20))
	}
	return nil
}

type proc struct {
	cmd     *exec.Cmd
	started time.Time
}

// start runs "sns-os serve" on data and returns once /readyz answers 200,
// with the time that took from just before exec.
func start(bin, data string) (*proc, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = nil, nil
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, started: t0}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(t0), nil
			}
		}
		if ctx.Err() != nil {
			p.stop()
			return nil, 0, fmt.Errorf("%s serve was not ready within 30 s", bin)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
}

// memory reads VmRSS and VmHWM, in MiB.
func (p *proc) memory() (rss, hwm float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
