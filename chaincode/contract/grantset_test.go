package contract_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/pki"
)

// grantSetIDs is the committed grant set between patientID and grantee, as
// grant ids in stored order; nil when there is no set.
func (c *cast) grantSetIDs(patientID string, grantee model.Grantee) []string {
	c.tb.Helper()
	key := "\x00grantsBetween\x00" + patientID + "\x00" + string(grantee.Type) + "\x00" + grantee.ID + "\x00"
	raw, _, ok := c.l.GetCommitted(model.ChaincodeName, key)
	if !ok || len(raw) == 0 {
		return nil
	}
	var set struct{ Grants []model.Grant }
	require.NoError(c.tb, json.Unmarshal(raw, &set))
	ids := []string{}
	for _, g := range set.Grants {
		require.Equal(c.tb, patientID, g.PatientID)
		require.Equal(c.tb, grantee, g.Grantee)
		ids = append(ids, g.ID)
	}
	return ids
}

func TestGrantSetsHoldTheUnrevokedGrantsBetweenAPatientAndAGrantee(t *testing.T) {
	c := newCast(t)
	require.Equal(t, []string{"g-d2"}, c.grantSetIDs("p1", toUser("d2")))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-b", toUser("d2"), scopeAll))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-a", toUser("d2"), scopeAll))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-h2", toOrg("h2"), scopeAll))
	require.Equal(t, []string{"g-a", "g-b", "g-d2"}, c.grantSetIDs("p1", toUser("d2")), "grant id order, as the grants' keys")
	require.Equal(t, []string{"g-h2"}, c.grantSetIDs("p1", toOrg("h2")))

	c.must(c.p1, model.TxRevokeConsent, "g-b")
	require.Equal(t, []string{"g-a", "g-d2"}, c.grantSetIDs("p1", toUser("d2")))
	c.must(c.p1, model.TxRevokeConsent, "g-a")
	c.must(c.p1, model.TxRevokeConsent, "g-d2")
	require.Nil(t, c.grantSetIDs("p1", toUser("d2")), "an emptied set is deleted")
	// d2 now reads on its hospital's grant, until that is revoked too.
	r := decodeInto[model.AccessResult](t, c.must(c.d2, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, "g-h2", r.Audit.GrantID)
	c.must(c.p1, model.TxRevokeConsent, "g-h2")
	require.Nil(t, c.grantSetIDs("p1", toOrg("h2")))
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))

	// Emergency access is a grant to the doctor like any other.
	g := decodeInto[model.Grant](t, c.must(c.d2, model.TxOpenEmergencyAccess, model.EmergencyAccessInput{PatientID: "p1", Reason: model.EmergencyUnconsciousPatient, DurationSeconds: 3600}))
	require.Equal(t, []string{g.ID}, c.grantSetIDs("p1", toUser("d2")))
	r = decodeInto[model.AccessResult](t, c.must(c.d2, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, model.BasisEmergency, r.Audit.Basis)

	// Other pairs have no set, and the grants table is untouched by all this.
	require.Nil(t, c.grantSetIDs("p2", toUser("d2")))
	grants := decodeInto[model.GrantPage](t, c.evaluate(c.p1, model.TxListGrants, model.PageRequest{}))
	require.Len(t, grants.Items, 5, "revoked grants stay on record")
}

// TestDecisionsFollowTheGrantsOnRecord grants, revokes and lets time pass at
// random, and after each step checks every doctor's CheckAccess on every
// document against access.Decide over the patient's grants as ListGrants
// returns them: the grant sets the decision reads must always say what the
// grants on record say.
func TestDecisionsFollowTheGrantsOnRecord(t *testing.T) {
	c := newCast(t)
	c.must(c.p1, model.TxRegisterDocument, doc("doc2", "p1", model.CategoryImaging))
	docs := []model.Document{
		{ID: "doc1", PatientID: "p1", AuthorID: "dA", Category: model.CategoryLabResult},
		{ID: "doc2", PatientID: "p1", AuthorID: "p1", Category: model.CategoryImaging},
	}
	doctors := map[string]access.Caller{
		"d1":  {UserID: "d1", Role: model.RoleDoctor, OrgID: "h1", Active: true},
		"d2":  {UserID: "d2", Role: model.RoleDoctor, OrgID: "h2", Active: true},
		"d2n": {UserID: "d2n", Role: model.RoleDoctor, OrgID: "h2", Active: true},
	}
	grantees := []model.Grantee{toUser("d1"), toUser("d2"), toUser("d2n"), toOrg("h1"), toOrg("h2")}
	scopes := []model.Scope{
		scopeAll,
		{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging}},
		{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryLabResult, model.CategoryOther}},
		{Type: model.ScopeDocuments, DocumentIDs: []string{"doc1"}},
		{Type: model.ScopeDocuments, DocumentIDs: []string{"doc2"}},
	}
	rng := rand.New(rand.NewPCG(5, 27))
	var live []string // grants not revoked
	allowed := 0
	for step := range 150 {
		switch op := rng.IntN(10); {
		case op < 6:
			in := readGrant(fmt.Sprintf("r%03d", rng.IntN(1000)), grantees[rng.IntN(len(grantees))], scopes[rng.IntN(len(scopes))])
			if rng.IntN(3) == 0 {
				in.Actions = []model.Action{model.ActionWrite}
				if in.Scope.Type == model.ScopeDocuments {
					in.Scope = scopeAll
				}
			}
			in.ValidFrom = c.now.Add(time.Duration(rng.IntN(120)) * time.Minute)
			if rng.IntN(2) == 0 {
				in.ValidUntil = in.ValidFrom.Add(time.Duration(1+rng.IntN(180)) * time.Minute)
			}
			if o := c.submit(c.p1, model.TxGrantConsent, in); o.err == nil {
				live = append(live, in.GrantID)
			} else {
				requireCode(t, o, model.CodeAlreadyExists) // a drawn id taken before
			}
		case op < 8 && len(live) > 0:
			i := rng.IntN(len(live))
			c.must(c.p1, model.TxRevokeConsent, live[i])
			live = slices.Delete(live, i, i+1)
		default:
			c.now = c.now.Add(time.Duration(rng.IntN(90)) * time.Minute)
		}

		var onRecord []model.Grant
		for bookmark := ""; ; {
			page := decodeInto[model.GrantPage](t, c.evaluate(c.p1, model.TxListGrants, model.PageRequest{PageSize: model.MaxPageSize, Bookmark: bookmark}))
			onRecord = append(onRecord, page.Items...)
			if bookmark = page.Bookmark; bookmark == "" {
				break
			}
		}
		at := c.now.Add(time.Second) // the next transaction's time
		for name, caller := range doctors {
			// The decision's order: grants to the doctor, then to its
			// hospital, each in grant id order.
			var between []model.Grant
			for _, g := range grantees {
				if access.Names(model.Grant{Grantee: g}, caller) {
					for _, x := range onRecord {
						if x.Grantee == g {
							between = append(between, x)
						}
					}
				}
			}
			slices.SortStableFunc(between, func(a, b model.Grant) int {
				if a.Grantee.Type != b.Grantee.Type {
					return strings.Compare(string(b.Grantee.Type), string(a.Grantee.Type)) // user before organization
				}
				return strings.Compare(a.ID, b.ID)
			})
			for _, d := range docs {
				c.at(at)
				got := decodeInto[model.AccessDecision](t, c.evaluate(c.identityOf(name), model.TxCheckAccess, readDoc(d.ID)))
				want := access.Decide(d, caller, between, at)
				require.Equal(t, want, got, "step %d: %s reading %s", step, name, d.ID)
				if got.Allowed && got.Basis == model.BasisConsent {
					allowed++
				}
			}
		}
	}
	require.Greater(t, allowed, 50, "the random steps should allow on consent often")
}

// identityOf is the cast's doctor called name.
func (c *cast) identityOf(name string) *pki.Identity {
	return map[string]*pki.Identity{"d1": c.d1, "d2": c.d2, "d2n": c.d2n}[name]
}

// toLedgerBeforeGrantSets deletes every grant set and grant-set marker, as a
// ledger written before them has none.
func toLedgerBeforeGrantSets(c *cast) {
	for _, objectType := range []string{"grantsBetween", "grantSets"} {
		c.rewriteRecords(objectType, func(stub shim.ChaincodeStubInterface, key string, _ []string, _ []byte) error {
			return stub.DelState(key)
		})
	}
}

func TestGrantsWrittenBeforeGrantSetsStillDecideUntilThePatientsNextGrantCopiesThem(t *testing.T) {
	c := newCast(t)
	c.must(c.p1, model.TxGrantConsent, readGrant("g-h2", toOrg("h2"), model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryImaging}}))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-n", toUser("d2n"), scopeAll))
	c.must(c.p1, model.TxGrantConsent, readGrant("g-gone", toUser("d1"), scopeAll))
	c.must(c.p1, model.TxRevokeConsent, "g-gone")
	toLedgerBeforeGrantSets(c)
	require.Nil(t, c.grantSetIDs("p1", toUser("d2")))

	// Without the patient's marker the grants are queried, one partial-key
	// query per grantee: two round trips more than with grant sets.
	resp, trips := invokeCounting(t, c, c.params(c.d2, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, int32(200), resp.GetStatus(), resp.GetMessage())
	require.Equal(t, 5, trips)
	r := decodeInto[model.AccessResult](t, c.must(c.d2n, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, "g-n", r.Audit.GrantID)
	c.requireDeniedWithoutWrite(c.d1, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))

	// The patient's first grant change, here a revocation, copies every
	// unrevoked grant of the patient into its set and writes the marker.
	c.must(c.p1, model.TxRevokeConsent, "g-n")
	require.Equal(t, []string{"g-d2"}, c.grantSetIDs("p1", toUser("d2")))
	require.Equal(t, []string{"g-h2"}, c.grantSetIDs("p1", toOrg("h2")))
	require.Nil(t, c.grantSetIDs("p1", toUser("d2n")))
	require.Nil(t, c.grantSetIDs("p1", toUser("d1")))
	resp, trips = invokeCounting(t, c, c.params(c.d2, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, int32(200), resp.GetStatus(), resp.GetMessage())
	require.Equal(t, 3, trips)
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))

	// Another patient's grants are copied by their own first change, a new
	// grant this time.
	c.must(c.p2, model.TxRegisterDocument, doc("p2doc", "p2", model.CategoryOther))
	toLedgerBeforeGrantSets(c)
	c.must(c.p2, model.TxGrantConsent, readGrant("g-p2", toUser("d1"), scopeAll))
	require.Equal(t, []string{"g-p2"}, c.grantSetIDs("p2", toUser("d1")))
	c.must(c.d1, model.TxAccessDocument, readDoc("p2doc"))
	// p1's grants, copied before the rewrite deleted them again, are queried.
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
}

func TestANewPatientStartsWithTheGrantSetMarker(t *testing.T) {
	c := newCast(t)
	o := c.must(c.admin2, model.TxRegisterUser, model.RegisterUserInput{UserID: "p9", Role: model.RolePatient, CertificatePEM: string(c.identity(msp2, "p9", pki.OUClient).CertPEM)})
	var markers int
	for _, w := range o.res.Writes {
		if w.Key == "\x00grantSets\x00p9\x00" {
			markers++
		}
	}
	require.Equal(t, 1, markers)
	o = c.must(c.admin2, model.TxRegisterUser, model.RegisterUserInput{UserID: "d9", Role: model.RoleDoctor, CertificatePEM: string(c.identity(msp2, "d9", pki.OUClient).CertPEM)})
	for _, w := range o.res.Writes {
		require.False(t, strings.HasPrefix(w.Key, "\x00grantSets\x00"), "only patients receive grants")
	}
}
