package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/sdk"
)

// footprint is what one committed transaction put on the ledger, by size:
// the keys it read (point reads of keys present and absent, range queries),
// the values it wrote, its event and its result. The baseline's ReadWrite
// reproduces a footprint of point reads without the transaction's logic.
type footprint struct {
	reads        int // keys read that existed
	absent       int // keys read that did not exist
	rangeQueries int
	writes       []int // value sizes, in the order of the write set (key order)
	eventBytes   int
	resultBytes  int
	readRounds   int // requests the keys were read in, when known (0: not)
}

func (f footprint) String() string {
	total := 0
	for _, n := range f.writes {
		total += n
	}
	return fmt.Sprintf("%d keys read (%d absent), %d range queries, %d keys written (%d bytes), event %d bytes, result %d bytes",
		f.reads+f.absent, f.absent, f.rangeQueries, len(f.writes), total, f.eventBytes, f.resultBytes)
}

// footprintOf finds transaction txID in block and returns its footprint in
// the chaincode namespace ns.
func footprintOf(block *common.Block, txID, ns string) (footprint, error) {
	for i, raw := range block.GetData().GetData() {
		action, found, err := chaincodeAction(raw, txID)
		if err != nil {
			return footprint{}, fmt.Errorf("block %d, transaction %d: %w", block.GetHeader().GetNumber(), i, err)
		}
		if !found {
			continue
		}
		f := footprint{resultBytes: len(action.GetResponse().GetPayload())}
		if ev := action.GetEvents(); len(ev) > 0 {
			var event peer.ChaincodeEvent
			if err := proto.Unmarshal(ev, &event); err != nil {
				return footprint{}, fmt.Errorf("transaction %s: event: %w", txID, err)
			}
			f.eventBytes = len(event.GetPayload())
		}
		var txRWSet rwset.TxReadWriteSet
		if err := proto.Unmarshal(action.GetResults(), &txRWSet); err != nil {
			return footprint{}, fmt.Errorf("transaction %s: read-write set: %w", txID, err)
		}
		for _, nsRWSet := range txRWSet.GetNsRwset() {
			if nsRWSet.GetNamespace() != ns {
				continue
			}
			var kv kvrwset.KVRWSet
			if err := proto.Unmarshal(nsRWSet.GetRwset(), &kv); err != nil {
				return footprint{}, fmt.Errorf("transaction %s: read-write set of %s: %w", txID, ns, err)
			}
			for _, r := range kv.GetReads() {
				if r.GetVersion() == nil {
					f.absent++
				} else {
					f.reads++
				}
			}
			f.rangeQueries += len(kv.GetRangeQueriesInfo())
			for _, w := range kv.GetWrites() {
				f.writes = append(f.writes, len(w.GetValue()))
			}
		}
		return f, nil
	}
	return footprint{}, fmt.Errorf("transaction %s is not in block %d", txID, block.GetHeader().GetNumber())
}

// chaincodeAction returns the chaincode action of the endorser transaction
// in envelope raw when its id is txID.
func chaincodeAction(raw []byte, txID string) (*peer.ChaincodeAction, bool, error) {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return nil, false, fmt.Errorf("envelope: %w", err)
	}
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return nil, false, fmt.Errorf("payload: %w", err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil {
		return nil, false, fmt.Errorf("channel header: %w", err)
	}
	if ch.GetTxId() != txID {
		return nil, false, nil
	}
	if ch.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return nil, false, fmt.Errorf("transaction %s is of type %d, not an endorser transaction", txID, ch.GetType())
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(payload.GetData(), &tx); err != nil {
		return nil, false, fmt.Errorf("transaction: %w", err)
	}
	if len(tx.GetActions()) != 1 {
		return nil, false, fmt.Errorf("transaction %s has %d actions, want 1", txID, len(tx.GetActions()))
	}
	var cap peer.ChaincodeActionPayload
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), &cap); err != nil {
		return nil, false, fmt.Errorf("chaincode action payload: %w", err)
	}
	var prp peer.ProposalResponsePayload
	if err := proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), &prp); err != nil {
		return nil, false, fmt.Errorf("proposal response payload: %w", err)
	}
	var action peer.ChaincodeAction
	if err := proto.Unmarshal(prp.GetExtension(), &action); err != nil {
		return nil, false, fmt.Errorf("chaincode action: %w", err)
	}
	return &action, true, nil
}

// readWrite is the baseline's ReadWrite call with a footprint. Its keys are
// read as MedLedger's are: the caller's (identity binding, the MSP's
// organisations, for RegisterDocument the patient's record) are the same
// for every call of a client, so they are written once for each client;
// AccessDocument's document is a different one each call, so with rotate
// the last key read is named per call (a value the baseline's Put wrote
// earlier in the run); RegisterDocument's new document is absent, so the
// absent keys are new each call.
type readWrite struct {
	fp            footprint
	rotate        bool
	fixed         [][]string // by client
	writes        string     // JSON, as the contract API takes arguments
	event, result string
}

// readKeyBytes is the size of the values ReadWrite reads that setup writes.
// A block records the keys a transaction read, not their values;
// MedLedger's are 50 to 700 bytes (identity binding, MSP organisations,
// user record, document), the baseline's Put writes 256.
const readKeyBytes = 256

// footprints measures, from the blocks that committed them, the footprints
// of one RegisterDocument and one AccessDocument by patient, the patient
// of client 0, and of one AccessDocument of the same document by doctor, who
// holds that patient's consent.
func footprints(ctx context.Context, patient, doctor *sdk.Client, run int64) (register, access, doctorAccess footprint, err error) {
	id := fmt.Sprintf("bench-%d-footprint", run)
	doc, err := patient.RegisterDocument(ctx, benchDocument(id, 0))
	if err != nil {
		return footprint{}, footprint{}, footprint{}, fmt.Errorf("register a document: %w", err)
	}
	if len(doc.Versions) == 0 {
		return footprint{}, footprint{}, footprint{}, fmt.Errorf("RegisterDocument returned document %s without its version", doc.ID)
	}
	if register, err = committedFootprint(ctx, patient, doc.Versions[0].TxID); err != nil {
		return footprint{}, footprint{}, footprint{}, err
	}
	res, err := patient.AccessDocument(ctx, id, 0)
	if err != nil {
		return footprint{}, footprint{}, footprint{}, fmt.Errorf("access it: %w", err)
	}
	if access, err = committedFootprint(ctx, patient, res.Audit.TxID); err != nil {
		return footprint{}, footprint{}, footprint{}, err
	}
	res, err = doctor.AccessDocument(ctx, id, 0)
	if err != nil {
		return footprint{}, footprint{}, footprint{}, fmt.Errorf("access it as the doctor: %w", err)
	}
	if doctorAccess, err = committedFootprint(ctx, doctor, res.Audit.TxID); err != nil {
		return footprint{}, footprint{}, footprint{}, err
	}
	return register, access, doctorAccess, nil
}

// newReadWrite prepares ReadWrite with footprint fp for up to clients
// clients: it writes, through the baseline's Put, the keys each client reads
// on every call.
func newReadWrite(contract *client.Contract, fp footprint, rotate bool, prefix string, clients int) (*readWrite, error) {
	if fp.rangeQueries > 0 {
		return nil, fmt.Errorf("footprint (%s) has range queries, which ReadWrite does not reproduce", fp)
	}
	fixed := fp.reads
	if rotate {
		if fixed == 0 {
			return nil, fmt.Errorf("footprint (%s) reads no key that exists", fp)
		}
		fixed--
	}
	writes, err := json.Marshal(fp.writes)
	if err != nil {
		return nil, err
	}
	rw := &readWrite{fp: fp, rotate: rotate, writes: string(writes), event: fmt.Sprint(fp.eventBytes), result: fmt.Sprint(fp.resultBytes)}
	value := strings.Repeat("r", readKeyBytes)
	for client := range clients {
		keys := make([]string, fixed)
		for k := range keys {
			keys[k] = fmt.Sprintf("%s-read-%d-%d", prefix, client, k)
			if _, err := contract.SubmitTransaction("Put", keys[k], value); err != nil {
				return nil, fmt.Errorf("write %s: %w", keys[k], err)
			}
		}
		rw.fixed = append(rw.fixed, keys)
	}
	return rw, nil
}

// committedFootprint is the footprint of transaction txID of the client's
// chaincode, which committed in the last block the client saw.
func committedFootprint(ctx context.Context, c *sdk.Client, txID string) (footprint, error) {
	block, err := blockAt(ctx, c, c.CommittedBlock())
	if err != nil {
		return footprint{}, err
	}
	return footprintOf(block, txID, c.Chaincode())
}

// submit runs ReadWrite as client and returns the block that committed it.
// last is the key read last when rw rotates; call names the call, unique in
// the run, for the keys that must be absent.
func (rw *readWrite) submit(contract *client.Contract, client int, last, call string) (uint64, error) {
	keys := rw.fixed[client]
	if rw.rotate {
		keys = append(slices.Clip(keys), last)
	}
	absent := make([]string, rw.fp.absent)
	for k := range absent {
		absent[k] = fmt.Sprintf("%s-absent-%d", call, k)
	}
	reads, err := json.Marshal(keys)
	if err != nil {
		return 0, err
	}
	absents, err := json.Marshal(absent)
	if err != nil {
		return 0, err
	}
	return submit(contract, "ReadWrite", string(reads), string(absents), rw.writes, rw.event, rw.result, fmt.Sprint(rw.fp.readRounds))
}

// blockAt reads block n of the client's channel from its gateway peer.
func blockAt(ctx context.Context, c *sdk.Client, n uint64) (*common.Block, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	blocks, err := c.Gateway().GetNetwork(c.Channel()).BlockEvents(ctx, client.WithStartBlock(n))
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", n, err)
	}
	select {
	case block, ok := <-blocks:
		if ok {
			return block, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read block %d: %w", n, err)
		}
		return nil, fmt.Errorf("read block %d: the block stream ended", n)
	case <-ctx.Done():
		return nil, fmt.Errorf("read block %d: %w", n, ctx.Err())
	}
}
