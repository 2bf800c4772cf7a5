package contract_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
)

// toStorageRefsBeforeMarkers rewrites the storage reference index as
// MedLedger kept it before it held markers: each entry a copy of the
// reference, hash and erasure flag, as of when it was written.
func toStorageRefsBeforeMarkers(c *cast) {
	c.rewriteRecords("storageRef", func(stub shim.ChaincodeStubInterface, key string, a []string, _ []byte) error {
		if len(a) != 3 {
			return fmt.Errorf("storage reference key with %d attributes", len(a))
		}
		docKey, err := stub.CreateCompositeKey("document", []string{a[1]})
		if err != nil {
			return err
		}
		raw, err := stub.GetState(docKey)
		if err != nil {
			return err
		}
		var doc model.Document
		if err := json.Unmarshal(raw, &doc); err != nil {
			return err
		}
		version, err := strconv.Atoi(a[2])
		if err != nil {
			return err
		}
		v, ok := doc.VersionAt(version)
		if !ok {
			return fmt.Errorf("document %s has no version %d", doc.ID, version)
		}
		ref, err := json.Marshal(model.StorageRef{DocumentID: doc.ID, Version: v.Version, StorageRef: v.StorageRef, SHA256: v.SHA256, Erased: doc.Erased})
		if err != nil {
			return err
		}
		return stub.PutState(key, ref)
	})
}

func TestStorageReferenceIndexHoldsMarkersAndListsFromTheDocuments(t *testing.T) {
	c := newCast(t)
	o := c.must(c.p1, model.TxRegisterDocument, doc("sr1", "p1", model.CategoryOther))
	var entries [][]byte
	for _, w := range o.res.Writes {
		if strings.HasPrefix(w.Key, "\x00storageRef\x00") {
			entries = append(entries, w.Value)
		}
	}
	require.Len(t, entries, 1)
	require.Len(t, entries[0], 1, "a marker, not a copy of the document's version")
	c.must(c.p1, model.TxAddDocumentVersion, model.AddDocumentVersionInput{DocumentID: "sr1", SHA256: sha("sr1 v2"), Size: 2, MediaType: "text/plain", StorageRef: "sha256:" + sha("sr1 v2")})
	refs := decodeInto[model.StorageRefPage](t, c.evaluate(c.admin1, model.TxListStorageRefs, model.PageRequest{}))
	require.Equal(t, []model.StorageRef{
		{DocumentID: "doc1", Version: 1, StorageRef: "sha256:" + c.doc1SHA, SHA256: c.doc1SHA},
		{DocumentID: "sr1", Version: 1, StorageRef: "sha256:" + sha("sr1"), SHA256: sha("sr1")},
		{DocumentID: "sr1", Version: 2, StorageRef: "sha256:" + sha("sr1 v2"), SHA256: sha("sr1 v2")},
	}, refs.Items)
	// Erasure writes the document only, and the list says so for every version.
	erase := c.must(c.p1, model.TxEraseDocument, "sr1")
	require.Len(t, erase.res.Writes, 1)
	refs = decodeInto[model.StorageRefPage](t, c.evaluate(c.admin1, model.TxListStorageRefs, model.PageRequest{}))
	require.False(t, refs.Items[0].Erased)
	require.True(t, refs.Items[1].Erased)
	require.True(t, refs.Items[2].Erased)
}

func TestStorageReferencesWrittenBeforeTheIndexHeldMarkersFollowLaterErasures(t *testing.T) {
	c := newCast(t)
	toStorageRefsBeforeMarkers(c)
	c.must(c.p1, model.TxEraseDocument, "doc1")
	refs := decodeInto[model.StorageRefPage](t, c.evaluate(c.admin1, model.TxListStorageRefs, model.PageRequest{}))
	require.Equal(t, []model.StorageRef{{DocumentID: "doc1", Version: 1, StorageRef: "sha256:" + c.doc1SHA, SHA256: c.doc1SHA, Erased: true}}, refs.Items,
		"the erasure shows although the old entry's copy says otherwise")
}
