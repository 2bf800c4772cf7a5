package contract_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
)

// legacyStorageRefs rewrites the storage reference index as MedLedger kept it
// before it held markers: each entry a copy of the reference, hash and
// erasure flag, as of when it was written.
type legacyStorageRefs struct{}

func (legacyStorageRefs) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (legacyStorageRefs) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	it, err := stub.GetStateByPartialCompositeKey("storageRef", nil)
	if err != nil {
		return shim.Error(err.Error())
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return shim.Error(err.Error())
		}
		_, a, err := stub.SplitCompositeKey(kv.GetKey())
		if err != nil || len(a) != 3 {
			return shim.Error("unexpected storage reference key")
		}
		docKey, _ := stub.CreateCompositeKey("document", []string{a[1]})
		raw, err := stub.GetState(docKey)
		if err != nil {
			return shim.Error(err.Error())
		}
		var doc model.Document
		if err := json.Unmarshal(raw, &doc); err != nil {
			return shim.Error(err.Error())
		}
		v := doc.Versions[len(doc.Versions)-1]
		for _, dv := range doc.Versions {
			if versionAttr(dv.Version) == a[2] {
				v = dv
			}
		}
		copyRef, _ := json.Marshal(model.StorageRef{DocumentID: doc.ID, Version: v.Version, StorageRef: v.StorageRef, SHA256: v.SHA256, Erased: doc.Erased})
		if err := stub.PutState(kv.GetKey(), copyRef); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}

func versionAttr(v int) string {
	s := strings.Repeat("0", 6) + strconv.Itoa(v)
	return s[len(s)-6:]
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
	_, _, code := c.l.Execute(legacyStorageRefs{}, c.params(c.sa, "rewrite"))
	require.Equal(t, peer.TxValidationCode_VALID, code)
	c.must(c.p1, model.TxEraseDocument, "doc1")
	refs := decodeInto[model.StorageRefPage](t, c.evaluate(c.admin1, model.TxListStorageRefs, model.PageRequest{}))
	require.Equal(t, []model.StorageRef{{DocumentID: "doc1", Version: 1, StorageRef: "sha256:" + c.doc1SHA, SHA256: c.doc1SHA, Erased: true}}, refs.Items,
		"the erasure shows although the old entry's copy says otherwise")
}
