package contract_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
)

// toAuditIndexBeforeMarkers rewrites the accessor audit index as MedLedger
// kept it before it held markers: key [accessorID, time, txID] holding the
// whole entry, copied from the patient's index.
func toAuditIndexBeforeMarkers(c *cast) {
	c.rewriteRecords("auditByAccessor", func(stub shim.ChaincodeStubInterface, key string, a []string, _ []byte) error {
		if len(a) != 4 {
			return fmt.Errorf("accessor index key with %d attributes", len(a))
		}
		entryKey, err := stub.CreateCompositeKey("auditByPatient", []string{a[3], a[1], a[2]})
		if err != nil {
			return err
		}
		entry, err := stub.GetState(entryKey)
		if err != nil || len(entry) == 0 {
			return fmt.Errorf("entry %q missing: %v", entryKey, err)
		}
		oldKey, err := stub.CreateCompositeKey("auditByAccessor", a[:3])
		if err != nil {
			return err
		}
		if err := stub.PutState(oldKey, entry); err != nil {
			return err
		}
		return stub.DelState(key)
	})
}

func TestAccessorIndexPointsAtTheOneStoredEntry(t *testing.T) {
	c := newCast(t)
	o := c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	entry := decodeInto[model.AccessResult](t, o).Audit
	stored, err := json.Marshal(entry)
	require.NoError(t, err)
	var byAccessor, byPatient [][]byte
	for _, w := range o.res.Writes {
		switch {
		case strings.HasPrefix(w.Key, "\x00auditByAccessor\x00d2\x00"):
			byAccessor = append(byAccessor, w.Value)
		case strings.HasPrefix(w.Key, "\x00auditByPatient\x00p1\x00"):
			byPatient = append(byPatient, w.Value)
		}
	}
	require.Equal(t, [][]byte{stored}, byPatient, "the entry is stored once, in the patient's log")
	require.Len(t, byAccessor, 1)
	require.Len(t, byAccessor[0], 1, "the accessor index holds a marker, not a copy of the entry")
	mine := decodeInto[model.AuditPage](t, c.evaluate(c.d2, model.TxListMyAccesses, model.PageRequest{}))
	require.Equal(t, []model.AuditEntry{entry}, mine.Items)
}

func TestListMyAccessesReadsEntriesWrittenBeforeTheIndexHeldMarkers(t *testing.T) {
	c := newCast(t)
	first := decodeInto[model.AccessResult](t, c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))).Audit
	toAuditIndexBeforeMarkers(c)
	second := decodeInto[model.AccessResult](t, c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))).Audit
	mine := decodeInto[model.AuditPage](t, c.evaluate(c.d2, model.TxListMyAccesses, model.PageRequest{}))
	require.Equal(t, []model.AuditEntry{first, second}, mine.Items, "old and new entries, oldest first")
	// Paging crosses from an old entry to a new one.
	p1 := decodeInto[model.AuditPage](t, c.evaluate(c.d2, model.TxListMyAccesses, model.PageRequest{PageSize: 1}))
	require.Equal(t, []model.AuditEntry{first}, p1.Items)
	p2 := decodeInto[model.AuditPage](t, c.evaluate(c.d2, model.TxListMyAccesses, model.PageRequest{PageSize: 1, Bookmark: p1.Bookmark}))
	require.Equal(t, []model.AuditEntry{second}, p2.Items)
}
