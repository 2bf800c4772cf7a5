package contract_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/chaincode/model"
)

func TestMalformedCallsFailWithInvalidArgumentAndWriteNothing(t *testing.T) {
	c := newCast(t)
	tests := []struct {
		name string
		fn   string
		args []any
	}{
		{"unknown transaction", "DropAllTables", nil},
		{"unknown contract", "other:WhoAmI", nil},
		{"helper is not a transaction", "GetEvaluateTransactions", nil},
		{"argument is not JSON", model.TxRegisterDocument, []any{[]byte("{not json")}},
		{"argument of the wrong JSON type", model.TxRegisterDocument, []any{[]byte(`"doc"`)}},
		{"unknown field", model.TxGrantConsent, []any{[]byte(`{"grantee":{"type":"user","id":"d2"},"scope":{"type":"all"},"actions":["read"],"purpose":"treatment","patientId":"p2"}`)}},
		{"missing required field", model.TxRegisterDocument, []any{[]byte(`{"documentId":"x"}`)}},
		{"too many arguments", model.TxEraseDocument, []any{"doc1", "doc2"}},
		{"too few arguments", model.TxEraseDocument, nil},
		{"time not RFC 3339", model.TxGrantConsent, []any{[]byte(`{"grantee":{"type":"user","id":"d2"},"scope":{"type":"all"},"actions":["read"],"purpose":"treatment","validFrom":"yesterday"}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.tb = t
			c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, tc.fn, tc.args...)
		})
	}
}

func TestInitSucceedsWithoutWriting(t *testing.T) {
	w := newWorld(t)
	stub := w.l.NewStub(w.nextTx())
	resp := w.cc.Init(stub)
	require.Equal(t, int32(200), resp.GetStatus())
	require.Empty(t, stub.Results().Writes)
}

func TestMetadataNamesTheContractAndMarksEvaluateTransactions(t *testing.T) {
	c := newCast(t)
	o := c.evaluate(c.p1, "org.hyperledger.fabric:GetMetadata")
	require.NoError(t, o.err)
	var md struct {
		Contracts map[string]struct {
			Name         string `json:"name"`
			Default      bool   `json:"default"`
			Transactions []struct {
				Name string   `json:"name"`
				Tag  []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	require.NoError(t, json.Unmarshal(o.payload, &md))
	ml, ok := md.Contracts[model.ContractName]
	require.True(t, ok, "contract %q in metadata", model.ContractName)
	require.True(t, ml.Default)
	var names []string
	for _, tx := range ml.Transactions {
		names = append(names, tx.Name)
		if slices.Contains(model.EvaluateTransactions, tx.Name) {
			require.Contains(t, tx.Tag, "EVALUATE", tx.Name)
		} else {
			require.Contains(t, tx.Tag, "SUBMIT", tx.Name)
		}
	}
	require.ElementsMatch(t, append(slices.Clone(model.EvaluateTransactions), submitTransactions...), names,
		"every exported contract method is a transaction, and only the documented ones are")
}

func TestAnIdemixOrGarbageCreatorIsRefused(t *testing.T) {
	w := newWorld(t)
	p := w.nextTx()
	p.Creator = []byte("not a serialized identity")
	p.Args = [][]byte{[]byte(model.TxWhoAmI)}
	resp, res, code := w.l.Execute(w.cc, p)
	require.Equal(t, model.CodeForbidden, model.ParseCode(resp.GetMessage()))
	require.Empty(t, res.Writes)
	require.Equal(t, peer.TxValidationCode_NOT_VALIDATED, code)

	p = w.nextTx()
	p.Creator = []byte("also not")
	p.Args = [][]byte{[]byte(model.TxBootstrap), []byte(`{"adminId":"x"}`)}
	resp, _, _ = w.l.Execute(w.cc, p)
	require.Equal(t, model.CodeForbidden, model.ParseCode(resp.GetMessage()))
}

// FuzzTransactions calls any transaction with any arguments as any caller kind
// of the matrix: the chaincode must never panic (ledgersim turns a panic into a
// message without a code), every error must start with a code, and a failed
// call must write nothing.
func FuzzTransactions(f *testing.F) {
	seeds := [][3]string{
		{model.TxRegisterDocument, `{"documentId":"d","patientId":"p1","category":"other","sha256":"` + sha("x") + `","size":1,"mediaType":"text/plain","storageRef":"r"}`, ""},
		{model.TxGrantConsent, `{"grantee":{"type":"organization","id":"h2"},"scope":{"type":"categories","categories":["imaging"]},"actions":["read"],"purpose":"research","validUntil":"2030-01-01T00:00:00Z"}`, ""},
		{model.TxAccessDocument, `{"documentId":"doc1","version":1}`, ""},
		{model.TxListDocuments, `{"pageSize":2,"bookmark":"\u0000documentByPatient\u0000p1\u0000"}`, ""},
		{model.TxRevokeConsent, "g-d2", ""},
		{model.TxEraseDocument, "doc1", "extra"},
		{model.TxOpenEmergencyAccess, `{"patientId":"p1","reason":"urgent-other","durationSeconds":-5}`, ""},
		{model.TxCheckAccess, `{"documentId":"\u0000"}`, ""},
		{"", "", ""},
	}
	for i, s := range seeds {
		f.Add(uint8(i), s[0], s[1], s[2])
	}
	c := newCast(f)
	f.Fuzz(func(t *testing.T, who uint8, fn, arg1, arg2 string) {
		c.tb = t
		p := c.params(c.callerOf(callerKinds[int(who)%len(callerKinds)]), fn)
		if arg1 != "" || arg2 != "" {
			p.Args = append(p.Args, []byte(arg1))
		}
		if arg2 != "" {
			p.Args = append(p.Args, []byte(arg2))
		}
		resp, res := c.l.Evaluate(c.cc, p)
		checkFuzzResult(t, resp, res)
	})
}

func checkFuzzResult(t *testing.T, resp *peer.Response, res *ledgersim.TxResults) {
	t.Helper()
	if resp.GetStatus() < 400 {
		return
	}
	code := model.ParseCode(resp.GetMessage())
	if code == "" || !slices.Contains(model.Codes, code) {
		t.Fatalf("error without a code: %q", resp.GetMessage())
	}
	if code == model.CodeInternal {
		t.Fatalf("input caused an internal error: %q", resp.GetMessage())
	}
	if len(res.Writes) != 0 || res.Event != nil {
		t.Fatalf("a failed call wrote %d keys or set an event", len(res.Writes))
	}
}

func TestInitWithAFunctionRunsItAsATransaction(t *testing.T) {
	c := newCast(t)
	stub := c.l.NewStub(c.params(c.p1, model.TxWhoAmI, "extra"))
	resp := c.cc.Init(stub)
	require.Equal(t, model.CodeInvalidArgument, model.ParseCode(resp.GetMessage()), "extra arguments are refused in Init too")
	stub = c.l.NewStub(c.params(c.p1, model.TxWhoAmI))
	resp = c.cc.Init(stub)
	require.Equal(t, int32(200), resp.GetStatus(), resp.GetMessage())
}

func TestEveryIDArgumentIsValidatedBeforeAnythingElse(t *testing.T) {
	c := newCast(t)
	for _, tx := range []string{
		model.TxRemoveSolutionAdmin, model.TxSuspendOrganization, model.TxReactivateOrganization, model.TxRemoveOrgAdmin,
		model.TxRemoveUser, model.TxEraseDocument, model.TxRevokeConsent, model.TxGetOrganization, model.TxGetUser,
	} {
		for _, bad := range []string{"", "bad id", "-leading-dash", "ünïcode", strings.Repeat("x", 65), "a\x00b"} {
			t.Run(tx+"/"+strconv.Quote(bad), func(t *testing.T) {
				c.tb = t
				// The unregistered identity would be refused too: input is checked first.
				c.requireDeniedWithoutWrite(c.unregistered, model.CodeInvalidArgument, tx, bad)
			})
		}
	}
	c.tb = t
	c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxCheckAccess, model.AccessDocumentInput{DocumentID: "doc1", Version: model.MaxVersions + 1})
	c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxAccessDocument, model.AccessDocumentInput{DocumentID: ""})
}

// TestDeployedChaincodeAnswersLikeTheSchemaCheckingOne: the deployed
// chaincode skips the contract API's check of results against their schemas
// (resultSerializer); everything else, payloads and refusals included, is
// the same.
func TestDeployedChaincodeAnswersLikeTheSchemaCheckingOne(t *testing.T) {
	c := newCast(t)
	deployed, err := deployedChaincode()
	require.NoError(t, err)
	calls := []struct {
		name string
		p    ledgersim.TxParams
	}{
		{"WhoAmI", c.params(c.p1, model.TxWhoAmI)},
		{"AccessDocument", c.params(c.d2, model.TxAccessDocument, readDoc("doc1"))},
		{"CheckAccess refused", c.params(c.d3, model.TxCheckAccess, readDoc("doc1"))},
		{"ListDocuments", c.params(c.p1, model.TxListDocuments, model.ListDocumentsInput{})},
		{"ListGrants", c.params(c.p1, model.TxListGrants, model.PageRequest{})},
		{"RegisterDocument", c.params(c.p1, model.TxRegisterDocument, doc("same-doc", "p1", model.CategoryOther))},
		{"malformed argument", c.params(c.p1, model.TxRegisterDocument, []byte(`{"documentId":"x"}`))},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			want, wantRes := c.l.Evaluate(c.cc, tc.p)
			got, gotRes := c.l.Evaluate(deployed, tc.p)
			require.Equal(t, want.GetStatus(), got.GetStatus())
			if got.GetStatus() == 200 {
				require.NotEmpty(t, got.GetPayload())
			}
			require.Equal(t, want.GetMessage(), got.GetMessage())
			require.Equal(t, string(want.GetPayload()), string(got.GetPayload()))
			require.Equal(t, wantRes.Writes, gotRes.Writes)
		})
	}
}
