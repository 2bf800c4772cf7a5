package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseStatCPUAddsUserAndSystemTimeAfterTheCommand(t *testing.T) {
	// A command may hold spaces and parentheses; utime 250 and stime 50
	// ticks are fields 14 and 15.
	line := []byte("4242 (peer (node) start) S 1 4242 4242 0 -1 4194560 8801 0 0 0 250 50 0 0 20 0 12 0 1234 5678 90 18446744073709551615\n")
	got, err := parseStatCPU(line)
	require.NoError(t, err)
	require.Equal(t, 3*time.Second, got)
}

func TestParseStatCPURefusesWhatIsNotAStatLine(t *testing.T) {
	for _, bad := range []string{"", "4242 peer S 1", "4242 (peer) S 1 2 3", "4242 (peer) S 1 4242 4242 0 -1 4194560 8801 0 0 0 x 50 0"} {
		_, err := parseStatCPU([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestCPUMeterReadsTheProcessesOfThePidFiles(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: not Linux")
	}
	dir := t.TempDir()
	pid := strconv.Itoa(os.Getpid())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "peer1.pid"), []byte(pid+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cc-medledger-supervisor.pid"), []byte(pid), 0o600))
	m, err := newCPUMeter(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"peer1", clientsName}, m.names(), "supervisors are left out, this process is added")
	before, err := m.sample()
	require.NoError(t, err)
	require.Contains(t, before, "peer1")
	after, err := m.sample()
	require.NoError(t, err)
	require.GreaterOrEqual(t, after["peer1"], before["peer1"], "CPU time never decreases")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "orderer.pid"), []byte("not a pid"), 0o600))
	_, err = newCPUMeter(dir)
	require.ErrorContains(t, err, "is not a pid")

	none, err := newCPUMeter("")
	require.NoError(t, err)
	require.Nil(t, none)
	_, err = newCPUMeter(t.TempDir())
	require.ErrorContains(t, err, "no process pid files")
}
