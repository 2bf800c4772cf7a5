package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, which
// Linux fixes at 100 on every architecture Fabric releases binaries for.
const userHZ = 100

// cpuMeter reads the CPU time (user + system, all threads) of the network's
// processes, named by the pid files network/fabric writes (orderer, peer1,
// peer2, cc-NAME-server), and of this process, which runs the clients. On a
// machine the benchmark saturates, throughput follows CPU time per
// committed transaction, and that figure is much steadier from run to run
// than throughput itself.
type cpuMeter struct {
	procs []process
}

type process struct {
	name string
	pid  int
}

// clientsName names this process in the CPU table.
const clientsName = "bench clients"

// newCPUMeter finds the processes of the pid files in dir. It returns nil,
// and no error, when dir is empty or this is not Linux (no /proc/self/stat).
func newCPUMeter(dir string) (*cpuMeter, error) {
	if dir == "" {
		return nil, nil
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.pid"))
	if err != nil {
		return nil, err
	}
	m := &cpuMeter{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		if strings.HasSuffix(name, "-supervisor") {
			continue // a shell loop waiting on its chaincode server
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a pid", f, raw)
		}
		m.procs = append(m.procs, process{name: name, pid: pid})
	}
	if len(m.procs) == 0 {
		return nil, fmt.Errorf("no process pid files in %s", dir)
	}
	m.procs = append(m.procs, process{name: clientsName, pid: os.Getpid()})
	return m, nil
}

// sample returns each process's CPU time so far.
func (m *cpuMeter) sample() (map[string]time.Duration, error) {
	out := make(map[string]time.Duration, len(m.procs))
	for _, p := range m.procs {
		d, err := processCPU(p.pid)
		if err != nil {
			return nil, fmt.Errorf("%s (pid %d): %w", p.name, p.pid, err)
		}
		out[p.name] = d
	}
	return out, nil
}

// names lists the processes in table order: the network's by name, then the
// clients.
func (m *cpuMeter) names() []string {
	var names []string
	for _, p := range m.procs {
		if p.name != clientsName {
			names = append(names, p.name)
		}
	}
	slices.Sort(names)
	return append(names, clientsName)
}

// processCPU reads utime + stime of pid from /proc/<pid>/stat.
func processCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(raw)
}

// parseStatCPU parses a /proc/<pid>/stat line. The second field, the
// command in parentheses, may itself hold spaces and parentheses, so the
// fields are counted from its last ')': after it come state (field 3), ...,
// utime (14) and stime (15).
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat line without a command: %q", stat)
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat line with %d fields after the command, want at least 13", len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stat field %q is not a tick count", f)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
