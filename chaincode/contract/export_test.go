package contract

import "github.com/hyperledger/fabric-contract-api-go/v2/serializer"

// NewCheckingResults is New with the contract API's default serializer,
// which checks every result against its schema in the contract metadata.
// The tests use it so that a result drifting from its schema fails them;
// production skips that check (see resultSerializer).
func NewCheckingResults() (*Chaincode, error) {
	cc, err := New()
	if err != nil {
		return nil, err
	}
	cc.router.TransactionSerializer = new(serializer.JSONSerializer)
	return cc, nil
}
