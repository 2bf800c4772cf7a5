package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/gc"
	"github.com/medledger/medledger/sdk/sdktest"
	"github.com/medledger/medledger/sdk/seal"
)

// unreachableDeletes is the store as seen while its server is down for
// deletions: the erase call cannot remove the blobs.
type unreachableDeletes struct{ blob.Store }

func (unreachableDeletes) Delete(context.Context, string) error {
	return blob.ErrUnavailable
}

// The story of issue 6 on the embedded network: a patient erases a document
// while the store is unreachable, so its blob stays; an upload's blob was
// never registered. The command, run by the hospital admin, reports both in
// a dry run, then deletes them (and the erased version's key) and nothing
// else: the live document still downloads.
func TestCollectsErasedAndOrphanBlobsOnTheEmbeddedNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded network")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	net, err := sdktest.StartDevnet(ctx, filepath.Join(tmp, "devnet"), sdktest.DevnetOptions{})
	require.NoError(t, err)
	defer net.Close()
	org1, _ := net.Orgs()

	connect := func(name string) *sdk.Client {
		c, err := net.Connect(ctx, org1, name, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	sol, admin, patient := connect(sdktest.AdminIdentity), connect("user1"), connect("user2")
	_, _, err = sdktest.EnsureBootstrapped(ctx, sol, "sol-admin")
	require.NoError(t, err)
	_, _, err = sdktest.EnsureOrganization(ctx, sol, model.CreateOrganizationInput{ID: "hosp-1", Name: "St. Mary's Hospital", MSPID: org1})
	require.NoError(t, err)
	_, _, err = sdktest.EnsureOrgAdmin(ctx, sol, admin, "h1-admin", "hosp-1")
	require.NoError(t, err)
	_, _, err = sdktest.EnsureUser(ctx, admin, patient, "pat-1", "hosp-1", model.RolePatient)
	require.NoError(t, err)

	blobDir, keyDir := filepath.Join(tmp, "blobs"), filepath.Join(tmp, "keys")
	store, err := blob.NewFileStore(blobDir)
	require.NoError(t, err)
	keys, err := seal.NewFileKeyStore(keyDir)
	require.NoError(t, err)
	kp, err := seal.NewLocalKeyProvider(filepath.Join(tmp, "kek.json"))
	require.NoError(t, err)
	sealer, err := seal.New(kp)
	require.NoError(t, err)
	docs, err := sdk.NewDocuments(patient, store, sdk.WithEncryption(sealer, keys))
	require.NoError(t, err)
	docsStoreDown, err := sdk.NewDocuments(patient, unreachableDeletes{store}, sdk.WithEncryption(sealer, keys))
	require.NoError(t, err)

	upload := func(id, content string) model.Document {
		d, err := docs.Upload(ctx, sdk.NewDocument{DocumentID: id, PatientID: "pat-1", Category: model.CategoryOther, MediaType: "text/plain", Content: strings.NewReader(content)})
		require.NoError(t, err)
		return d
	}
	kept := upload("doc-kept", "blood pressure 120/80")
	erased := upload("doc-erased", "to be forgotten")
	erasedRef := erased.Versions[0].StorageRef

	_, err = docsStoreDown.Erase(ctx, "doc-erased")
	var eraseErr *sdk.EraseError
	require.ErrorAs(t, err, &eraseErr)
	require.Equal(t, []string{erasedRef}, eraseErr.Remaining)

	orphan, err := store.Put(ctx, strings.NewReader("an upload whose registration never happened"))
	require.NoError(t, err)
	old := time.Now().Add(-48 * time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(blobDir, orphan.SHA256), old, old))

	var out bytes.Buffer
	require.NoError(t, run(ctx, net.ConnectionFile, org1, "user1", keyDir, storeFlags{dir: blobDir}, gc.Options{}, &out))
	t.Log(out.String())
	require.Contains(t, out.String(), "would delete "+erasedRef)
	require.Contains(t, out.String(), "would delete "+orphan.Ref)
	require.NotContains(t, out.String(), kept.Versions[0].StorageRef)
	_, err = store.Stat(ctx, erasedRef)
	require.NoError(t, err, "a dry run deletes nothing")

	out.Reset()
	require.NoError(t, run(ctx, net.ConnectionFile, org1, "user1", keyDir, storeFlags{dir: blobDir}, gc.Options{Delete: true}, &out))
	t.Log(out.String())
	for _, ref := range []string{erasedRef, orphan.Ref} {
		_, err = store.Stat(ctx, ref)
		require.ErrorIs(t, err, blob.ErrNotFound, "%s must be gone", ref)
	}
	_, err = keys.GetKey(ctx, erasedRef)
	require.ErrorIs(t, err, seal.ErrMissingKey, "the erased version's key must be shredded")

	r, err := docs.Open(ctx, "doc-kept", 0)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, "blood pressure 120/80", string(got))

	// Anyone but a hospital admin is refused the listing, and nothing is deleted.
	err = run(ctx, net.ConnectionFile, org1, "user2", keyDir, storeFlags{dir: blobDir}, gc.Options{Delete: true}, &out)
	require.True(t, errors.Is(err, sdk.ErrForbidden), "got %v", err)
}
