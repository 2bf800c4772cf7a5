package contract

import (
	"reflect"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"
)

// resultSerializer is the contract API's JSON serializer without its check
// of every result against the result's schema in the contract metadata.
// Arguments are still checked against their schemas. The result check only
// re-validates what this contract itself built from typed values, and it
// cost about a third of each transaction's time in the chaincode process
// (gojsonschema on the marshalled result), which on a loaded peer is
// throughput. The tests run every transaction with the check on (see
// export_test.go), so a result that drifts from its schema still fails
// them.
type resultSerializer struct {
	serializer.JSONSerializer
}

var _ serializer.TransactionSerializer = (*resultSerializer)(nil)

// ToString marshals result as the contract API's JSON serializer does.
func (s *resultSerializer) ToString(result reflect.Value, typ reflect.Type, _ *metadata.ReturnMetadata, components *metadata.ComponentMetadata) (string, error) {
	return s.JSONSerializer.ToString(result, typ, nil, components)
}
