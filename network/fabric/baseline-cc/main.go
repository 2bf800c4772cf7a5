// Command baseline-cc is the benchmark's reference chaincode: each submit
// writes exactly one key and nothing else, through the same contract API as
// MedLedger (arguments checked against their schemas by the default JSON
// serializer; Put returns no result, so the result check MedLedger's
// serializer leaves out would cost it nothing either), so "MedLedger
// throughput / baseline throughput" measures what MedLedger's own logic costs
// on the same network.
// deploy.sh runs it as a service: CHAINCODE_SERVER_ADDRESS and
// CORE_CHAINCODE_ID_NAME (or CHAINCODE_ID) say where to listen and as what.
package main

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Baseline is the contract: Put writes one key, Get reads it back.
type Baseline struct {
	contractapi.Contract
}

// maxValueBytes keeps a benchmark mistake from filling the ledger.
const maxValueBytes = 64 * 1024

// Put stores value under key, overwriting any previous value.
func (b *Baseline) Put(ctx contractapi.TransactionContextInterface, key string, value string) error {
	if key == "" {
		return errors.New("INVALID_ARGUMENT: key is empty")
	}
	if len(value) > maxValueBytes {
		return fmt.Errorf("INVALID_ARGUMENT: value is %d bytes, more than %d", len(value), maxValueBytes)
	}
	return ctx.GetStub().PutState(key, []byte(value))
}

// Get returns the value stored under key.
func (b *Baseline) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	if key == "" {
		return "", errors.New("INVALID_ARGUMENT: key is empty")
	}
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return "", fmt.Errorf("read %q: %w", key, err)
	}
	if v == nil {
		return "", fmt.Errorf("NOT_FOUND: no value under %q", key)
	}
	return string(v), nil
}

// GetEvaluateTransactions marks Get as read-only in the contract metadata.
func (b *Baseline) GetEvaluateTransactions() []string { return []string{"Get"} }

// newChaincode builds the chaincode with Baseline as its default contract.
func newChaincode() (*contractapi.ContractChaincode, error) {
	b := &Baseline{}
	b.Name = "baseline"
	cc, err := contractapi.NewChaincode(b)
	if err != nil {
		return nil, err
	}
	cc.Info.Title = "baseline"
	cc.Info.Version = "1"
	return cc, nil
}

func main() {
	// The contract API reads CORE_CHAINCODE_ID_NAME; accept CHAINCODE_ID too,
	// the name Fabric's ccaas samples use.
	if os.Getenv("CORE_CHAINCODE_ID_NAME") == "" && os.Getenv("CHAINCODE_ID") != "" {
		if err := os.Setenv("CORE_CHAINCODE_ID_NAME", os.Getenv("CHAINCODE_ID")); err != nil {
			log.Fatalf("baseline-cc: %v", err)
		}
	}
	cc, err := newChaincode()
	if err != nil {
		log.Fatalf("baseline-cc: create chaincode: %v", err)
	}
	if err := cc.Start(); err != nil {
		log.Fatalf("baseline-cc: %v", err)
	}
}
