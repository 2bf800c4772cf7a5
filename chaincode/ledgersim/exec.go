package ledgersim

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Execute simulates one transaction (Invoke) and, if the response status is
// below 400 (shim.ERRORTHRESHOLD, where a peer refuses to endorse), commits
// it alone in a new block. It returns the response, the simulation results
// and the validation code; a transaction that was not committed gets
// NOT_VALIDATED.
func (l *Ledger) Execute(cc shim.Chaincode, p TxParams) (*peer.Response, *TxResults, peer.TxValidationCode) {
	resp, res := l.Evaluate(cc, p)
	if resp.Status >= shim.ERRORTHRESHOLD {
		return resp, res, peer.TxValidationCode_NOT_VALIDATED
	}
	codes := l.CommitBlock([]*TxResults{res}, nil, []time.Time{p.Timestamp})
	return resp, res, codes[0]
}

// Evaluate simulates one transaction without committing it (for read-only
// calls, and for the endorsement step of a network). A chaincode panic
// becomes a 500 response instead of taking the caller down.
func (l *Ledger) Evaluate(cc shim.Chaincode, p TxParams) (resp *peer.Response, res *TxResults) {
	if err := p.check(); err != nil {
		return shim.Error(err.Error()), &TxResults{Namespace: nsOrDefault(p.Namespace), TxID: p.TxID}
	}
	stub := l.NewStub(p)
	defer func() {
		if v := recover(); v != nil {
			resp, res = shim.Error(fmt.Sprintf("ledgersim: chaincode panicked: %v", v)), stub.Results()
		}
	}()
	resp = cc.Invoke(stub)
	if resp == nil {
		resp = shim.Error("ledgersim: chaincode returned a nil response")
	}
	return resp, stub.Results()
}
