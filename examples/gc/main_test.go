package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/gc"
)

func TestOpenStoreWantsExactlyOneStore(t *testing.T) {
	for name, sf := range map[string]storeFlags{
		"none": {},
		"two":  {dir: t.TempDir(), redisAddr: "127.0.0.1:6379"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := openStore(sf)
			require.ErrorContains(t, err, "exactly one store")
		})
	}
	_, _, err := openStore(storeFlags{dir: "/does/not/exist"})
	require.ErrorContains(t, err, "store folder")
	s, closeStore, err := openStore(storeFlags{dir: t.TempDir()})
	require.NoError(t, err)
	defer closeStore()
	require.IsType(t, &blob.FileStore{}, s)
}

func TestRunNeedsConnectionAndMSP(t *testing.T) {
	err := run(context.Background(), "", "", "", "", storeFlags{dir: t.TempDir()}, gc.Options{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "-connection, -msp and -identity are required")
}

type oneRef struct{ ref string }

func (l oneRef) ListStorageRefs(context.Context, model.PageRequest) (model.StorageRefPage, error) {
	return model.StorageRefPage{Items: []model.StorageRef{{DocumentID: "D1", Version: 1, StorageRef: l.ref}}}, nil
}

func TestPrintSaysWhatADryRunWouldDelete(t *testing.T) {
	ctx := context.Background()
	store := blob.NewMemoryStore()
	live, err := store.Put(ctx, strings.NewReader("registered"))
	require.NoError(t, err)
	orphan, err := store.Put(ctx, strings.NewReader("orphan"))
	require.NoError(t, err)

	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	rep, err := gc.Run(ctx, store, oneRef{live.Ref}, gc.Options{Now: later})
	require.NoError(t, err)
	var out bytes.Buffer
	printReport(&out, rep, 0)
	require.Contains(t, out.String(), "would delete "+orphan.Ref)
	require.NotContains(t, out.String(), live.Ref)
	require.Contains(t, out.String(), "1 ledger references, 2 stored objects: 1 referenced, 0 unreferenced but younger than 24h0m0s, 1 would delete")
	require.Contains(t, out.String(), "run again with -delete")

	rep.Candidates[0].Err = errors.New("boom")
	rep.DryRun = false
	out.Reset()
	printReport(&out, rep, time.Hour)
	require.Contains(t, out.String(), "FAILED       "+orphan.Ref)
}
