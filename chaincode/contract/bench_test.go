package contract_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/pki"
)

// grow adds other patients' grants (all to d2, the reading doctor, which is
// the worst case for any index that is not patient+grantee) and documents
// of p1 until the ledger holds grants and docs of them.
type grower struct {
	*cast
	others       []*pki.Identity
	grants, docs int
}

func newGrower(tb testing.TB) *grower {
	return &grower{cast: newCast(tb), docs: 1} // the cast has doc1
}

// grantsPerOtherPatient keeps the number of other patients moderate.
const grantsPerOtherPatient = 100

func (g *grower) growGrants(n int) {
	for g.grants < n {
		if g.grants%grantsPerOtherPatient == 0 {
			name := fmt.Sprintf("op%d", len(g.others))
			g.others = append(g.others, g.register(g.admin2, msp2, name, model.RolePatient))
		}
		who := g.others[len(g.others)-1]
		g.must(who, model.TxGrantConsent, readGrant(fmt.Sprintf("og%d", g.grants), toUser("d2"), scopeAll))
		g.grants++
	}
}

func (g *grower) growDocs(n int) {
	for g.docs < n {
		g.must(g.p1, model.TxRegisterDocument, doc(fmt.Sprintf("pd%d", g.docs), "p1", model.CategoryOther))
		g.docs++
	}
}

// accessReads simulates AccessDocument of doc1 by d2 (consent basis) and
// returns the number of state reads it made.
func (g *grower) accessReads(tb testing.TB) int {
	o := g.evaluate(g.d2, model.TxAccessDocument, readDoc("doc1"))
	require.NoError(tb, o.err)
	return o.res.StateReads
}

func TestAccessDecisionReadsDoNotGrowWithTheLedger(t *testing.T) {
	g := newGrower(t)
	base := g.accessReads(t)
	patientBase := func() int {
		o := g.evaluate(g.p1, model.TxAccessDocument, readDoc("doc1"))
		require.NoError(t, o.err)
		return o.res.StateReads
	}
	ownerBase := patientBase()
	g.growGrants(120) // two other patients' worth, all to the same doctor
	g.growDocs(60)
	require.Equal(t, base, g.accessReads(t), "doctor's reads changed with other patients' grants and this patient's documents")
	require.Equal(t, ownerBase, patientBase(), "patient's reads changed with the ledger size")
	// Grants between this patient and this grantee go into the one set the
	// decision reads: its value grows, not the number of reads.
	g.must(g.p1, model.TxGrantConsent, readGrant("g-more", toUser("d2"), scopeAll))
	require.Equal(t, base, g.accessReads(t))
}

// BenchmarkAccessDocument measures AccessDocument (simulation, as an endorsing
// peer runs it) by a doctor reading on consent, with 1, 100 and 10,000 grants
// of other patients on the ledger and 1, 100 and 1,000 documents of the same
// patient. reads/op is TxResults.StateReads and must be equal across sizes.
func BenchmarkAccessDocument(b *testing.B) {
	for _, grants := range []int{1, 100, 10000} {
		g := newGrower(b)
		g.growGrants(grants)
		for _, docs := range []int{1, 100, 1000} {
			g.growDocs(docs)
			b.Run(fmt.Sprintf("grants=%d/docs=%d", grants, docs), func(b *testing.B) {
				g.tb = b
				p := g.params(g.d2, model.TxAccessDocument, readDoc("doc1"))
				reads := 0
				b.ReportAllocs()
				for b.Loop() {
					resp, res := g.l.Evaluate(g.cc, p)
					if resp.GetStatus() != 200 {
						b.Fatalf("AccessDocument: %s", resp.GetMessage())
					}
					reads = res.StateReads
				}
				b.ReportMetric(float64(reads), "reads/op")
			})
		}
	}
}
