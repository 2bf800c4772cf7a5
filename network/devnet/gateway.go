package devnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// gatewayServer implements the Fabric Gateway gRPC service the way internal/pkg/gateway does on a
// peer of the first organisation: same request checks, same status codes, same ErrorDetail shapes.
type gatewayServer struct {
	gp.UnimplementedGatewayServer
	n *Network
}

var _ gp.GatewayServer = (*gatewayServer)(nil)

// newRPCError is the gateway's newRpcError: a status with ErrorDetail messages attached.
func newRPCError(code codes.Code, message string, details ...*gp.ErrorDetail) error {
	st := status.New(code, message)
	if len(details) == 0 {
		return st.Err()
	}
	ds := make([]protoadapt.MessageV1, 0, len(details))
	for _, d := range details {
		ds = append(ds, protoadapt.MessageV1Of(d))
	}
	if withDetails, err := st.WithDetails(ds...); err == nil {
		return withDetails.Err()
	}
	return st.Err()
}

func (o *org) detail(msg string) *gp.ErrorDetail {
	return &gp.ErrorDetail{Address: o.address, MspId: o.mspID, Message: msg}
}

// peerOutcome classifies one peer's processing of a proposal as the gateway's responseStatus does.
// A nil error with a chaincode status >= 400 is codes.Unknown "chaincode response <status>, <msg>";
// a proposal the peer refused (validation) is FailedPrecondition; a failed invocation (the peer
// returned status 500 without payload) is Aborted.
type peerOutcome struct {
	code    codes.Code
	message string
}

func outcomeOf(sim *simulation, validationErr, invokeErr error) peerOutcome {
	switch {
	case validationErr != nil:
		return peerOutcome{codes.FailedPrecondition, validationErr.Error()}
	case invokeErr != nil:
		return peerOutcome{codes.Aborted, invokeErr.Error()}
	case sim.response.GetStatus() < 200 || sim.response.GetStatus() >= 400:
		return peerOutcome{codes.Unknown, fmt.Sprintf("chaincode response %d, %s", sim.response.GetStatus(), sim.response.GetMessage())}
	}
	return peerOutcome{code: codes.OK}
}

func (g *gatewayServer) chaincode(channel, name string) (shim.Chaincode, error) {
	if channel != g.n.opts.Channel {
		return nil, status.Errorf(codes.Unavailable, "failed to get config for channel [%s]: could not get last config for channel %s", channel, channel)
	}
	cc, ok := g.n.chaincodes[name]
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "no peers available to evaluate chaincode %s in channel %s", name, channel)
	}
	return cc, nil
}

// Evaluate runs a proposal on one peer (the gateway's own organisation unless target
// organisations are given) and returns the chaincode response; nothing is ordered.
func (g *gatewayServer) Evaluate(ctx context.Context, req *gp.EvaluateRequest) (*gp.EvaluateResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an evaluate request is required")
	}
	up, err := unpackProposal(req.GetProposedTransaction())
	if err == nil && up.channelHeader.GetChannelId() == "" {
		err = errors.New("no channel id provided")
	}
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "failed to unpack transaction proposal: %s", err)
	}
	cc, err := g.chaincode(up.channelHeader.GetChannelId(), up.chaincodeName)
	if err != nil {
		return nil, err
	}
	target := g.n.orgs[0]
	if orgs := req.GetTargetOrganizations(); len(orgs) > 0 {
		target = nil
		for _, id := range orgs {
			if o := g.n.orgByMSP[id]; o != nil {
				target = o
				break
			}
		}
		if target == nil {
			return nil, status.Errorf(codes.FailedPrecondition, "no peers available to evaluate chaincode %s in channel %s", up.chaincodeName, up.channelHeader.GetChannelId())
		}
	}
	vErr := g.n.validateProposal(up)
	var sim *simulation
	var iErr error
	if vErr == nil {
		g.n.ledger.simLock.RLock()
		sim, iErr = g.n.simulate(target, up, cc, false)
		g.n.ledger.simLock.RUnlock()
	}
	out := outcomeOf(sim, vErr, iErr)
	switch out.code {
	case codes.OK:
	case codes.Aborted: // retryable: no other peer of the organisation to retry on
		return nil, newRPCError(codes.Aborted, "failed to evaluate transaction, see attached details for more info", target.detail(out.message))
	default:
		return nil, newRPCError(out.code, "evaluate call to endorser returned error: "+out.message, target.detail(out.message))
	}
	return &gp.EvaluateResponse{Result: sim.response}, nil
}

// Endorse collects endorsements from enough organisations to satisfy the endorsement policy,
// checks that every endorser produced the same ProposalResponsePayload, and returns the prepared
// transaction envelope for the client to sign.
func (g *gatewayServer) Endorse(ctx context.Context, req *gp.EndorseRequest) (*gp.EndorseResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an endorse request is required")
	}
	if len(req.GetProposedTransaction().GetProposalBytes()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "the proposed transaction must contain a signed proposal")
	}
	up, err := unpackProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	channel := up.channelHeader.GetChannelId()
	cc, err := g.chaincode(channel, up.chaincodeName)
	if err != nil {
		if status.Code(err) == codes.FailedPrecondition {
			return nil, status.Errorf(codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode %s in channel %s", up.chaincodeName, channel)
		}
		return nil, err
	}

	explicit := len(req.GetEndorsingOrganizations()) > 0
	var endorsers []*org
	if explicit {
		var missing []string
		seen := map[string]bool{}
		for _, id := range req.GetEndorsingOrganizations() {
			if seen[id] {
				continue // one peer per organisation, as the gateway's plan for given orgs
			}
			seen[id] = true
			if o := g.n.orgByMSP[id]; o != nil {
				endorsers = append(endorsers, o)
			} else {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return nil, status.Errorf(codes.Unavailable, "failed to find any endorsing peers for org(s): %s", strings.Join(missing, ", "))
		}
	} else {
		endorsers = g.n.orgs[:g.n.opts.RequiredEndorsements]
	}

	// Every peer validates the proposal the same way against the same MSPs and ledger, so the
	// outcome of one validation stands for all of them.
	vErr := g.n.validateProposal(up)
	sims := make([]*simulation, len(endorsers))
	iErrs := make([]error, len(endorsers))
	if vErr == nil {
		// All endorsers simulate against the same committed height, as peers in sync would.
		// Peers endorse in parallel, as the gateway's endorsers do.
		g.n.ledger.simLock.RLock()
		var wg sync.WaitGroup
		for i := 1; i < len(endorsers); i++ {
			wg.Add(1)
			g.n.simWork <- func() {
				defer wg.Done()
				sims[i], iErrs[i] = g.n.simulate(endorsers[i], up, cc, true)
			}
		}
		sims[0], iErrs[0] = g.n.simulate(endorsers[0], up, cc, true)
		wg.Wait()
		g.n.ledger.simLock.RUnlock()
	}

	var details []*gp.ErrorDetail
	var first *simulation
	var endorsements []*peer.Endorsement
	for i, o := range endorsers {
		out := outcomeOf(sims[i], vErr, iErrs[i])
		if out.code != codes.OK {
			details = append(details, o.detail(out.message))
			if !explicit && i == 0 {
				return nil, newRPCError(codes.Aborted, "failed to endorse transaction, see attached details for more info", details...)
			}
			continue
		}
		if first == nil {
			first = sims[i]
		} else if string(first.payload) != string(sims[i].payload) {
			details = append(details, o.detail("ProposalResponsePayloads do not match"))
			continue
		}
		endorsements = append(endorsements, sims[i].endorsement)
	}
	if len(details) > 0 || first == nil {
		return nil, newRPCError(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info", details...)
	}
	env, err := prepareTransaction(up, &peer.ChaincodeEndorsedAction{ProposalResponsePayload: first.payload, Endorsements: endorsements})
	if err != nil {
		return nil, status.Errorf(codes.Aborted, "failed to assemble transaction: %s", err)
	}
	return &gp.EndorseResponse{PreparedTransaction: env}, nil
}

// prepareTransaction is the gateway's prepareTransaction: the unsigned transaction envelope.
func prepareTransaction(up *unpackedProposal, action *peer.ChaincodeEndorsedAction) (*common.Envelope, error) {
	cppBytes, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: up.payload.GetInput()})
	if err != nil {
		return nil, err
	}
	capBytes, err := proto.Marshal(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: cppBytes, Action: action})
	if err != nil {
		return nil, err
	}
	txBytes, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: up.header.GetSignatureHeader(), Payload: capBytes}}})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: up.header, Data: txBytes})
	if err != nil {
		return nil, err
	}
	return &common.Envelope{Payload: payload}, nil
}

// Submit hands a signed transaction to the ordering service and returns once it is accepted,
// before it is committed (the client then asks CommitStatus).
func (g *gatewayServer) Submit(ctx context.Context, req *gp.SubmitRequest) (*gp.SubmitResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "a submit request is required")
	}
	txn := req.GetPreparedTransaction()
	if txn == nil {
		return nil, status.Error(codes.InvalidArgument, "a prepared transaction is required")
	}
	if len(txn.GetSignature()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "prepared transaction must be signed")
	}
	if req.GetChannelId() != g.n.opts.Channel {
		return nil, status.Errorf(codes.FailedPrecondition, "channel '%s' not found", req.GetChannelId())
	}
	tx, st, info := g.n.checkBroadcast(txn)
	if st != common.Status_SUCCESS {
		return nil, newRPCError(codes.Aborted, fmt.Sprintf("received unsuccessful response from orderer: status=%s, info=%s", common.Status_name[int32(st)], info))
	}
	if err := g.n.order(ctx, tx); err != nil {
		return nil, err
	}
	return &gp.SubmitResponse{}, nil
}

// checkACL is the peer's Readers policy check on a signed request: the identity must be a valid
// member of one of the channel's organisations and must have signed the request.
func (g *gatewayServer) checkACL(channel string, data, identity, signature []byte) error {
	const policy = "/Channel/Application/Readers"
	if channel != g.n.opts.Channel {
		return status.Errorf(codes.PermissionDenied, "Failed to get policy manager for channel [%s]", channel)
	}
	m, _, err := g.n.members.deserialize(identity)
	if err == nil {
		err = m.verify(data, signature)
	}
	if err != nil {
		return status.Errorf(codes.PermissionDenied, "Failed evaluating policy on signed data during check policy on channel [%s] with policy [%s]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Readers' sub-policies to be satisfied]", channel, policy)
	}
	return nil
}

// CommitStatus waits until the transaction is committed and returns its validation code.
func (g *gatewayServer) CommitStatus(ctx context.Context, signed *gp.SignedCommitStatusRequest) (*gp.CommitStatusResponse, error) {
	if len(signed.GetRequest()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "a commit status request is required")
	}
	req := &gp.CommitStatusRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid status request: %v", err)
	}
	switch {
	case req.GetIdentity() == nil:
		return nil, status.Error(codes.InvalidArgument, "no identity provided")
	case req.GetChannelId() == "":
		return nil, status.Error(codes.InvalidArgument, "no channel ID provided")
	case req.GetTransactionId() == "":
		return nil, status.Error(codes.InvalidArgument, "transaction ID should not be empty")
	}
	if err := g.checkACL(req.GetChannelId(), signed.GetRequest(), req.GetIdentity(), signed.GetSignature()); err != nil {
		return nil, err
	}
	st, err := g.n.ledger.waitForTx(ctx, req.GetTransactionId())
	if err != nil {
		if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
			return nil, s.Err()
		}
		if c := status.FromContextError(err); c.Code() != codes.Unknown {
			return nil, c.Err()
		}
		return nil, status.Error(codes.Aborted, err.Error())
	}
	return &gp.CommitStatusResponse{Result: st.code, BlockNumber: st.block}, nil
}

// ChaincodeEvents streams the events of valid transactions of one chaincode, block by block, from
// the requested start position, waiting for new blocks until the client goes away.
func (g *gatewayServer) ChaincodeEvents(signed *gp.SignedChaincodeEventsRequest, stream gp.Gateway_ChaincodeEventsServer) error {
	if len(signed.GetRequest()) == 0 {
		return status.Error(codes.InvalidArgument, "a chaincode events request is required")
	}
	req := &gp.ChaincodeEventsRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return status.Errorf(codes.InvalidArgument, "invalid chaincode events request: %v", err)
	}
	if err := g.checkACL(req.GetChannelId(), signed.GetRequest(), req.GetIdentity(), signed.GetSignature()); err != nil {
		return err
	}
	start, err := g.eventsStartBlock(req)
	if err != nil {
		return err
	}
	match := chaincodeEventMatcher(req)
	ctx := stream.Context()
	for next := start; ; next++ {
		events, err := g.n.ledger.blockEvents(ctx, next)
		if err != nil {
			if c := status.FromContextError(err); c.Code() != codes.Unknown {
				return c.Err()
			}
			return status.Error(codes.Aborted, err.Error())
		}
		var matching []*peer.ChaincodeEvent
		for _, ev := range events {
			if match(ev) {
				matching = append(matching, ev)
			}
		}
		if len(matching) == 0 {
			continue
		}
		if err := stream.Send(&gp.ChaincodeEventsResponse{BlockNumber: next, Events: matching}); err != nil {
			if errors.Is(err, io.EOF) {
				return status.Error(codes.Canceled, err.Error())
			}
			return err
		}
	}
}

// chaincodeEventMatcher is the gateway's: events of the chaincode, skipping everything up to and
// including the event of the transaction to resume after.
func chaincodeEventMatcher(req *gp.ChaincodeEventsRequest) func(*peer.ChaincodeEvent) bool {
	chaincode := req.GetChaincodeId()
	after := req.GetAfterTransactionId()
	if after == "" {
		return func(ev *peer.ChaincodeEvent) bool { return ev.GetChaincodeId() == chaincode }
	}
	passed := false
	return func(ev *peer.ChaincodeEvent) bool {
		if !passed {
			if ev.GetTxId() == after {
				passed = true
			}
			return false
		}
		return ev.GetChaincodeId() == chaincode
	}
}

func (g *gatewayServer) eventsStartBlock(req *gp.ChaincodeEventsRequest) (uint64, error) {
	if after := req.GetAfterTransactionId(); after != "" {
		if st, ok := g.n.ledger.txStatus(after); ok {
			return st.block, nil
		}
	}
	switch seek := req.GetStartPosition().GetType().(type) {
	case nil, *ab.SeekPosition_NextCommit:
	case *ab.SeekPosition_Specified:
		return seek.Specified.GetNumber(), nil
	default:
		return 0, status.Errorf(codes.InvalidArgument, "invalid start position type: %T", seek)
	}
	return g.n.ledger.height(), nil
}
