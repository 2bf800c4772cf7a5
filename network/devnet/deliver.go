package devnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// deliverServer is the peer's Deliver service (common/deliver): block events for clients such as
// the gateway client's BlockEvents, FilteredBlockEvents and BlockAndPrivateDataEvents.
type deliverServer struct {
	peer.UnimplementedDeliverServer
	n *Network
}

var _ peer.DeliverServer = (*deliverServer)(nil)

// deliverTimeWindow is the peer's peer.authentication.timewindow: a seek request's timestamp must
// be this close to the server's clock.
const deliverTimeWindow = 15 * time.Minute

// blockSender turns a committed block into the response one Deliver variant sends.
type blockSender func(*common.Block) (*peer.DeliverResponse, error)

func (d *deliverServer) Deliver(srv peer.Deliver_DeliverServer) error {
	return d.handle(srv, func(b *common.Block) (*peer.DeliverResponse, error) {
		return &peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: b}}, nil
	})
}

func (d *deliverServer) DeliverFiltered(srv peer.Deliver_DeliverFilteredServer) error {
	return d.handle(srv, func(b *common.Block) (*peer.DeliverResponse, error) {
		fb, err := filteredBlock(b)
		if err != nil {
			return nil, err
		}
		return &peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: fb}}, nil
	})
}

// DeliverWithPrivateData sends blocks with an empty private data map: devnet has no private data
// collections.
func (d *deliverServer) DeliverWithPrivateData(srv peer.Deliver_DeliverWithPrivateDataServer) error {
	return d.handle(srv, func(b *common.Block) (*peer.DeliverResponse, error) {
		return &peer.DeliverResponse{Type: &peer.DeliverResponse_BlockAndPrivateData{
			BlockAndPrivateData: &peer.BlockAndPrivateData{Block: b},
		}}, nil
	})
}

type deliverStream interface {
	Context() context.Context
	Recv() (*common.Envelope, error)
	Send(*peer.DeliverResponse) error
}

// handle is deliver.Handler.Handle: for each seek request, the blocks it asks for, then a status;
// a status other than SUCCESS ends the stream.
func (d *deliverServer) handle(srv deliverStream, send blockSender) error {
	for {
		env, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		st, err := d.deliverBlocks(srv, env, send)
		if err != nil {
			return err
		}
		err = srv.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
		if st != common.Status_SUCCESS || err != nil {
			return err
		}
	}
}

func (d *deliverServer) deliverBlocks(srv deliverStream, env *common.Envelope, send blockSender) (common.Status, error) {
	ctx := srv.Context()
	tx, err := parseEnvelope(env)
	if err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	ts := tx.channelHeader.GetTimestamp()
	if ts == nil {
		return common.Status_BAD_REQUEST, nil
	}
	if skew := time.Since(ts.AsTime()); skew > deliverTimeWindow || skew < -deliverTimeWindow {
		return common.Status_BAD_REQUEST, nil
	}
	if tx.channelHeader.GetChannelId() != d.n.opts.Channel {
		return common.Status_NOT_FOUND, nil
	}
	seek := &ab.SeekInfo{}
	if err := proto.Unmarshal(tx.payload.GetData(), seek); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	// The channel's Readers policy, as for event/Block and event/FilteredBlock.
	m, _, err := d.n.members.deserialize(tx.sigHeader.GetCreator())
	if err == nil {
		err = m.verify(env.GetPayload(), env.GetSignature())
	}
	if err != nil {
		return common.Status_FORBIDDEN, nil
	}
	if seek.GetStart() == nil || seek.GetStop() == nil {
		return common.Status_BAD_REQUEST, nil
	}

	height := d.n.ledger.height()
	var number uint64
	switch start := seek.GetStart().GetType().(type) {
	case *ab.SeekPosition_Oldest:
		number = 0
	case *ab.SeekPosition_Newest:
		number = height - 1
	case *ab.SeekPosition_Specified:
		number = start.Specified.GetNumber()
	case *ab.SeekPosition_NextCommit:
		number = height
	default:
		return common.Status_BAD_REQUEST, nil
	}
	var stop uint64
	switch s := seek.GetStop().GetType().(type) {
	case *ab.SeekPosition_Oldest:
		stop = number
	case *ab.SeekPosition_Newest:
		if proto.Equal(seek.GetStart(), seek.GetStop()) {
			stop = number
		} else {
			stop = height - 1
		}
	case *ab.SeekPosition_Specified:
		stop = s.Specified.GetNumber()
		if stop < number {
			return common.Status_BAD_REQUEST, nil
		}
	default:
		return common.Status_BAD_REQUEST, nil
	}

	for {
		if seek.GetBehavior() == ab.SeekInfo_FAIL_IF_NOT_READY && number > d.n.ledger.height()-1 {
			return common.Status_NOT_FOUND, nil
		}
		block, err := d.n.ledger.block(ctx, number)
		if err != nil {
			if errors.Is(err, errNetworkClosed) {
				return common.Status_SERVICE_UNAVAILABLE, nil
			}
			return common.Status_INTERNAL_SERVER_ERROR, fmt.Errorf("context finished before block retrieved: %w", err)
		}
		number++
		out := block
		if seek.GetContentType() == ab.SeekInfo_HEADER_WITH_SIG && number-1 != 0 {
			out = &common.Block{Header: block.GetHeader(), Metadata: block.GetMetadata()}
		}
		resp, err := send(out)
		if err != nil {
			return common.Status_INTERNAL_SERVER_ERROR, err
		}
		if err := srv.Send(resp); err != nil {
			return common.Status_INTERNAL_SERVER_ERROR, err
		}
		if block.GetHeader().GetNumber() == stop {
			return common.Status_SUCCESS, nil
		}
	}
}

// filteredBlock is the peer's toFilteredBlock: per transaction its id, type, validation code and
// the chaincode event without its payload.
func filteredBlock(b *common.Block) (*peer.FilteredBlock, error) {
	fb := &peer.FilteredBlock{Number: b.GetHeader().GetNumber()}
	var flags []byte
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		flags = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	for i, raw := range b.GetData().GetData() {
		env := &common.Envelope{}
		if err := proto.Unmarshal(raw, env); err != nil {
			return nil, err
		}
		tx, err := parseEnvelope(env)
		if err != nil {
			return nil, err
		}
		fb.ChannelId = tx.channelHeader.GetChannelId()
		ft := &peer.FilteredTransaction{
			Txid: tx.channelHeader.GetTxId(),
			Type: common.HeaderType(tx.channelHeader.GetType()),
		}
		if i < len(flags) {
			ft.TxValidationCode = peer.TxValidationCode(flags[i])
		}
		if ft.Type == common.HeaderType_ENDORSER_TRANSACTION {
			actions := &peer.FilteredTransactionActions{}
			if etx, err := parseEndorserTx(tx); err == nil && len(etx.action.GetEvents()) > 0 {
				ev := &peer.ChaincodeEvent{}
				if err := proto.Unmarshal(etx.action.GetEvents(), ev); err == nil && ev.GetChaincodeId() != "" {
					actions.ChaincodeActions = append(actions.ChaincodeActions, &peer.FilteredChaincodeAction{
						ChaincodeEvent: &peer.ChaincodeEvent{TxId: ev.GetTxId(), ChaincodeId: ev.GetChaincodeId(), EventName: ev.GetEventName()},
					})
				}
			}
			ft.Data = &peer.FilteredTransaction_TransactionActions{TransactionActions: actions}
		}
		fb.FilteredTransactions = append(fb.FilteredTransactions, ft)
	}
	return fb, nil
}
