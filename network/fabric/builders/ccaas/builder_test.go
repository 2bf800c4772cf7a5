// Package ccaas_test checks the ccaas external builder scripts in bin/
// against Fabric's external builder contract, by running them as the peer
// does: detect SOURCE METADATA, build SOURCE METADATA OUTPUT, release
// OUTPUT RELEASE.
package ccaas_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const connection = `{"address": "127.0.0.1:9999", "dial_timeout": "10s", "tls_required": false}`

func run(t *testing.T, script string, args ...string) error {
	t.Helper()
	cmd := exec.Command(filepath.Join("bin", script), args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // the peer gives builders a minimal environment
	out, err := cmd.CombinedOutput()
	t.Logf("%s: %s", script, out)
	return err
}

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestDetectAcceptsOnlyCcaasPackages(t *testing.T) {
	tests := []struct {
		name     string
		metadata string // "" means no metadata.json
		accept   bool
	}{
		{"ccaas", `{"type": "ccaas", "label": "medledger_1"}`, true},
		{"ccaas in upper case, no spaces", `{"label":"x","type":"CCAAS"}`, true},
		{"golang package", `{"type": "golang", "label": "medledger_1"}`, false},
		{"type only in the label", `{"type": "golang", "label": "ccaas"}`, false},
		{"no metadata.json", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, meta := t.TempDir(), t.TempDir()
			if tt.metadata != "" {
				write(t, filepath.Join(meta, "metadata.json"), tt.metadata)
			}
			err := run(t, "detect", src, meta)
			if tt.accept {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestBuildThenReleaseHandTheConnectionToThePeer(t *testing.T) {
	src, meta, out, rel := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	write(t, filepath.Join(meta, "metadata.json"), `{"type": "ccaas", "label": "medledger_1"}`)
	write(t, filepath.Join(src, "connection.json"), connection)
	write(t, filepath.Join(src, "META-INF", "statedb", "couchdb", "indexes", "i.json"), `{"index": {}}`)

	require.NoError(t, run(t, "build", src, meta, out))
	got, err := os.ReadFile(filepath.Join(out, "connection.json"))
	require.NoError(t, err)
	require.JSONEq(t, connection, string(got))

	require.NoError(t, run(t, "release", out, rel))
	got, err = os.ReadFile(filepath.Join(rel, "chaincode", "server", "connection.json"))
	require.NoError(t, err)
	require.JSONEq(t, connection, string(got))
	_, err = os.Stat(filepath.Join(rel, "statedb", "couchdb", "indexes", "i.json"))
	require.NoError(t, err, "CouchDB indexes are released as statedb/")
}

func TestBuildAndReleaseRefuseIncompletePackages(t *testing.T) {
	t.Run("build without connection.json", func(t *testing.T) {
		src, meta, out := t.TempDir(), t.TempDir(), t.TempDir()
		write(t, filepath.Join(meta, "metadata.json"), `{"type": "ccaas"}`)
		require.Error(t, run(t, "build", src, meta, out))
		_, err := os.Stat(filepath.Join(out, "connection.json"))
		require.True(t, os.IsNotExist(err), "nothing is written")
	})
	t.Run("build of a non-ccaas package", func(t *testing.T) {
		src, meta, out := t.TempDir(), t.TempDir(), t.TempDir()
		write(t, filepath.Join(meta, "metadata.json"), `{"type": "golang"}`)
		write(t, filepath.Join(src, "connection.json"), connection)
		require.Error(t, run(t, "build", src, meta, out))
	})
	t.Run("release without a build", func(t *testing.T) {
		require.Error(t, run(t, "release", t.TempDir(), t.TempDir()))
	})
	t.Run("too few arguments", func(t *testing.T) {
		require.Error(t, run(t, "detect", t.TempDir()))
		require.Error(t, run(t, "build", t.TempDir(), t.TempDir()))
		require.Error(t, run(t, "release", t.TempDir()))
	})
}
