// Package devnet is MedLedger's embedded development network: a pure-Go stand-in for a Fabric
// peer with its gateway, an ordering service and a committing ledger, speaking the real Fabric
// Gateway gRPC protocol so that the unmodified fabric-gateway client cannot tell it from a peer.
//
// It owns the organisations and their identities (through network/pki), the gateway service
// (Evaluate, Endorse, Submit, CommitStatus, ChaincodeEvents) and the Deliver service for block
// events, endorsement by simulating the chaincode once per endorsing organisation on
// chaincode/ledgersim, block cutting, commit-time validation (creator, endorsement policy, MVCC
// and phantom reads) and optional persistence.
//
// It is for development and tests; production runs on real Fabric. Every known difference from a
// real peer is listed, with its reason, in README.md beside this file.
package devnet
