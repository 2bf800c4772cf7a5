package contract_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
)

func TestCastSetsUpAndPatientReadsOwnDocument(t *testing.T) {
	c := newCast(t)
	o := c.must(c.p1, model.TxAccessDocument, model.AccessDocumentInput{DocumentID: "doc1"})
	r := decodeInto[model.AccessResult](t, o)
	require.Equal(t, model.BasisOwner, r.Audit.Basis)
	require.Equal(t, c.doc1SHA, r.Version.SHA256)
}
