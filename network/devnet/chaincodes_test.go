package devnet_test

import (
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/network/devnet/internal/testcc"
)

// testChaincodes installs the test chaincodes as "asset" and "random".
func testChaincodes(t *testing.T) map[string]shim.Chaincode {
	t.Helper()
	asset, err := testcc.NewAsset()
	require.NoError(t, err)
	random, err := testcc.NewRandom()
	require.NoError(t, err)
	return map[string]shim.Chaincode{"asset": asset, "random": random}
}
