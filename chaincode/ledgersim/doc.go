// Package ledgersim is MedLedger's ledger simulator: committed world state with
// versions and key history, and a shim.ChaincodeStubInterface that simulates a
// transaction on it with the semantics of a Fabric peer running a Go
// chaincode on a LevelDB state database. Unit tests, benchmarks and the
// embedded development network (network/devnet) all run the chaincode on it,
// so there is exactly one simulator.
//
// It owns: transaction simulation (reads of committed state only, read-write
// sets with versions, range-query records with ItrExhausted, the peer's
// batching of 100 results per iterator fetch, pagination with LevelDB
// bookmarks, the "paginated queries only in read-only transactions" rule with
// Fabric's messages, composite keys validated by the shim's own code), and
// block commit (MVCC and phantom-read validation against committed state plus
// the writes of earlier valid transactions of the same block, duplicate
// transaction ids, history).
//
// It does not own endorsement, signatures, policies, blocks on disk or gRPC:
// the caller (devnet, tests) does those and hands CommitBlock the precheck
// codes. It must not import devnet, the SDK or gateway code.
//
// Differences from a peer are listed in README.md.
package ledgersim
