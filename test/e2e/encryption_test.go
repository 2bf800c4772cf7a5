package e2e

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/seal"
	"github.com/stretchr/testify/require"
)

// sealedDeployment encrypts with a local keyset and keeps wrapped keys in a
// folder, shared by every member it serves, as one deployment would.
type sealedDeployment struct {
	sealer *seal.Sealer
	keys   *seal.FileKeyStore
	keyDir string
}

func newSealedDeployment(t *testing.T) *sealedDeployment {
	t.Helper()
	dir := t.TempDir()
	kek, err := seal.NewLocalKeyProvider(filepath.Join(dir, "kek.json"))
	require.NoError(t, err)
	sealer, err := seal.New(kek)
	require.NoError(t, err)
	keyDir := filepath.Join(dir, "keys")
	keys, err := seal.NewFileKeyStore(keyDir)
	require.NoError(t, err)
	return &sealedDeployment{sealer: sealer, keys: keys, keyDir: keyDir}
}

func (d *sealedDeployment) docs(t *testing.T, m *member) *sdk.Documents {
	t.Helper()
	docs, err := sdk.NewDocuments(m.client, w.store, sdk.WithEncryption(d.sealer, d.keys))
	require.NoError(t, err)
	require.True(t, docs.Encrypted())
	return docs
}

func (d *sealedDeployment) keyCount(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(d.keyDir)
	require.NoError(t, err)
	return len(entries)
}

// requireCiphertextAtRest checks that the stored blob of version v is the
// sealed form of body: the ledger's hash is not body's (so it confirms no
// guess of the content) but the stored bytes', and no plaintext is on disk.
// It returns the stored bytes.
func requireCiphertextAtRest(t *testing.T, body []byte, v model.DocumentVersion) []byte {
	t.Helper()
	require.NotEqual(t, hexSHA(body), v.SHA256, "the ledger hash is over the sealed bytes, so it confirms no guess of the content")
	h, err := blob.ParseRef(v.StorageRef)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(w.store.Dir(), h))
	require.NoError(t, err)
	require.Equal(t, v.SHA256, hexSHA(raw))
	require.NotContains(t, string(raw), "MedLedger test content", "no plaintext at rest")
	return raw
}

// readDocument reads a document version to the end through docs, closing
// the reader without error.
func readDocument(t *testing.T, docs *sdk.Documents, docID string, version int) []byte {
	t.Helper()
	r, err := docs.Open(testCtx(t), docID, version)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return got
}

func TestEncryptedDocumentsRoundTripAndTheLedgerSeesOnlyCiphertext(t *testing.T) {
	ctx := testCtx(t)
	dep := newSealedDeployment(t)
	patient := dep.docs(t, w.h1Patient)
	docID := w.id("sealed")
	body := content(docID)

	doc, err := patient.Upload(ctx, sdk.NewDocument{DocumentID: docID, PatientID: w.h1Patient.id(),
		Category: model.CategoryDischargeSummary, MediaType: "text/plain", Content: bytes.NewReader(body)})
	require.NoError(t, err)
	v := doc.Latest()
	require.Greater(t, v.Size, int64(len(body)))
	raw := requireCiphertextAtRest(t, body, v)

	// Read back, decrypted.
	require.Equal(t, body, readDocument(t, patient, docID, 0))

	// A new version is sealed with its own key.
	v2 := content(docID + " v2")
	doc, err = patient.AddVersion(ctx, sdk.NewVersion{DocumentID: docID, MediaType: "text/plain", Content: bytes.NewReader(v2)})
	require.NoError(t, err)
	require.Equal(t, 2, dep.keyCount(t))
	path := filepath.Join(t.TempDir(), "v2.txt")
	_, err = patient.Download(ctx, docID, 2, path)
	require.NoError(t, err)
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, v2, onDisk)

	// A client configured WithoutEncryption reads the same document as
	// ciphertext that still matches the ledger: the hash is over what is
	// stored.
	plainR, err := w.h1Patient.docs.Open(ctx, docID, 1)
	require.NoError(t, err)
	sealed, err := io.ReadAll(plainR)
	require.NoError(t, err)
	require.NoError(t, plainR.Close())
	require.Equal(t, raw, sealed)

	// Erasure shreds: blobs and wrapped keys are gone.
	erased, err := patient.Erase(ctx, docID)
	require.NoError(t, err)
	for _, ver := range erased.Versions {
		_, err := dep.keys.GetKey(ctx, ver.StorageRef)
		require.ErrorIs(t, err, seal.ErrMissingKey)
		require.False(t, stored(t)[ver.StorageRef])
	}
}

// TestDocumentsEncryptByDefault uses no encryption option but WithKeyDir,
// which only moves the default's keyset and key store out of the user's
// configuration folder.
func TestDocumentsEncryptByDefault(t *testing.T) {
	ctx := testCtx(t)
	keyDir := t.TempDir()
	uploader, err := sdk.NewDocuments(w.h1Patient.client, w.store, sdk.WithKeyDir(keyDir))
	require.NoError(t, err)
	require.True(t, uploader.Encrypted())
	docID := w.id("default-sealed")
	body := content(docID)

	doc, err := uploader.Upload(ctx, sdk.NewDocument{DocumentID: docID, PatientID: w.h1Patient.id(),
		Category: model.CategoryLabResult, MediaType: "text/plain", Content: bytes.NewReader(body)})
	require.NoError(t, err)
	requireCiphertextAtRest(t, body, doc.Latest())
	require.FileExists(t, filepath.Join(keyDir, "kek.json"))
	keys, err := os.ReadDir(filepath.Join(keyDir, "keys"))
	require.NoError(t, err)
	require.Len(t, keys, 1)

	// Another Documents on the same folder (another process of the same
	// deployment) opens it.
	reader, err := sdk.NewDocuments(w.h1Patient.client, w.store, sdk.WithKeyDir(keyDir))
	require.NoError(t, err)
	require.Equal(t, body, readDocument(t, reader, docID, 0))

	// One with a keyset of its own cannot.
	stranger, err := sdk.NewDocuments(w.h1Patient.client, w.store, sdk.WithKeyDir(t.TempDir()))
	require.NoError(t, err)
	_, err = stranger.Open(ctx, docID, 0)
	require.ErrorIs(t, err, seal.ErrMissingKey)
}

func TestEncryptedDownloadFailsOnTamperingAndOnAMissingKey(t *testing.T) {
	ctx := testCtx(t)
	dep := newSealedDeployment(t)
	docs := dep.docs(t, w.h1Patient)
	docID := w.id("sealed-tamper")
	doc, err := docs.Upload(ctx, sdk.NewDocument{DocumentID: docID, PatientID: w.h1Patient.id(),
		Category: model.CategoryImaging, MediaType: "application/octet-stream", Content: bytes.NewReader(content(docID))})
	require.NoError(t, err)
	ref := doc.Latest().StorageRef
	h, err := blob.ParseRef(ref)
	require.NoError(t, err)
	file := filepath.Join(w.store.Dir(), h)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)

	tampered := bytes.Clone(raw)
	tampered[len(tampered)/3] ^= 1
	require.NoError(t, os.WriteFile(file, tampered, 0o600))
	r, err := docs.Open(ctx, docID, 0)
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, sdk.ErrIntegrity)
	require.NoError(t, r.Close())
	target := filepath.Join(t.TempDir(), "out")
	_, err = docs.Download(ctx, docID, 0, target)
	require.ErrorIs(t, err, sdk.ErrIntegrity)
	require.NoFileExists(t, target)

	require.NoError(t, os.WriteFile(file, raw, 0o600))
	require.NoError(t, dep.keys.DeleteKey(ctx, ref))
	_, err = docs.Open(ctx, docID, 0)
	require.ErrorIs(t, err, seal.ErrMissingKey)
}

func TestRefusedEncryptedUploadLeavesNeitherBlobNorKey(t *testing.T) {
	ctx := testCtx(t)
	dep := newSealedDeployment(t)
	before := stored(t)
	_, err := dep.docs(t, w.h2Doctor).Upload(ctx, sdk.NewDocument{DocumentID: w.id("sealed-orphan"), PatientID: w.h1Patient.id(),
		Category: model.CategoryReferral, MediaType: "text/plain", Content: bytes.NewReader(content("sealed orphan"))})
	require.ErrorIs(t, err, sdk.ErrForbidden)
	require.Equal(t, before, stored(t))
	require.Zero(t, dep.keyCount(t))
}
