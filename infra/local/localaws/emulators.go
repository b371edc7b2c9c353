package localaws

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MotoInstall is the command that installs moto_server.
const MotoInstall = `pip install "moto[server]"`

// ErrMotoMissing is returned by StartMoto when moto_server is not on PATH.
var ErrMotoMissing = errors.New("moto_server not found on PATH; install it with: " + MotoInstall)

// ErrSESMissing is returned by StartSES when aws-ses-v2-local is not
// installed in the emulators directory.
var ErrSESMissing = errors.New("aws-ses-v2-local is not installed; run: make deps (npm ci in infra/emulators)")

// startTimeout bounds how long an emulator may take to answer when the
// caller's context has no deadline.
const startTimeout = 30 * time.Second

// Process is an emulator started in its own process group, listening on
// 127.0.0.1.
type Process struct {
	// URL is the emulator's base URL, http://127.0.0.1:port.
	URL  string
	name string
	cmd  *exec.Cmd
	logs *tail
	done chan struct{} // closed when the process has exited

	stopOnce sync.Once
	stopErr  error
}

// StartMoto starts moto_server on 127.0.0.1:port (a free port when port is
// 0) and returns once it answers HTTP.
func StartMoto(ctx context.Context, port int) (*Process, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrMotoMissing
	}
	patch, err := motoPatchPath()
	if err != nil {
		return nil, err
	}
	return start(ctx, "moto", bin, []string{"-H", "127.0.0.1", "-p", strconv.Itoa(port)}, port,
		regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`), "/moto-api/", patch)
}

// StartSES starts aws-ses-v2-local from emulatorsDir/node_modules on
// 127.0.0.1:port (a free port when port is 0) and returns once it answers.
func StartSES(ctx context.Context, port int, emulatorsDir string) (*Process, error) {
	cli := filepath.Join(emulatorsDir, "node_modules", "aws-ses-v2-local", "dist", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrSESMissing, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("aws-ses-v2-local needs node on PATH: %w", err)
	}
	// The emulator prints http://localhost:port when bound to 127.0.0.1.
	return start(ctx, "aws-ses-v2-local", node, []string{cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port)}, port,
		regexp.MustCompile(`server running at http://(?:localhost|127\.0\.0\.1):(\d+)`), "/health-check")
}

// motoPatchPath is the PYTHONPATH entry of moto_server: infra/local/localaws/motopatch
// (S3 events name their writer), before whatever PYTHONPATH already holds.
func motoPatchPath() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "infra", "local", "localaws", "motopatch")
	if _, err := os.Stat(filepath.Join(dir, "sitecustomize.py")); err != nil {
		return "", err
	}
	if old := os.Getenv("PYTHONPATH"); old != "" {
		dir += string(os.PathListSeparator) + old
	}
	return "PYTHONPATH=" + dir, nil
}

// dropEnv lists variables an emulator must not inherit: with SMTP_TRANSPORT
// set, aws-ses-v2-local relays every mail to that SMTP server.
var dropEnv = []string{"SMTP_TRANSPORT"}

// emulatorEnv is the environment of an emulator: this process's, without
// dropEnv, unbuffered for Python so announcements arrive at once.
func emulatorEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(dropEnv, name) {
			env = append(env, kv)
		}
	}
	return append(env, "PYTHONUNBUFFERED=1")
}

// attached reports whether p is an emulator that was already running and
// that this process only uses: Stop leaves it alone.
func (p *Process) attached() bool { return p.cmd == nil }

// Started reports whether this process started the emulator (and Stop ends
// it), as opposed to finding it already running (see Options.Reuse).
func (p *Process) Started() bool { return !p.attached() }

// Name returns what the emulator is: "moto", "aws-ses-v2-local", or for a
// reused one, what answered on its port ("localstack" is possible).
func (p *Process) Name() string { return p.name }

// Attach returns a handle on an emulator already answering at url, which
// must be a loopback IP literal URL: readyPath must answer 200 within a
// second. Stop, Pause and Resume never touch it.
func Attach(ctx context.Context, name, url, readyPath string) (*Process, error) {
	if err := CheckEndpoint(url); err != nil {
		return nil, err
	}
	if code := probe(ctx, url+readyPath); code != http.StatusOK {
		return nil, fmt.Errorf("%s: %s%s does not answer 200 (got %d)", name, url, readyPath, code)
	}
	return &Process{URL: url, name: name, logs: &tail{max: 1}, done: make(chan struct{})}, nil
}

// probe returns the status of GET url, or 0 when there is no answer within
// a second.
func probe(ctx context.Context, url string) int {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := loopbackHTTPClient().Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// identity tells an emulator by a path only it answers with 200.
type identity struct{ name, path string }

var (
	// motoPortIdentities are the emulators that may serve moto's part:
	// moto itself, or LocalStack for those who run it.
	motoPortIdentities = []identity{{"moto", "/moto-api/"}, {"localstack", "/_localstack/health"}}
	sesPortIdentities  = []identity{{"aws-ses-v2-local", "/health-check"}}
)

// startOrReuse attaches to the emulator answering on port when reuse is set
// and the port is taken, and otherwise calls start.
func startOrReuse(ctx context.Context, reuse bool, port int, ids []identity, start func() (*Process, error)) (*Process, error) {
	if !reuse || port == 0 {
		return start()
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err == nil {
		l.Close()
		return start()
	}
	url := "http://" + addr
	var names []string
	for _, id := range ids {
		if probe(ctx, url+id.path) == http.StatusOK {
			return Attach(ctx, id.name, url, id.path)
		}
		names = append(names, id.name)
	}
	return nil, fmt.Errorf("port %d is taken by a program that is not %s; stop it or choose another port", port, strings.Join(names, " or "))
}

// start runs bin and waits until readyPath answers. With port 0 the URL is
// read from the emulator's own output, so no other process can take the
// port between choosing and binding it.
func start(ctx context.Context, name, bin string, args []string, port int, announce *regexp.Regexp, readyPath string, env ...string) (*Process, error) {
	if port != 0 {
		// A busy fixed port would let another server answer our readiness
		// probe while ours fails to bind.
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("%s: port %d is busy: %w", name, port, err)
		}
		l.Close()
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.Env = append(emulatorEnv(), env...)
	// Its own group lets Stop reach every descendant; the parent-death
	// signal ends the emulator if the test binary dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w.Close()
	p := &Process{name: name, cmd: cmd, logs: &tail{max: 64 << 10}, done: make(chan struct{})}
	found := make(chan string, 1)
	go p.read(r, announce, found)
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	if port != 0 {
		p.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	}
	if err := p.waitReady(ctx, found, readyPath); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// read keeps draining the emulator's output, which would otherwise block
// it once the pipe is full, and reports the announced URL once.
func (p *Process) read(r io.ReadCloser, announce *regexp.Regexp, found chan<- string) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	announced := false
	for sc.Scan() {
		line := sc.Text()
		p.logs.add(line)
		if announced {
			continue
		}
		if m := announce.FindStringSubmatch(line); m != nil {
			u := m[1]
			if _, err := strconv.Atoi(u); err == nil {
				u = "http://127.0.0.1:" + u
			}
			found <- u
			announced = true
		}
	}
	// Drain anything left so the process never blocks on a full pipe.
	io.Copy(io.Discard, r)
}

func (p *Process) waitReady(ctx context.Context, found <-chan string, readyPath string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before answering:\n%s", p.name, p.logs.String())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer: %w\n%s", p.name, ctx.Err(), p.logs.String())
		case u := <-found:
			if p.URL == "" {
				p.URL = u
			}
			continue
		case <-tick.C:
		}
		if p.URL == "" {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+readyPath, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode < 500 {
			return nil
		}
	}
}

// Pid returns the emulator's process id (also its process group id), or 0
// for an attached emulator.
func (p *Process) Pid() int {
	if p.attached() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Logs returns the last lines the emulator printed.
func (p *Process) Logs() string { return p.logs.String() }

// Pause stops the emulator's process group (SIGSTOP): requests then hang
// until Resume, as with an unresponsive service.
func (p *Process) Pause() error { return p.signal(syscall.SIGSTOP) }

// Resume continues a paused emulator (SIGCONT).
func (p *Process) Resume() error { return p.signal(syscall.SIGCONT) }

func (p *Process) signal(sig syscall.Signal) error {
	if p.attached() {
		return fmt.Errorf("%s was not started here", p.name)
	}
	select {
	case <-p.done:
		return fmt.Errorf("%s has exited", p.name)
	default:
	}
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Stop ends the emulator's whole process group: SIGTERM, then SIGKILL if
// it is still there after two seconds. It is safe to call more than once,
// and does nothing for an attached emulator.
func (p *Process) Stop() error {
	if p.attached() {
		return nil
	}
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		select {
		case <-p.done:
		default:
			// A paused group must be continued to act on SIGTERM.
			syscall.Kill(-pgid, syscall.SIGTERM)
			syscall.Kill(-pgid, syscall.SIGCONT)
			select {
			case <-p.done:
			case <-time.After(2 * time.Second):
				syscall.Kill(-pgid, syscall.SIGKILL)
				select {
				case <-p.done:
				case <-time.After(5 * time.Second):
					p.stopErr = fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, pgid)
				}
			}
		}
		// Any descendant left in the group goes too.
		if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) && p.stopErr == nil {
			p.stopErr = fmt.Errorf("%s: kill group %d: %w", p.name, pgid, err)
		}
	})
	return p.stopErr
}

// tail keeps the last max bytes of lines written to it.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
	size  int
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	t.size += len(line) + 1
	for t.size > t.max && len(t.lines) > 1 {
		t.size -= len(t.lines[0]) + 1
		t.lines = t.lines[1:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int
	for _, l := range t.lines {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for _, l := range t.lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return string(b)
}
