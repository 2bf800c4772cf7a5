// Package sdk is the MedLedger client for applications: one typed method
// per chaincode transaction, returning the shared ledger types of
// chaincode/model, on top of the Fabric Gateway client
// (github.com/hyperledger/fabric-gateway/pkg/client).
//
// A Client acts as one Fabric identity through one gateway peer; Connect it
// from a Config or from a network's connection file (LoadConnectionProfile).
// Every call takes a context first and runs under default deadlines per
// stage (evaluate, endorse, submit, commit status) besides the context's own.
//
// Errors carry the chaincode's code: test them with errors.Is against
// ErrNotFound, ErrForbidden, ErrAlreadyExists, ErrInvalidArgument and
// ErrFailedPrecondition; the gateway's own error types stay reachable with
// errors.As, and ValidationCode reports why a transaction failed at commit.
// Submit transactions that fail with an MVCC read conflict are endorsed and
// submitted again, with jittered backoff (Config.Retry).
//
// Documents carries document contents between an application and a
// blob.Store: it registers what it stores, audits every read on the ledger
// before it reads a byte, and verifies each download against the ledger's
// hash (ErrIntegrity).
//
// Events and Listen deliver the chaincode's events decoded into their model
// types; with a Checkpointer a restarted listener resumes exactly where it
// stopped.
//
// The package never sees document contents on the ledger side and never
// passes a caller's identity as an argument: the chaincode derives it from
// the signed proposal.
package sdk
