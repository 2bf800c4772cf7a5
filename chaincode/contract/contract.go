// Package contract is the MedLedger smart contract: hospitals, user-role
// bindings, document records, consent and the audit trail.
//
// It is thin at the edge: each transaction validates its input, resolves the
// caller from the creator certificate and its binding on the ledger, asks a
// pure decision function of package access, writes state and emits exactly
// one event. Submit transactions live in submit.go, evaluate transactions in
// evaluate.go, the key scheme in keys.go. Time comes only from the
// transaction timestamp; paginated queries appear only in evaluate
// transactions, because Fabric refuses them where a transaction writes.
package contract

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/medledger/medledger/chaincode/model"
)

// Contract is the "medledger" contract. Every exported method that takes a
// transaction context is a transaction; helpers are unexported functions.
type Contract struct {
	contractapi.Contract
}

// GetEvaluateTransactions marks the read-only transactions as evaluate in the
// contract metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	return append([]string(nil), model.EvaluateTransactions...)
}

// Chaincode is the MedLedger chaincode: the contract behind the contract
// API's router, with every error carrying a model.Code. The contract API
// rejects unknown functions and arguments that do not match the schema
// before the contract sees them, with messages that carry no code; Chaincode
// gives those INVALID_ARGUMENT (INTERNAL for a result that failed the
// schema), so that clients can rely on the code of every error.
type Chaincode struct {
	router *contractapi.ContractChaincode
	// params is the number of arguments each transaction takes. The contract
	// API ignores extra arguments; Chaincode refuses them, so that a client
	// never believes an argument it passed had an effect.
	params map[string]int
}

var _ shim.Chaincode = (*Chaincode)(nil)

// New builds the MedLedger chaincode.
func New() (*Chaincode, error) {
	c := &Contract{}
	c.Name = model.ContractName
	c.Info.Title = "MedLedger"
	c.Info.Version = "1.0.0"
	router, err := contractapi.NewChaincode(c)
	if err != nil {
		return nil, err
	}
	router.DefaultContract = model.ContractName
	router.TransactionSerializer = new(resultSerializer)
	router.Info.Title = "MedLedger"
	router.Info.Version = "1.0.0"
	params := map[string]int{}
	t := reflect.TypeOf(c)
	for i := range t.NumMethod() {
		m := t.Method(i)
		if in := m.Type.NumIn(); in >= 2 && m.Type.In(1) == reflect.TypeFor[contractapi.TransactionContextInterface]() {
			params[m.Name] = in - 2 // receiver and transaction context
		}
	}
	return &Chaincode{router: router, params: params}, nil
}

// Init answers the peer's initialisation call; MedLedger needs none (the
// ledger is set up by Bootstrap).
func (cc *Chaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	if fn, _ := stub.GetFunctionAndParameters(); fn != "" {
		return cc.Invoke(stub)
	}
	return withCode(cc.router.Init(stub))
}

// Invoke runs one transaction.
func (cc *Chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	fn = strings.TrimPrefix(fn, model.ContractName+":")
	if want, ok := cc.params[fn]; ok && len(args) > want {
		return shim.Error(fmt.Sprintf("%s: %s takes %d arguments, got %d", model.CodeInvalidArgument, fn, want, len(args)))
	}
	if slices.Contains(model.EvaluateTransactions, fn) {
		return withCode(cc.router.Invoke(stub))
	}
	// A submit transaction's writes go to the peer in one message at the
	// end instead of one round trip per PutState, on peers that advertise
	// write batches (Fabric 3: core.yaml chaincode.runtimeParams.useWriteBatch);
	// elsewhere StartWriteBatch does nothing and each PutState is sent as it
	// is made, as before. Every check runs before the first write, so a
	// refused transaction has nothing batched; a transaction that fails
	// after writing (a ledger fault) returns an error response, and a peer
	// endorses nothing of a simulation whose response is an error, batched
	// writes included (the shim sends what is left in the batch after
	// Invoke either way).
	stub.StartWriteBatch()
	resp := withCode(cc.router.Invoke(stub))
	if resp.GetStatus() >= shim.ERRORTHRESHOLD {
		return resp
	}
	if err := stub.FinishWriteBatch(); err != nil {
		return shim.Error(model.Errorf(model.CodeInternal, "write state: %v", err).Error())
	}
	return resp
}

func withCode(resp *peer.Response) *peer.Response {
	if resp.GetStatus() < shim.ERRORTHRESHOLD {
		return resp
	}
	for _, c := range model.Codes {
		if strings.HasPrefix(resp.GetMessage(), string(c)+": ") {
			return resp
		}
	}
	code := model.CodeInvalidArgument
	if strings.HasPrefix(resp.GetMessage(), "error handling success response") {
		code = model.CodeInternal
	}
	return shim.Error(string(code) + ": " + resp.GetMessage())
}
