package devnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

// endorserTx is an endorser transaction taken apart as the committing peer's validator does.
type endorserTx struct {
	chaincode    string
	ccpBytes     []byte // ChaincodeProposalPayload without transient data
	prpBytes     []byte // ProposalResponsePayload, what endorsers signed
	prp          *peer.ProposalResponsePayload
	action       *peer.ChaincodeAction
	endorsements []*peer.Endorsement
}

func parseEndorserTx(tx *envelopeTx) (*endorserTx, error) {
	ext := &peer.ChaincodeHeaderExtension{}
	if err := proto.Unmarshal(tx.channelHeader.GetExtension(), ext); err != nil {
		return nil, fmt.Errorf("bad chaincode header extension: %w", err)
	}
	t := &peer.Transaction{}
	if err := proto.Unmarshal(tx.payload.GetData(), t); err != nil {
		return nil, fmt.Errorf("bad transaction: %w", err)
	}
	if len(t.GetActions()) != 1 {
		return nil, fmt.Errorf("only one action per transaction is supported, tx contains %d", len(t.GetActions()))
	}
	if !bytes.Equal(t.GetActions()[0].GetHeader(), tx.payload.GetHeader().GetSignatureHeader()) {
		return nil, errors.New("action header does not match the transaction's signature header")
	}
	cap := &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(t.GetActions()[0].GetPayload(), cap); err != nil {
		return nil, fmt.Errorf("bad chaincode action payload: %w", err)
	}
	if cap.GetAction() == nil {
		return nil, errors.New("nil ChaincodeEndorsedAction")
	}
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), prp); err != nil {
		return nil, fmt.Errorf("bad proposal response payload: %w", err)
	}
	action := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), action); err != nil {
		return nil, fmt.Errorf("bad chaincode action: %w", err)
	}
	return &endorserTx{
		chaincode:    ext.GetChaincodeId().GetName(),
		ccpBytes:     cap.GetChaincodeProposalPayload(),
		prpBytes:     cap.GetAction().GetProposalResponsePayload(),
		prp:          prp,
		action:       action,
		endorsements: cap.GetAction().GetEndorsements(),
	}, nil
}

// validateTx is the committing peer's per-transaction validation before MVCC: structure, tx id,
// duplicates, chaincode and endorsement policy (VSCC). It returns the code and, when VALID, the
// read-write set for the MVCC check.
func (n *Network) validateTx(tx *envelopeTx, seen map[string]bool) (peer.TxValidationCode, *ledgersim.TxResults, *endorserTx) {
	txID := tx.channelHeader.GetTxId()
	if computeTxID(tx.sigHeader.GetNonce(), tx.sigHeader.GetCreator()) != txID {
		return peer.TxValidationCode_BAD_PROPOSAL_TXID, nil, nil
	}
	etx, err := parseEndorserTx(tx)
	if err != nil {
		return peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION, nil, nil
	}
	hash := sha256.New()
	hash.Write(tx.payload.GetHeader().GetChannelHeader())
	hash.Write(tx.payload.GetHeader().GetSignatureHeader())
	hash.Write(etx.ccpBytes)
	if !bytes.Equal(hash.Sum(nil), etx.prp.GetProposalHash()) {
		return peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION, nil, nil
	}
	if seen[txID] || n.ledger.hasTx(txID) {
		return peer.TxValidationCode_DUPLICATE_TXID, nil, nil
	}
	seen[txID] = true
	if _, ok := n.chaincodes[etx.chaincode]; !ok || etx.action.GetChaincodeId().GetName() != etx.chaincode {
		return peer.TxValidationCode_INVALID_CHAINCODE, nil, nil
	}
	if !n.endorsementPolicySatisfied(etx) {
		return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, nil, nil
	}
	results, err := unmarshalResults(etx.chaincode, txID, etx.action.GetResults())
	if err != nil {
		return peer.TxValidationCode_BAD_RWSET, nil, nil
	}
	return peer.TxValidationCode_VALID, results, etx
}

// endorsementPolicySatisfied evaluates "RequiredEndorsements of the organisations' peers" (MAJORITY
// Endorsement by default) over the endorsements whose signature over payload||endorser verifies
// and whose endorser is a valid peer identity of a channel organisation.
func (n *Network) endorsementPolicySatisfied(etx *endorserTx) bool {
	orgs := map[string]bool{}
	for _, e := range etx.endorsements {
		m, _, err := n.members.deserialize(e.GetEndorser())
		if err != nil || m.ou != "peer" || orgs[m.mspID] {
			continue
		}
		if !n.endorsed.take(memoKey(e.GetEndorser(), etx.prpBytes, e.GetEndorser(), e.GetSignature())) {
			msg := make([]byte, 0, len(etx.prpBytes)+len(e.GetEndorser()))
			msg = append(append(msg, etx.prpBytes...), e.GetEndorser()...)
			if m.verify(msg, e.GetSignature()) != nil {
				continue
			}
		}
		orgs[m.mspID] = true
	}
	return len(orgs) >= n.opts.RequiredEndorsements
}

// commitBatch turns a batch the orderer cut into the next block: validates each transaction,
// runs MVCC and phantom checks and applies valid writes on ledgersim, writes the block with its
// TRANSACTIONS_FILTER, then publishes statuses and events.
func (n *Network) commitBatch(batch []*envelopeTx) error {
	number := n.ledger.height()
	seen := map[string]bool{}
	codes := make([]peer.TxValidationCode, len(batch))
	results := make([]*ledgersim.TxResults, len(batch))
	stamps := make([]time.Time, len(batch))
	etxs := make([]*endorserTx, len(batch))
	txIDs := make([]string, len(batch))
	data := make([][]byte, len(batch))
	for i, tx := range batch {
		txIDs[i] = tx.channelHeader.GetTxId()
		data[i] = tx.raw
		stamps[i] = tx.channelHeader.GetTimestamp().AsTime()
		codes[i], results[i], etxs[i] = n.validateTx(tx, seen)
		if results[i] == nil {
			results[i] = &ledgersim.TxResults{TxID: txIDs[i]}
		}
	}

	n.ledger.simLock.Lock()
	final := n.ledger.sim.CommitBlock(results, codes, stamps)
	n.ledger.simLock.Unlock()
	if len(final) != len(batch) {
		return fmt.Errorf("ledger returned %d codes for %d transactions", len(final), len(batch))
	}

	// The state has moved on: publish the block even if writing it fails, so clients see the
	// same ledger the next simulation reads.
	block := n.newBlock(number, data, final)
	err := n.storeBlock(block)
	n.ledger.appended(block, txIDs, final, validEvents(etxs, final))
	return err
}

// validEvents are the chaincode events of the block's valid transactions, in block order: the
// only events a peer delivers.
func validEvents(etxs []*endorserTx, codes []peer.TxValidationCode) []*peer.ChaincodeEvent {
	var events []*peer.ChaincodeEvent
	for i, etx := range etxs {
		if codes[i] != peer.TxValidationCode_VALID || etx == nil || len(etx.action.GetEvents()) == 0 {
			continue
		}
		ev := &peer.ChaincodeEvent{}
		if proto.Unmarshal(etx.action.GetEvents(), ev) != nil {
			continue
		}
		if ev.GetChaincodeId() == "" || ev.GetEventName() == "" || ev.GetTxId() == "" {
			continue // the gateway drops such events too
		}
		events = append(events, ev)
	}
	return events
}

// newBlock assembles a block like the orderer and committer do: header hash chain over
// Fabric's ASN.1 header encoding, data hash over the concatenated envelopes, and the five
// metadata entries with the transaction validation codes in TRANSACTIONS_FILTER.
func (n *Network) newBlock(number uint64, data [][]byte, codes []peer.TxValidationCode) *common.Block {
	filter := make([]byte, len(codes))
	for i, c := range codes {
		filter[i] = byte(c)
	}
	dataHash := sha256.Sum256(bytes.Join(data, nil))
	sigs, _ := proto.Marshal(&common.Metadata{Value: mustMarshal(&common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 0}})})
	metadata := make([][]byte, len(common.BlockMetadataIndex_name))
	metadata[common.BlockMetadataIndex_SIGNATURES] = sigs
	metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = filter
	return &common.Block{
		Header:   &common.BlockHeader{Number: number, PreviousHash: n.lastHeaderHash, DataHash: dataHash[:]},
		Data:     &common.BlockData{Data: data},
		Metadata: &common.BlockMetadata{Metadata: metadata},
	}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		return nil // only fixed, well-formed messages are passed here
	}
	return b
}

// blockHeaderHash is protoutil.BlockHeaderHash: SHA-256 of the ASN.1 DER of number, previous
// hash and data hash.
func blockHeaderHash(h *common.BlockHeader) []byte {
	der, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// storeBlock appends the block to the block file (when persistent) and advances the hash chain.
func (n *Network) storeBlock(b *common.Block) error {
	if n.store != nil {
		raw, err := proto.Marshal(b)
		if err != nil {
			return err
		}
		if err := n.store.append(raw); err != nil {
			// Stop persisting rather than leave a gap: the file stays a whole prefix of the
			// chain, which a restart replays.
			_ = n.store.close()
			n.store = nil
			n.lastHeaderHash = blockHeaderHash(b.GetHeader())
			return fmt.Errorf("writing block %d, persistence stopped: %w", b.GetHeader().GetNumber(), err)
		}
	}
	n.lastHeaderHash = blockHeaderHash(b.GetHeader())
	return nil
}

// replayBlock re-applies a stored block at start: valid transactions' writes go to ledgersim
// again (their reads were validated when the block was first committed, so they are not checked
// twice) and the index and events are rebuilt.
func (n *Network) replayBlock(b *common.Block) error {
	number := b.GetHeader().GetNumber()
	if number != n.ledger.height() {
		return fmt.Errorf("block file holds block %d where %d was expected", number, n.ledger.height())
	}
	if !bytes.Equal(b.GetHeader().GetPreviousHash(), n.lastHeaderHash) {
		return fmt.Errorf("block %d does not chain to block %d (previous hash mismatch)", number, number-1)
	}
	filter := b.GetMetadata().GetMetadata()
	if len(filter) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return fmt.Errorf("block %d has no TRANSACTIONS_FILTER metadata", number)
	}
	flags := filter[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	data := b.GetData().GetData()
	if len(flags) != len(data) {
		return fmt.Errorf("block %d has %d validation codes for %d transactions", number, len(flags), len(data))
	}
	codes := make([]peer.TxValidationCode, len(data))
	results := make([]*ledgersim.TxResults, len(data))
	stamps := make([]time.Time, len(data))
	etxs := make([]*endorserTx, len(data))
	txIDs := make([]string, len(data))
	for i, raw := range data {
		codes[i] = peer.TxValidationCode(flags[i])
		env := &common.Envelope{}
		if err := proto.Unmarshal(raw, env); err != nil {
			return fmt.Errorf("block %d tx %d: %w", number, i, err)
		}
		tx, err := parseEnvelope(env)
		if err != nil {
			return fmt.Errorf("block %d tx %d: %w", number, i, err)
		}
		txIDs[i] = tx.channelHeader.GetTxId()
		stamps[i] = tx.channelHeader.GetTimestamp().AsTime()
		results[i] = &ledgersim.TxResults{TxID: txIDs[i]}
		if common.HeaderType(tx.channelHeader.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
			continue
		}
		if codes[i] != peer.TxValidationCode_VALID {
			continue
		}
		etx, err := parseEndorserTx(tx)
		if err != nil {
			return fmt.Errorf("block %d tx %d: %w", number, i, err)
		}
		r, err := unmarshalResults(etx.chaincode, txIDs[i], etx.action.GetResults())
		if err != nil {
			return fmt.Errorf("block %d tx %d: %w", number, i, err)
		}
		r.Reads, r.RangeQueries = nil, nil
		results[i], etxs[i] = r, etx
	}
	if number == 0 {
		// ledgersim starts at height 1: the genesis block holds no state.
		n.lastHeaderHash = blockHeaderHash(b.GetHeader())
		n.ledger.appended(b, txIDs, codes, nil)
		return nil
	}
	final := n.ledger.sim.CommitBlock(results, codes, stamps)
	for i := range final {
		if final[i] != codes[i] {
			return fmt.Errorf("block %d tx %d replays as %s, was committed as %s", number, i, final[i], codes[i])
		}
	}
	n.lastHeaderHash = blockHeaderHash(b.GetHeader())
	n.ledger.appended(b, txIDs, codes, validEvents(etxs, codes))
	return nil
}
