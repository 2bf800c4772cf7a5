// Command baseline is the benchmark's reference chaincode, run beside
// MedLedger through the same contract API (arguments checked against their
// schemas by the default JSON serializer; its results are plain strings, so
// the result check MedLedger's serializer leaves out costs it next to
// nothing). It has two references:
//
//   - Put writes exactly one key and nothing else: "MedLedger throughput /
//     Put throughput" is what a MedLedger transaction costs against the least
//     a Fabric transaction can do.
//   - ReadWrite has the ledger footprint of another transaction and none of
//     its logic: the keys it reads (present or absent) and in how many
//     requests, the values it writes, its event and its result, by size.
//     Given the footprint of a committed AccessDocument or RegisterDocument
//     (the benchmark takes it from the block), "ReadWrite / Put" is what
//     that footprint costs on Fabric and "AccessDocument / ReadWrite" what
//     MedLedger's own logic adds to it.
//
// deploy.sh runs it as a service: CHAINCODE_SERVER_ADDRESS and
// CORE_CHAINCODE_ID_NAME (or CHAINCODE_ID) say where to listen and as what.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Baseline is the contract: Put writes one key, Get reads it back,
// ReadWrite reproduces a footprint.
type Baseline struct {
	contractapi.Contract
}

// Limits that keep a benchmark mistake from filling the ledger.
const (
	maxValueBytes = 64 * 1024 // one value, event or result
	maxKeys       = 100       // keys read, keys written
)

// objReadWrite is the composite-key object type of the keys ReadWrite
// writes, each under [txID, index]: a new key every time, like an audit
// entry.
const objReadWrite = "readWrite"

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

// ReadWrite reads the keys in reads and then those in absent, in
// readRounds GetMultipleStates of as many keys each as the keys divide
// into (0 or 1: all together; each is a round trip to the peer, and
// MedLedger reads in a second one the keys that follow from its first),
// refusing unless every key in reads exists and none in absent does (the
// check a transaction makes before creating a record); writes, in one batch,
// one new key per entry of writes with a value of that many bytes; emits an
// event of eventBytes bytes (none when 0); and returns a result of
// resultBytes bytes.
func (b *Baseline) ReadWrite(ctx contractapi.TransactionContextInterface, reads []string, absent []string, writes []int, eventBytes int, resultBytes int, readRounds int) (string, error) {
	keys := append(slices.Clip(reads), absent...)
	if len(keys) > maxKeys || len(writes) > maxKeys {
		return "", fmt.Errorf("INVALID_ARGUMENT: %d keys to read and %d to write, more than %d", len(keys), len(writes), maxKeys)
	}
	if readRounds < 0 || readRounds > max(len(keys), 1) {
		return "", fmt.Errorf("INVALID_ARGUMENT: %d read rounds for %d keys: want 0 to %d", readRounds, len(keys), max(len(keys), 1))
	}
	readRounds = max(readRounds, 1)
	for i, k := range keys {
		if k == "" {
			return "", fmt.Errorf("INVALID_ARGUMENT: key %d to read is empty", i)
		}
	}
	type size struct {
		what string
		n    int
	}
	sizes := []size{{"event", eventBytes}, {"result", resultBytes}}
	for i, n := range writes {
		sizes = append(sizes, size{fmt.Sprintf("value %d", i), n})
	}
	for _, s := range sizes {
		if s.n < 0 || s.n > maxValueBytes {
			return "", fmt.Errorf("INVALID_ARGUMENT: %s of %d bytes: want 0 to %d", s.what, s.n, maxValueBytes)
		}
	}
	stub := ctx.GetStub()
	stub.StartWriteBatch()
	for r := range readRounds {
		from, to := r*len(keys)/readRounds, (r+1)*len(keys)/readRounds
		if from == to {
			continue
		}
		values, err := stub.GetMultipleStates(keys[from:to]...)
		if err != nil {
			return "", fmt.Errorf("read %d keys: %w", to-from, err)
		}
		for j, v := range values {
			switch i := from + j; {
			case i < len(reads) && v == nil:
				return "", fmt.Errorf("NOT_FOUND: no value under %q", keys[i])
			case i >= len(reads) && v != nil:
				return "", fmt.Errorf("ALREADY_EXISTS: a value is under %q", keys[i])
			}
		}
	}
	for i, n := range writes {
		key, err := stub.CreateCompositeKey(objReadWrite, []string{stub.GetTxID(), strconv.Itoa(i)})
		if err != nil {
			return "", err
		}
		if err := stub.PutState(key, filler(n)); err != nil {
			return "", fmt.Errorf("write %s: %w", key, err)
		}
	}
	if eventBytes > 0 {
		if err := stub.SetEvent("ReadWrite", filler(eventBytes)); err != nil {
			return "", err
		}
	}
	return string(filler(resultBytes)), nil
}

// filler is n bytes of text.
func filler(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }

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
			log.Fatalf("baseline: %v", err)
		}
	}
	cc, err := newChaincode()
	if err != nil {
		log.Fatalf("baseline: create chaincode: %v", err)
	}
	if err := cc.Start(); err != nil {
		log.Fatalf("baseline: %v", err)
	}
}
