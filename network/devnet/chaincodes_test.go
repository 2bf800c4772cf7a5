package devnet_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/stretchr/testify/require"
)

// assetContract is a small deterministic test chaincode covering what the fidelity tests need:
// plain writes with events, read-modify-write (MVCC), range queries (phantom reads), errors.
type assetContract struct {
	contractapi.Contract
}

func (c *assetContract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return err
	}
	return ctx.GetStub().SetEvent("put", []byte(key+"="+value))
}

func (c *assetContract) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return "", err
	}
	if v == nil {
		return "", fmt.Errorf("NOT_FOUND: key %s", key)
	}
	return string(v), nil
}

// Increment reads a counter and writes it back plus one: two concurrent increments conflict.
func (c *assetContract) Increment(ctx contractapi.TransactionContextInterface, key string) (int, error) {
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return 0, err
	}
	n := 0
	if v != nil {
		if n, err = strconv.Atoi(string(v)); err != nil {
			return 0, err
		}
	}
	n++
	return n, ctx.GetStub().PutState(key, []byte(strconv.Itoa(n)))
}

// CountRange counts the keys in [start, end) and records the count: a key added to the range
// before it commits is a phantom read.
func (c *assetContract) CountRange(ctx contractapi.TransactionContextInterface, start, end string) (int, error) {
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return 0, err
		}
		n++
	}
	return n, ctx.GetStub().PutState("count:"+start, []byte(strconv.Itoa(n)))
}

func (c *assetContract) Fail(ctx contractapi.TransactionContextInterface, message string) error {
	return errors.New(message)
}

func (c *assetContract) GetEvaluateTransactions() []string { return []string{"Get"} }

// randomContract is deliberately non-deterministic: every endorser writes different bytes.
type randomContract struct {
	contractapi.Contract
}

func (c *randomContract) Roll(ctx contractapi.TransactionContextInterface) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	v := hex.EncodeToString(b)
	return v, ctx.GetStub().PutState("roll", []byte(v))
}

// testChaincodes installs the test chaincodes as "asset" and "random".
func testChaincodes(t *testing.T) map[string]shim.Chaincode {
	t.Helper()
	asset, err := contractapi.NewChaincode(&assetContract{})
	require.NoError(t, err)
	random, err := contractapi.NewChaincode(&randomContract{})
	require.NoError(t, err)
	return map[string]shim.Chaincode{"asset": asset, "random": random}
}
