package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/contract"
	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/pki"
)

// t0 is the first transaction time of every test ledger.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// world is a ledger simulator running the real chaincode, with real X.509
// identities from test CAs. Each transaction gets a fresh 64-hex tx id and a
// timestamp one second after the previous one, unless the test sets now.
type world struct {
	tb   testing.TB
	l    *ledgersim.Ledger
	cc   *contract.Chaincode
	now  time.Time
	txn  int
	orgs map[string]*pki.Org
}

// The chaincodes are built once: the chaincode keeps no state between
// transactions, and compiling its metadata schemas is the slowest step.
// Tests check every result against its schema; benchmarks measure the
// chaincode as deployed, which does not.
var (
	checkingChaincode = sync.OnceValues(contract.NewCheckingResults)
	deployedChaincode = sync.OnceValues(contract.New)
)

func newWorld(tb testing.TB) *world {
	tb.Helper()
	build := checkingChaincode
	if _, ok := tb.(*testing.B); ok {
		build = deployedChaincode
	}
	cc, err := build()
	require.NoError(tb, err)
	return &world{tb: tb, l: ledgersim.New(), cc: cc, now: t0, orgs: map[string]*pki.Org{}}
}

// org returns the PKI organisation of an MSP, created on first use.
func (w *world) org(mspID string) *pki.Org {
	if o, ok := w.orgs[mspID]; ok {
		return o
	}
	o, err := pki.NewOrg(mspID, mspID+".example.com")
	require.NoError(w.tb, err)
	w.orgs[mspID] = o
	return o
}

// identity issues a fresh client (or admin) certificate under mspID.
func (w *world) identity(mspID, name string, ou pki.NodeOU) *pki.Identity {
	id, err := w.org(mspID).NewIdentity(name, ou, nil)
	require.NoError(w.tb, err)
	return id
}

func (w *world) nextTx() ledgersim.TxParams {
	w.txn++
	w.now = w.now.Add(time.Second)
	sum := sha256.Sum256([]byte("tx-" + strconv.Itoa(w.txn)))
	return ledgersim.TxParams{TxID: hex.EncodeToString(sum[:]), Timestamp: w.now}
}

func (w *world) params(who *pki.Identity, fn string, args ...any) ledgersim.TxParams {
	p := w.nextTx()
	creator, err := who.Serialize()
	require.NoError(w.tb, err)
	p.Creator = creator
	p.Args = [][]byte{[]byte(fn)}
	for _, a := range args {
		switch v := a.(type) {
		case string:
			p.Args = append(p.Args, []byte(v))
		case []byte:
			p.Args = append(p.Args, v)
		default:
			raw, err := json.Marshal(v)
			require.NoError(w.tb, err)
			p.Args = append(p.Args, raw)
		}
	}
	return p
}

// outcome is what one transaction did.
type outcome struct {
	resp    *peer.Response
	res     *ledgersim.TxResults
	code    peer.TxValidationCode
	payload []byte
	err     error
}

// submit simulates fn as who and commits it when it succeeds, as a peer
// and orderer would.
func (w *world) submit(who *pki.Identity, fn string, args ...any) outcome {
	w.tb.Helper()
	resp, res, code := w.l.Execute(w.cc, w.params(who, fn, args...))
	return toOutcome(resp, res, code)
}

// evaluate simulates fn as who without committing anything.
func (w *world) evaluate(who *pki.Identity, fn string, args ...any) outcome {
	w.tb.Helper()
	resp, res := w.l.Evaluate(w.cc, w.params(who, fn, args...))
	return toOutcome(resp, res, peer.TxValidationCode_NOT_VALIDATED)
}

func toOutcome(resp *peer.Response, res *ledgersim.TxResults, code peer.TxValidationCode) outcome {
	o := outcome{resp: resp, res: res, code: code, payload: resp.GetPayload()}
	if resp.GetStatus() >= 400 {
		o.err = fmt.Errorf("%s", resp.GetMessage())
	}
	return o
}

// must submits and fails the test unless the transaction committed.
func (w *world) must(who *pki.Identity, fn string, args ...any) outcome {
	w.tb.Helper()
	o := w.submit(who, fn, args...)
	require.NoError(w.tb, o.err, "%s", fn)
	require.Equal(w.tb, peer.TxValidationCode_VALID, o.code, "%s", fn)
	return o
}

// decodeInto unmarshals a transaction's JSON result.
func decodeInto[T any](tb testing.TB, o outcome) T {
	tb.Helper()
	require.NoError(tb, o.err)
	var v T
	require.NoError(tb, json.Unmarshal(o.payload, &v), "payload %s", o.payload)
	return v
}

// requireCode asserts that o failed with code and wrote nothing.
func requireCode(tb testing.TB, o outcome, code model.Code) {
	tb.Helper()
	require.Error(tb, o.err)
	require.Equal(tb, code, model.ParseCode(o.err.Error()), "message: %v", o.err)
	require.Regexp(tb, "^"+string(code)+": ", o.err.Error())
	require.Empty(tb, o.res.Writes, "a refused transaction must write nothing")
	require.Nil(tb, o.res.Event, "a refused transaction must emit nothing")
}

// snapshot is every committed composite key with its value and version, read
// through a read-only stub; MedLedger writes only composite keys.
func (w *world) snapshot() map[string]string {
	w.tb.Helper()
	p := w.nextTx()
	w.now = w.now.Add(-time.Second) // a snapshot is not a transaction
	stub := w.l.NewStub(p)
	out := map[string]string{}
	bookmark := ""
	for {
		it, meta, err := stub.GetAllStatesCompositeKeyWithPagination(100, bookmark)
		require.NoError(w.tb, err)
		for it.HasNext() {
			kv, err := it.Next()
			require.NoError(w.tb, err)
			_, v, ok := w.l.GetCommitted(model.ChaincodeName, kv.GetKey())
			require.True(w.tb, ok)
			out[kv.GetKey()] = fmt.Sprintf("%x@%d.%d", kv.GetValue(), v.BlockNum, v.TxNum)
		}
		require.NoError(w.tb, it.Close())
		bookmark = meta.GetBookmark()
		if bookmark == "" {
			return out
		}
	}
}

// requireDeniedWithoutWrite submits fn, asserts it failed with code, and
// that committed state and height are exactly as before.
func (w *world) requireDeniedWithoutWrite(who *pki.Identity, code model.Code, fn string, args ...any) outcome {
	w.tb.Helper()
	before, height := w.snapshot(), w.l.Height()
	o := w.submit(who, fn, args...)
	requireCode(w.tb, o, code)
	require.Equal(w.tb, height, w.l.Height(), "a refused transaction must not be committed")
	require.True(w.tb, maps.Equal(before, w.snapshot()), "committed state changed after a refused %s", fn)
	return o
}

// event decodes the transaction's one event, asserting its name.
func eventOf[T any](tb testing.TB, o outcome, name string) T {
	tb.Helper()
	require.NotNil(tb, o.res.Event, "transaction emitted no event")
	require.Equal(tb, name, o.res.Event.GetEventName())
	var v T
	require.NoError(tb, json.Unmarshal(o.res.Event.GetPayload(), &v))
	return v
}

// The standard cast. Hospital h1 (MSP Org1MSP) and h2 (Org2MSP) are active;
// h3 (Org3MSP) is suspended. Patient p1 of h1 owns doc1 (lab result,
// registered by its author, doctor dA of h1) and has given doctor d2 of h2
// read+write consent g-d2 for all documents.
type cast struct {
	*world
	sa, sa2                 *pki.Identity // solution admins
	admin1, admin2, admin3  *pki.Identity // hospital admins of h1, h2, h3
	dA, d1, d2, d2n, d3, rm *pki.Identity // doctors: author, same hospital, other with consent, other without, suspended hospital, removed
	p1, p2                  *pki.Identity // patients of h1
	unregistered            *pki.Identity
	doc1SHA                 string
}

const (
	msp1, msp2, msp3 = "Org1MSP", "Org2MSP", "Org3MSP"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newCast(tb testing.TB) *cast {
	tb.Helper()
	w := newWorld(tb)
	c := &cast{world: w}
	c.sa = w.identity(msp1, "sa", pki.OUAdmin)
	w.must(c.sa, model.TxBootstrap, model.BootstrapInput{AdminID: "sa"})
	c.sa2 = w.identity(msp2, "sa2", pki.OUClient)
	w.must(c.sa, model.TxAddSolutionAdmin, model.SolutionAdminInput{UserID: "sa2", CertificatePEM: string(c.sa2.CertPEM), MSPID: msp2})
	for i, msp := range []string{msp1, msp2, msp3} {
		id := fmt.Sprintf("h%d", i+1)
		w.must(c.sa, model.TxCreateOrganization, model.CreateOrganizationInput{ID: id, Name: "Hospital " + id, MSPID: msp})
	}
	c.admin1 = c.assignAdmin("admin1", "h1", msp1)
	c.admin2 = c.assignAdmin("admin2", "h2", msp2)
	c.admin3 = c.assignAdmin("admin3", "h3", msp3)
	c.dA = c.register(c.admin1, msp1, "dA", model.RoleDoctor)
	c.d1 = c.register(c.admin1, msp1, "d1", model.RoleDoctor)
	c.p1 = c.register(c.admin1, msp1, "p1", model.RolePatient)
	c.p2 = c.register(c.admin1, msp1, "p2", model.RolePatient)
	c.rm = c.register(c.admin1, msp1, "rm", model.RoleDoctor)
	c.d2 = c.register(c.admin2, msp2, "d2", model.RoleDoctor)
	c.d2n = c.register(c.admin2, msp2, "d2n", model.RoleDoctor)
	c.d3 = c.register(c.admin3, msp3, "d3", model.RoleDoctor)
	c.unregistered = w.identity(msp1, "nobody", pki.OUClient)
	w.must(c.admin1, model.TxRemoveUser, "rm")
	w.must(c.sa, model.TxSuspendOrganization, "h3")
	c.doc1SHA = sha("doc1 v1")
	w.must(c.dA, model.TxRegisterDocument, model.RegisterDocumentInput{
		DocumentID: "doc1", PatientID: "p1", Category: model.CategoryLabResult,
		SHA256: c.doc1SHA, Size: 1024, MediaType: "application/pdf", StorageRef: "sha256:" + c.doc1SHA,
	})
	w.must(c.p1, model.TxGrantConsent, model.GrantConsentInput{
		GrantID: "g-d2", Grantee: model.Grantee{Type: model.GranteeUser, ID: "d2"}, Scope: model.Scope{Type: model.ScopeAll},
		Actions: []model.Action{model.ActionRead, model.ActionWrite}, Purpose: model.PurposeTreatment,
	})
	return c
}

func (c *cast) assignAdmin(userID, orgID, msp string) *pki.Identity {
	id := c.identity(msp, userID, pki.OUAdmin)
	c.must(c.sa, model.TxAssignOrgAdmin, model.OrgAdminInput{UserID: userID, OrgID: orgID, CertificatePEM: string(id.CertPEM)})
	return id
}

func (c *cast) register(admin *pki.Identity, msp, userID string, role model.Role) *pki.Identity {
	id := c.identity(msp, userID, pki.OUClient)
	c.must(admin, model.TxRegisterUser, model.RegisterUserInput{UserID: userID, Role: role, CertificatePEM: string(id.CertPEM)})
	return id
}

// doc returns a valid RegisterDocumentInput for patientID.
func doc(id, patientID string, cat model.Category) model.RegisterDocumentInput {
	h := sha(id)
	return model.RegisterDocumentInput{DocumentID: id, PatientID: patientID, Category: cat, SHA256: h, Size: 10, MediaType: "text/plain", StorageRef: "sha256:" + h}
}

// rewriteRecords commits one transaction, outside the contract, that calls
// f for every record of objectType, with its key split into attributes: it
// puts a ledger into the shape an earlier MedLedger version left it in.
func (c *cast) rewriteRecords(objectType string, f func(stub shim.ChaincodeStubInterface, key string, attrs []string, value []byte) error) {
	c.tb.Helper()
	_, _, code := c.l.Execute(recordRewrite{objectType: objectType, f: f}, c.params(c.sa, "rewrite"))
	require.Equal(c.tb, peer.TxValidationCode_VALID, code)
}

// recordRewrite is the chaincode of rewriteRecords.
type recordRewrite struct {
	objectType string
	f          func(stub shim.ChaincodeStubInterface, key string, attrs []string, value []byte) error
}

func (recordRewrite) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (r recordRewrite) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	it, err := stub.GetStateByPartialCompositeKey(r.objectType, nil)
	if err != nil {
		return shim.Error(err.Error())
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return shim.Error(err.Error())
		}
		_, attrs, err := stub.SplitCompositeKey(kv.GetKey())
		if err != nil {
			return shim.Error(err.Error())
		}
		if err := r.f(stub, kv.GetKey(), attrs, kv.GetValue()); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}
