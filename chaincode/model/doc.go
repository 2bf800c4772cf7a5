// Package model defines what MedLedger keeps on the ledger and what its
// transactions take and return: the records (organisations, users, documents,
// consent grants, audit entries), the transaction inputs and results, the
// chaincode event payloads, the enumerations with their fixed code lists, the
// input bounds, and the stable error codes.
//
// Both the chaincode and the SDK import this package, so it must never import
// the chaincode shim or anything that talks to a peer. It holds identifiers,
// codes, hashes and times only: no document contents, no names, no free text
// that could carry personal health information.
package model
