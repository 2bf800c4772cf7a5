package devnet

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

// unpackedProposal is a signed proposal taken apart, as core/endorser.UnpackProposal does.
type unpackedProposal struct {
	signed          *peer.SignedProposal
	header          *common.Header
	channelHeader   *common.ChannelHeader
	signatureHeader *common.SignatureHeader
	payload         *peer.ChaincodeProposalPayload
	chaincodeName   string
	input           *peer.ChaincodeInput
	hash            []byte // SHA-256(channel header || signature header || payload without transient map)
}

func unpackProposal(signed *peer.SignedProposal) (*unpackedProposal, error) {
	if len(signed.GetProposalBytes()) == 0 {
		return nil, errors.New("a signed proposal is required")
	}
	prop := &peer.Proposal{}
	if err := proto.Unmarshal(signed.GetProposalBytes(), prop); err != nil {
		return nil, fmt.Errorf("error unmarshalling Proposal: %w", err)
	}
	hdr := &common.Header{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling Header: %w", err)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(hdr.GetChannelHeader(), chdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChannelHeader: %w", err)
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), shdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling SignatureHeader: %w", err)
	}
	ext := &peer.ChaincodeHeaderExtension{}
	if err := proto.Unmarshal(chdr.GetExtension(), ext); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeHeaderExtension: %w", err)
	}
	if ext.GetChaincodeId() == nil {
		return nil, errors.New("ChaincodeHeaderExtension.ChaincodeId is nil")
	}
	if ext.GetChaincodeId().GetName() == "" {
		return nil, errors.New("ChaincodeHeaderExtension.ChaincodeId.Name is empty")
	}
	cpp := &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.GetPayload(), cpp); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeProposalPayload: %w", err)
	}
	cis := &peer.ChaincodeInvocationSpec{}
	if err := proto.Unmarshal(cpp.GetInput(), cis); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeInvocationSpec: %w", err)
	}
	if cis.GetChaincodeSpec() == nil {
		return nil, errors.New("chaincode invocation spec did not contain chaincode spec")
	}
	if cis.GetChaincodeSpec().GetInput() == nil {
		return nil, errors.New("chaincode input did not contain any input")
	}
	hash, err := proposalHash(hdr, cpp.GetInput())
	if err != nil {
		return nil, err
	}
	return &unpackedProposal{
		signed:          signed,
		header:          hdr,
		channelHeader:   chdr,
		signatureHeader: shdr,
		payload:         cpp,
		chaincodeName:   ext.GetChaincodeId().GetName(),
		input:           cis.GetChaincodeSpec().GetInput(),
		hash:            hash,
	}, nil
}

// proposalHash is protoutil.GetProposalHash1/2: the hash a ProposalResponsePayload carries, over the
// headers and the proposal payload without its transient map (which never reaches the ledger).
func proposalHash(hdr *common.Header, input []byte) ([]byte, error) {
	ppBytes, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: input})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(hdr.GetChannelHeader())
	h.Write(hdr.GetSignatureHeader())
	h.Write(ppBytes)
	return h.Sum(nil), nil
}

// computeTxID is protoutil.ComputeTxID: hex(SHA-256(nonce || creator)).
func computeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

func (up *unpackedProposal) txID() string { return up.channelHeader.GetTxId() }

// validateProposal is UnpackedProposal.Validate plus the endorser's preProcess: header type,
// epoch, nonce, creator, tx id, signature, membership, then uniqueness against the ledger.
// Messages are Fabric's, so that clients and tests see what they would see from a peer.
func (n *Network) validateProposal(up *unpackedProposal) error {
	switch common.HeaderType(up.channelHeader.GetType()) {
	case common.HeaderType_ENDORSER_TRANSACTION, common.HeaderType_CONFIG:
	default:
		return fmt.Errorf("error validating proposal: invalid header type %s", common.HeaderType(up.channelHeader.GetType()))
	}
	if up.channelHeader.GetEpoch() != 0 {
		return errors.New("error validating proposal: epoch is non-zero")
	}
	if len(up.signatureHeader.GetNonce()) == 0 {
		return errors.New("error validating proposal: nonce is empty")
	}
	if len(up.signatureHeader.GetCreator()) == 0 {
		return errors.New("error validating proposal: creator is empty")
	}
	if want := computeTxID(up.signatureHeader.GetNonce(), up.signatureHeader.GetCreator()); up.txID() != want {
		return fmt.Errorf("error validating proposal: incorrectly computed txid '%s' -- expected '%s'", up.txID(), want)
	}
	if up.signed.GetSignature() == nil {
		return errors.New("error validating proposal: empty signature bytes")
	}
	channel := up.channelHeader.GetChannelId()
	// Fabric 3.1 answers "creator org unknown" both for an MSP the channel does not have and for a
	// certificate its MSP's CAs did not issue (compared against a real network, see README).
	m, mspID, err := n.members.deserialize(up.signatureHeader.GetCreator())
	if err != nil {
		return fmt.Errorf("error validating proposal: access denied: channel [%s] creator org unknown, creator is malformed", channel)
	}
	if err := m.verify(up.signed.GetProposalBytes(), up.signed.GetSignature()); err != nil {
		return fmt.Errorf("error validating proposal: access denied: channel [%s] creator org [%s]", channel, mspID)
	}
	if n.ledger.hasTx(up.txID()) {
		return fmt.Errorf("duplicate transaction found [%s]. Creator [%x]", up.txID(), up.signatureHeader.GetCreator())
	}
	return nil
}

// simulation is one peer's processing of a proposal: the chaincode response and, when endorsing
// and it is below 400, the ProposalResponsePayload (signed when below 500).
type simulation struct {
	response    *peer.Response
	payload     []byte // ProposalResponsePayload bytes; nil for status 400..499
	endorsement *peer.Endorsement
}

// simulate runs the proposal through the chaincode on the committed state and builds what the
// endorser of org would return (ProcessProposalSuccessfullyOrError). Callers hold the ledger's
// simulation lock so that all endorsers of one proposal see the same committed height.
func (n *Network) simulate(o *org, up *unpackedProposal, cc shim.Chaincode, endorse bool) (sim *simulation, err error) {
	ts := time.Unix(0, 0)
	if t := up.channelHeader.GetTimestamp(); t != nil {
		ts = t.AsTime()
	}
	stub := n.ledger.sim.NewStub(ledgersim.TxParams{
		Namespace:      up.chaincodeName,
		ChannelID:      up.channelHeader.GetChannelId(),
		TxID:           up.txID(),
		Timestamp:      ts,
		Creator:        up.signatureHeader.GetCreator(),
		Args:           up.input.GetArgs(),
		Transient:      up.payload.GetTransientMap(),
		SignedProposal: up.signed,
		Binding:        binding(up),
	})
	defer func() {
		if p := recover(); p != nil {
			// A chaincode process that panics dies; the peer sees its stream end.
			sim, err = nil, fmt.Errorf("error in simulation: failed to execute transaction %s: chaincode stream terminated (panic: %v)", up.txID(), p)
		}
	}()
	res := cc.Invoke(stub)
	if res == nil {
		return nil, fmt.Errorf("error in simulation: chaincode %s returned no response", up.chaincodeName)
	}
	results := stub.Results()
	sim = &simulation{response: res}
	if !endorse || (res.GetStatus() >= shim.ERRORTHRESHOLD && res.GetStatus() < shim.ERROR) {
		// Evaluate only needs the response; a 4xx response has no payload and no endorsement.
		return sim, nil
	}
	var events []byte
	if ev := results.Event; ev != nil {
		events, err = deterministic.Marshal(&peer.ChaincodeEvent{
			ChaincodeId: up.chaincodeName,
			TxId:        up.txID(),
			EventName:   ev.GetEventName(),
			Payload:     ev.GetPayload(),
		})
		if err != nil {
			return nil, fmt.Errorf("failed to marshal chaincode event: %w", err)
		}
	}
	rw, err := marshalResults(up.chaincodeName, results)
	if err != nil {
		return nil, fmt.Errorf("error in simulation: %w", err)
	}
	action, err := deterministic.Marshal(&peer.ChaincodeAction{
		Results:     rw,
		Events:      events,
		Response:    res,
		ChaincodeId: &peer.ChaincodeID{Name: up.chaincodeName, Version: n.opts.ChaincodeVersion},
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create the proposal response: %w", err)
	}
	sim.payload, err = deterministic.Marshal(&peer.ProposalResponsePayload{ProposalHash: up.hash, Extension: action})
	if err != nil {
		return nil, fmt.Errorf("failed to create the proposal response: %w", err)
	}
	if res.GetStatus() >= shim.ERROR {
		return sim, nil
	}
	msg := make([]byte, 0, len(sim.payload)+len(o.peerSerialized))
	msg = append(append(msg, sim.payload...), o.peerSerialized...)
	sig, err := signMessage(o.peer.Key, msg)
	if err != nil {
		return nil, fmt.Errorf("endorsing with plugin failed: %w", err)
	}
	n.endorsed.add(memoKey(o.peerSerialized, sim.payload, o.peerSerialized, sig))
	sim.endorsement = &peer.Endorsement{Endorser: o.peerSerialized, Signature: sig}
	return sim, nil
}

// binding is protoutil.ComputeProposalBinding: SHA-256(nonce || creator || epoch little-endian).
func binding(up *unpackedProposal) []byte {
	epoch := up.channelHeader.GetEpoch()
	var e [8]byte
	for i := range e {
		e[i] = byte(epoch >> (8 * i))
	}
	h := sha256.New()
	h.Write(up.signatureHeader.GetNonce())
	h.Write(up.signatureHeader.GetCreator())
	h.Write(e[:])
	return h.Sum(nil)
}
