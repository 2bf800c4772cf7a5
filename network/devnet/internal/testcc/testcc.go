// Package testcc holds the small contracts devnet's tests run: on devnet in process, and as
// chaincode-as-a-service on a real Fabric network (assetcc, randomcc) for comparison. They are
// test fixtures, not MedLedger code.
package testcc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Asset is a small deterministic test contract covering what the fidelity tests need:
// plain writes with events, read-modify-write (MVCC), range queries (phantom reads), errors.
type Asset struct {
	contractapi.Contract
}

// Put writes key and emits a "put" event with key=value.
func (c *Asset) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return err
	}
	return ctx.GetStub().SetEvent("put", []byte(key+"="+value))
}

// Get reads key; a missing key is a NOT_FOUND error.
func (c *Asset) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
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
func (c *Asset) Increment(ctx contractapi.TransactionContextInterface, key string) (int, error) {
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
func (c *Asset) CountRange(ctx contractapi.TransactionContextInterface, start, end string) (int, error) {
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

// Fail returns message as the chaincode error.
func (c *Asset) Fail(ctx contractapi.TransactionContextInterface, message string) error {
	return errors.New(message)
}

// Caller returns the caller's MSP ID and the value of a Fabric CA attribute of its certificate
// ("" when absent), as the chaincode library reads them from the creator.
func (c *Asset) Caller(ctx contractapi.TransactionContextInterface, attribute string) (string, error) {
	id := ctx.GetClientIdentity()
	msp, err := id.GetMSPID()
	if err != nil {
		return "", err
	}
	value, _, err := id.GetAttributeValue(attribute)
	if err != nil {
		return "", err
	}
	return msp + " " + value, nil
}

// GetEvaluateTransactions marks Get and Caller as read-only.
func (c *Asset) GetEvaluateTransactions() []string { return []string{"Get", "Caller"} }

// Random is deliberately non-deterministic: every endorser writes different bytes.
type Random struct {
	contractapi.Contract
}

// Roll writes 8 random bytes, different on every endorser.
func (c *Random) Roll(ctx contractapi.TransactionContextInterface) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	v := hex.EncodeToString(b)
	return v, ctx.GetStub().PutState("roll", []byte(v))
}

// NewAsset builds the "asset" chaincode.
func NewAsset() (*contractapi.ContractChaincode, error) { return contractapi.NewChaincode(&Asset{}) }

// NewRandom builds the non-deterministic "random" chaincode.
func NewRandom() (*contractapi.ContractChaincode, error) { return contractapi.NewChaincode(&Random{}) }

// Serve builds a chaincode and serves it as a chaincode service on a real Fabric network, as the
// assetcc and randomcc commands do under network/fabric/deploy.sh. It returns when the server
// stops.
func Serve(build func() (*contractapi.ContractChaincode, error)) error {
	// The contract API reads CORE_CHAINCODE_ID_NAME; deploy.sh sets CHAINCODE_ID.
	if os.Getenv("CORE_CHAINCODE_ID_NAME") == "" && os.Getenv("CHAINCODE_ID") != "" {
		if err := os.Setenv("CORE_CHAINCODE_ID_NAME", os.Getenv("CHAINCODE_ID")); err != nil {
			return err
		}
	}
	cc, err := build()
	if err != nil {
		return err
	}
	return cc.Start()
}
