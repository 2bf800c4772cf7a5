package devnet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

var errNetworkClosed = errors.New("devnet: network closed")

// envelopeTx is a transaction envelope the orderer accepted: its bytes as they go into the block,
// and the headers it was checked with.
type envelopeTx struct {
	raw           []byte
	env           *common.Envelope
	payload       *common.Payload
	channelHeader *common.ChannelHeader
	sigHeader     *common.SignatureHeader
}

// parseEnvelope takes a transaction envelope apart down to its headers.
func parseEnvelope(env *common.Envelope) (*envelopeTx, error) {
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		return nil, fmt.Errorf("bad payload: %w", err)
	}
	if payload.GetHeader() == nil {
		return nil, errors.New("missing header")
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr); err != nil {
		return nil, fmt.Errorf("bad channel header: %w", err)
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), shdr); err != nil {
		return nil, fmt.Errorf("bad signature header: %w", err)
	}
	return &envelopeTx{env: env, payload: payload, channelHeader: chdr, sigHeader: shdr}, nil
}

// checkBroadcast is the ordering service's admission of a transaction (Broadcast): the envelope must
// parse, be for this channel, and be signed by a valid member of the channel (the Writers policy).
func (n *Network) checkBroadcast(env *common.Envelope) (*envelopeTx, common.Status, string) {
	tx, err := parseEnvelope(env)
	if err != nil {
		return nil, common.Status_BAD_REQUEST, err.Error()
	}
	if common.HeaderType(tx.channelHeader.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return nil, common.Status_BAD_REQUEST, fmt.Sprintf("unsupported header type %s", common.HeaderType(tx.channelHeader.GetType()))
	}
	if tx.channelHeader.GetChannelId() != n.opts.Channel {
		return nil, common.Status_NOT_FOUND, fmt.Sprintf("channel %s does not exist", tx.channelHeader.GetChannelId())
	}
	m, _, err := n.members.deserialize(tx.sigHeader.GetCreator())
	if err == nil {
		err = m.verify(env.GetPayload(), env.GetSignature())
	}
	if err != nil {
		return nil, common.Status_FORBIDDEN, "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied"
	}
	tx.raw, err = proto.Marshal(env)
	if err != nil {
		return nil, common.Status_BAD_REQUEST, err.Error()
	}
	return tx, common.Status_SUCCESS, ""
}

// order enqueues an admitted transaction for the block cutter.
func (n *Network) order(ctx context.Context, tx *envelopeTx) error {
	select {
	case n.pending <- tx:
		return nil
	case <-ctx.Done():
		return status.Error(codes.DeadlineExceeded, "submit timeout expired while broadcasting to ordering service")
	case <-n.stopping:
		return status.Error(codes.Unavailable, "no orderers could successfully process transaction")
	}
}

// runOrderer cuts blocks like a solo/Raft orderer's block cutter: a batch closes when it holds
// MaxMessageCount transactions or BatchTimeout after its first transaction arrived. On shutdown
// the open batch is still cut, so that accepted transactions are not lost.
func (n *Network) runOrderer() {
	defer close(n.blocks)
	for {
		var batch []*envelopeTx
		select {
		case tx := <-n.pending:
			batch = append(batch, tx)
		case <-n.stopping:
			n.drain(nil)
			return
		}
		timer := time.NewTimer(n.opts.BatchTimeout)
	collect:
		for len(batch) < n.opts.MaxMessageCount {
			select {
			case tx := <-n.pending:
				batch = append(batch, tx)
			case <-timer.C:
				break collect
			case <-n.stopping:
				timer.Stop()
				n.drain(batch)
				return
			}
		}
		timer.Stop()
		n.blocks <- batch
	}
}

func (n *Network) drain(batch []*envelopeTx) {
	for {
		select {
		case tx := <-n.pending:
			batch = append(batch, tx)
			if len(batch) == n.opts.MaxMessageCount {
				n.blocks <- batch
				batch = nil
			}
		default:
			if len(batch) > 0 {
				n.blocks <- batch
			}
			return
		}
	}
}

// runCommitter validates and commits the blocks the orderer cuts, one at a time, in order.
func (n *Network) runCommitter() {
	defer close(n.committerDone)
	for batch := range n.blocks {
		if err := n.commitBatch(batch); err != nil {
			n.opts.Logf("devnet: commit failed: %v", err)
		}
	}
}
