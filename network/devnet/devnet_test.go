package devnet_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/network/devnet"
	"github.com/medledger/medledger/network/pki"
)

// startNetwork starts a network with the test chaincodes and closes it when the test ends.
func startNetwork(t *testing.T, opts devnet.Options) *devnet.Network {
	t.Helper()
	if opts.Chaincodes == nil {
		opts.Chaincodes = testChaincodes(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := devnet.Start(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

// connect returns the chaincode's contract as identity name of org, through the real client.
func connect(t *testing.T, n *devnet.Network, mspID, name, chaincode string) (*client.Gateway, *client.Contract) {
	t.Helper()
	id, err := n.Identity(mspID, name)
	require.NoError(t, err)
	return connectAs(t, n, id, chaincode)
}

func connectAs(t *testing.T, n *devnet.Network, id *pki.Identity, chaincode string) (*client.Gateway, *client.Contract) {
	t.Helper()
	gw, err := n.Gateway(id, client.WithCommitStatusTimeout(30*time.Second))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	return gw, gw.GetNetwork(n.Channel()).GetContract(chaincode)
}

// signOffline builds fn's proposal on c and signs its digest as signer, the way a client whose
// key is held elsewhere does; signer need not be c's identity. The bytes and signature can be
// sent again to replay the same transaction id.
func signOffline(t *testing.T, c *client.Contract, signer *pki.Identity, fn string, args ...string) (p *client.Proposal, raw, sig []byte) {
	t.Helper()
	p, err := c.NewProposal(fn, client.WithArguments(args...))
	require.NoError(t, err)
	raw, err = p.Bytes()
	require.NoError(t, err)
	sig, err = signer.SignDigest(p.Digest())
	require.NoError(t, err)
	return p, raw, sig
}

// details returns the gateway ErrorDetail messages of a client error.
func details(t *testing.T, err error) []*gateway.ErrorDetail {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status error: %v", err)
	var out []*gateway.ErrorDetail
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, ed)
		}
	}
	return out
}

func TestEvaluateReadsCommittedState(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")

	_, err := c.SubmitTransaction("Put", "k1", "v1")
	require.NoError(t, err)

	got, err := c.EvaluateTransaction("Get", "k1")
	require.NoError(t, err)
	require.Equal(t, "v1", string(got))

	// Another organisation's client reads the same committed state.
	_, c2 := connect(t, n, "Org2MSP", devnet.UserName, "asset")
	got, err = c2.EvaluateTransaction("Get", "k1")
	require.NoError(t, err)
	require.Equal(t, "v1", string(got))
}

func TestSubmitCommitsInANewBlock(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	require.EqualValues(t, 1, n.Height(), "a fresh channel holds only its genesis block")
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")

	result, commit, err := c.SubmitAsync("Increment", client.WithArguments("counter"))
	require.NoError(t, err)
	require.Equal(t, "1", string(result))
	st, err := commit.Status()
	require.NoError(t, err)
	require.True(t, st.Successful)
	require.Equal(t, peer.TxValidationCode_VALID, st.Code)
	require.EqualValues(t, 1, st.BlockNumber)
	require.Equal(t, commit.TransactionID(), st.TransactionID)

	got, err := c.EvaluateTransaction("Get", "counter")
	require.NoError(t, err)
	require.Equal(t, "1", string(got))
	require.EqualValues(t, 2, n.Height())
}

func TestAsyncSubmitThenCommitStatusFromAnotherCall(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	gw, c := connect(t, n, "Org2MSP", devnet.UserName, "asset")

	_, commit, err := c.SubmitAsync("Put", client.WithArguments("a", "1"))
	require.NoError(t, err)
	// The commit status request can be serialised, signed and sent later, as by another process.
	raw, err := commit.Bytes()
	require.NoError(t, err)
	again, err := gw.NewCommit(raw)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := again.StatusWithContext(ctx)
	require.NoError(t, err)
	require.Equal(t, peer.TxValidationCode_VALID, st.Code)
}

func TestConcurrentUpdatesOfOneKeyCommitOnceAndConflictOnce(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c1 := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	_, c2 := connect(t, n, "Org2MSP", devnet.UserName, "asset")

	// Both read version v of the key before either commits.
	p1, err := c1.NewProposal("Increment", client.WithArguments("shared"))
	require.NoError(t, err)
	p2, err := c2.NewProposal("Increment", client.WithArguments("shared"))
	require.NoError(t, err)
	tx1, err := p1.Endorse()
	require.NoError(t, err)
	tx2, err := p2.Endorse()
	require.NoError(t, err)

	commit1, err := tx1.Submit()
	require.NoError(t, err)
	commit2, err := tx2.Submit()
	require.NoError(t, err)
	st1, err := commit1.Status()
	require.NoError(t, err)
	st2, err := commit2.Status()
	require.NoError(t, err)

	codes := []peer.TxValidationCode{st1.Code, st2.Code}
	require.ElementsMatch(t, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT}, codes)
	got, err := c1.EvaluateTransaction("Get", "shared")
	require.NoError(t, err)
	require.Equal(t, "1", string(got), "only one increment was applied")

	// The client's Submit turns the conflict into a CommitError carrying the code.
	p3, err := c1.NewProposal("Increment", client.WithArguments("shared"))
	require.NoError(t, err)
	p4, err := c2.NewProposal("Increment", client.WithArguments("shared"))
	require.NoError(t, err)
	tx3, err := p3.Endorse()
	require.NoError(t, err)
	tx4, err := p4.Endorse()
	require.NoError(t, err)
	_, err = tx3.Submit()
	require.NoError(t, err)
	_, err = c2.Submit("Increment", client.WithArguments("other")) // unrelated keys still commit
	require.NoError(t, err)
	commit4, err := tx4.Submit()
	require.NoError(t, err)
	st4, err := commit4.Status()
	require.NoError(t, err)
	require.False(t, st4.Successful)
	require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, st4.Code)
}

func TestSubmitReturnsCommitErrorOnConflict(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	stale, err := c.NewProposal("Increment", client.WithArguments("k"))
	require.NoError(t, err)
	staleTx, err := stale.Endorse()
	require.NoError(t, err)
	_, err = c.SubmitTransaction("Increment", "k")
	require.NoError(t, err)

	commit, err := staleTx.Submit()
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, st.Code)
}

func TestRangeQueryPhantomReadIsDetected(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	for _, k := range []string{"item:1", "item:3"} {
		_, err := c.SubmitTransaction("Put", k, "x")
		require.NoError(t, err)
	}

	count, err := c.NewProposal("CountRange", client.WithArguments("item:", "item;"))
	require.NoError(t, err)
	countTx, err := count.Endorse()
	require.NoError(t, err)
	require.Equal(t, "2", string(countTx.Result()))

	// A key appears inside the range after the count was simulated.
	_, err = c.SubmitTransaction("Put", "item:2", "x")
	require.NoError(t, err)

	commit, err := countTx.Submit()
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	require.Equal(t, peer.TxValidationCode_PHANTOM_READ_CONFLICT, st.Code)

	// A changed value inside the range (no new key) is caught too.
	count, err = c.NewProposal("CountRange", client.WithArguments("item:", "item;"))
	require.NoError(t, err)
	countTx, err = count.Endorse()
	require.NoError(t, err)
	_, err = c.SubmitTransaction("Put", "item:1", "y")
	require.NoError(t, err)
	commit, err = countTx.Submit()
	require.NoError(t, err)
	st, err = commit.Status()
	require.NoError(t, err)
	require.Equal(t, peer.TxValidationCode_PHANTOM_READ_CONFLICT, st.Code)
}

func TestChaincodeEventsResumeAfterTransaction(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	gw, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	network := gw.GetNetwork(n.Channel())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// From the next block: subscribe first, then submit.
	live, err := network.ChaincodeEvents(ctx, "asset")
	require.NoError(t, err)

	var txIDs []string
	for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}} {
		_, commit, err := c.SubmitAsync("Put", client.WithArguments(kv[0], kv[1]))
		require.NoError(t, err)
		st, err := commit.Status()
		require.NoError(t, err)
		require.True(t, st.Successful)
		txIDs = append(txIDs, commit.TransactionID())
	}
	// A transaction that fails validation emits no event.
	stale, err := c.NewProposal("Put", client.WithArguments("a", "lost"))
	require.NoError(t, err)
	staleTx, err := stale.Endorse()
	require.NoError(t, err)
	_, err = staleTx.Submit()
	require.NoError(t, err)
	_, err = staleTx.Submit() // the same envelope again: DUPLICATE_TXID at commit
	require.NoError(t, err)
	_, commit, err := c.SubmitAsync("Put", client.WithArguments("d", "4"))
	require.NoError(t, err)
	_, err = commit.Status()
	require.NoError(t, err)
	txIDs = append(txIDs, staleTx.TransactionID(), commit.TransactionID())

	var first *client.ChaincodeEvent
	for i, want := range []string{"a=1", "b=2", "c=3", "a=lost", "d=4"} {
		select {
		case ev := <-live:
			require.Equal(t, want, string(ev.Payload))
			require.Equal(t, txIDs[i], ev.TransactionID)
			require.Equal(t, "asset", ev.ChaincodeName)
			require.Equal(t, "put", ev.EventName)
			if first == nil {
				first = ev
			}
		case <-ctx.Done():
			t.Fatalf("event %d (%s) never arrived", i, want)
		}
	}

	// Resume after the first event's transaction with a checkpointer, as an application does after
	// a restart.
	cp := new(client.InMemoryCheckpointer)
	cp.CheckpointChaincodeEvent(first)
	resumed, err := network.ChaincodeEvents(ctx, "asset", client.WithCheckpoint(cp))
	require.NoError(t, err)
	for _, want := range []string{"b=2", "c=3", "a=lost", "d=4"} {
		select {
		case ev := <-resumed:
			require.Equal(t, want, string(ev.Payload))
		case <-ctx.Done():
			t.Fatalf("resumed event %s never arrived", want)
		}
	}

	// From a given block: the first Put's block.
	fromBlock, err := network.ChaincodeEvents(ctx, "asset", client.WithStartBlock(first.BlockNumber))
	require.NoError(t, err)
	ev := <-fromBlock
	require.Equal(t, "a=1", string(ev.Payload))
}

func TestDuplicateEnvelopeIsNotAppliedTwice(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	p, err := c.NewProposal("Increment", client.WithArguments("once"))
	require.NoError(t, err)
	tx, err := p.Endorse()
	require.NoError(t, err)
	commit, err := tx.Submit()
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	require.True(t, st.Successful)

	commit, err = tx.Submit()
	require.NoError(t, err, "the orderer accepts a resubmission; the committer rejects it")
	st2, err := commit.Status()
	require.NoError(t, err)
	require.Equal(t, st.BlockNumber, st2.BlockNumber, "commit status reports the first, valid occurrence")
	_, err = c.SubmitTransaction("Put", "barrier", "x") // wait for the duplicate's block
	require.NoError(t, err)
	got, err := c.EvaluateTransaction("Get", "once")
	require.NoError(t, err)
	require.Equal(t, "1", string(got))
}

func TestDuplicateTransactionIDIsRefused(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	gw, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	id, err := n.Identity("Org1MSP", devnet.UserName)
	require.NoError(t, err)

	p, raw, sig := signOffline(t, c, id, "Put", "dup", "1")

	signed, err := gw.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	tx, err := signed.Endorse()
	require.NoError(t, err)
	commit, err := tx.Submit()
	require.NoError(t, err)
	_, err = commit.Status()
	require.NoError(t, err)

	// The very same signed proposal again: its transaction id is on the ledger.
	replay, err := gw.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	_, err = replay.Endorse()
	var endorseErr *client.EndorseError
	require.ErrorAs(t, err, &endorseErr)
	require.Equal(t, codes.Aborted, status.Code(err))
	ds := details(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, "Org1MSP", ds[0].GetMspId())
	require.Contains(t, ds[0].GetMessage(), "duplicate transaction found ["+p.TransactionID()+"]")

	replay, err = gw.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	_, err = replay.Evaluate()
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.Contains(t, err.Error(), "duplicate transaction found")
}

func TestIdentityFromUnknownCAIsRefused(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	// Same MSP ID, but a CA the channel does not know.
	rogueOrg, err := pki.NewOrg("Org1MSP", "org1.example.com")
	require.NoError(t, err)
	rogue, err := rogueOrg.NewIdentity("mallory", pki.OUClient, nil)
	require.NoError(t, err)
	_, c := connectAs(t, n, rogue, "asset")

	_, err = c.EvaluateTransaction("Get", "k")
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	ds := details(t, err)
	require.Len(t, ds, 1)
	// What Fabric 3.1 answers for a certificate its MSP's CAs did not issue.
	require.Equal(t, "error validating proposal: access denied: channel [mychannel] creator org unknown, creator is malformed", ds[0].GetMessage())

	_, err = c.SubmitTransaction("Put", "k", "v")
	var endorseErr *client.EndorseError
	require.ErrorAs(t, err, &endorseErr)
	require.Equal(t, codes.Aborted, status.Code(err))
	require.Contains(t, details(t, err)[0].GetMessage(), "access denied")

	// An MSP ID the channel does not have at all.
	stranger, err := rogueOrg.NewIdentity("stranger", pki.OUClient, nil)
	require.NoError(t, err)
	_, c = connectAs(t, n, stranger.WithMSP("Org9MSP"), "asset")
	_, err = c.EvaluateTransaction("Get", "k")
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.Contains(t, details(t, err)[0].GetMessage(), "creator org unknown, creator is malformed")

	// Commit status and events are refused to non-members as well.
	gw, _ := connectAs(t, n, rogue, "asset")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := gw.GetNetwork(n.Channel()).ChaincodeEvents(ctx, "asset")
	require.NoError(t, err) // the stream opens; the refusal ends it
	_, open := <-events
	require.False(t, open)
}

func TestBadSignatureIsRefused(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	gw, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	other, err := n.Identity("Org1MSP", devnet.AdminName)
	require.NoError(t, err)
	_, raw, sig := signOffline(t, c, other, "Put", "k", "v") // signed by someone else than the creator
	signed, err := gw.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	_, err = signed.Evaluate()
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.Contains(t, err.Error(), "access denied: channel [mychannel] creator org [Org1MSP]")
}

func TestNonDeterministicChaincodeFailsEndorsement(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "random")
	_, err := c.SubmitTransaction("Roll")
	var endorseErr *client.EndorseError
	require.ErrorAs(t, err, &endorseErr)
	require.Equal(t, codes.Aborted, status.Code(err))
	require.Contains(t, err.Error(), "failed to collect enough transaction endorsements")
	ds := details(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, "Org2MSP", ds[0].GetMspId())
	require.Equal(t, "ProposalResponsePayloads do not match", ds[0].GetMessage())

	// Evaluating runs on one peer only, so it succeeds, as on Fabric.
	_, err = c.EvaluateTransaction("Roll")
	require.NoError(t, err)
}

func TestChaincodeErrorsCarryTheGatewayStatus(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")

	_, err := c.EvaluateTransaction("Fail", "NOT_FOUND: nothing here")
	require.Equal(t, codes.Unknown, status.Code(err))
	require.Contains(t, err.Error(), "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: nothing here")
	ds := details(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, "chaincode response 500, NOT_FOUND: nothing here", ds[0].GetMessage())
	require.Equal(t, "Org1MSP", ds[0].GetMspId())
	require.Equal(t, "peer0.org1.example.com:7051", ds[0].GetAddress())

	_, err = c.SubmitTransaction("Fail", "FORBIDDEN: no")
	var endorseErr *client.EndorseError
	require.ErrorAs(t, err, &endorseErr)
	require.Equal(t, codes.Aborted, status.Code(err))
	require.Contains(t, err.Error(), "failed to endorse transaction, see attached details for more info")
	require.Equal(t, "chaincode response 500, FORBIDDEN: no", details(t, err)[0].GetMessage())

	_, err = c.EvaluateTransaction("NoSuchFunction")
	require.Equal(t, codes.Unknown, status.Code(err))

	_, err = n.Identity("Org1MSP", "nobody")
	require.Error(t, err)
	_, c = connect(t, n, "Org1MSP", devnet.UserName, "nosuchchaincode")
	_, err = c.EvaluateTransaction("Get", "k")
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
}

func TestEndorsementPolicyIsCheckedAtCommit(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")

	// One organisation of two is not a majority.
	_, err := c.Submit("Put", client.WithArguments("k", "v"), client.WithEndorsingOrganizations("Org1MSP"))
	var commitErr *client.CommitError
	require.ErrorAs(t, err, &commitErr)
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, commitErr.Code)

	_, err = c.Submit("Put", client.WithArguments("k", "v"), client.WithEndorsingOrganizations("Org2MSP", "Org1MSP"))
	require.NoError(t, err)

	_, err = c.Submit("Put", client.WithArguments("k", "v"), client.WithEndorsingOrganizations("Org7MSP"))
	require.Equal(t, codes.Unavailable, status.Code(err))
}

func TestThreeOrgsNeedTwoEndorsements(t *testing.T) {
	n := startNetwork(t, devnet.Options{OrgCount: 3})
	require.Equal(t, []string{"Org1MSP", "Org2MSP", "Org3MSP"}, n.Orgs())
	_, c := connect(t, n, "Org3MSP", devnet.UserName, "asset")
	_, err := c.SubmitTransaction("Put", "k", "v")
	require.NoError(t, err)
	_, err = c.Submit("Put", client.WithArguments("k", "w"), client.WithEndorsingOrganizations("Org3MSP"))
	var commitErr *client.CommitError
	require.ErrorAs(t, err, &commitErr)
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, commitErr.Code)
	_, err = c.Submit("Put", client.WithArguments("k", "w"), client.WithEndorsingOrganizations("Org3MSP", "Org2MSP"))
	require.NoError(t, err)
}

func TestRestartWithDataDirKeepsStateAndIdentities(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, err := devnet.Start(ctx, devnet.Options{DataDir: dir, Chaincodes: testChaincodes(t)})
	require.NoError(t, err)
	alice, err := first.NewIdentity("Org2MSP", "alice", pki.OUClient, map[string]string{"role": "patient"})
	require.NoError(t, err)
	gw, err := first.Gateway(alice)
	require.NoError(t, err)
	c := gw.GetNetwork(first.Channel()).GetContract("asset")
	_, err = c.SubmitTransaction("Put", "kept", "yes")
	require.NoError(t, err)
	_, raw, sig := signOffline(t, c, alice, "Increment", "n")
	signed, err := gw.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	tx, err := signed.Endorse()
	require.NoError(t, err)
	commit, err := tx.Submit()
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	require.True(t, st.Successful)
	height := first.Height()
	require.NoError(t, gw.Close())
	require.NoError(t, first.Close())

	second := startNetwork(t, devnet.Options{DataDir: dir})
	require.Equal(t, height, second.Height())
	again, err := second.Identity("Org2MSP", "alice")
	require.NoError(t, err)
	require.True(t, again.Cert.Equal(alice.Cert), "the identity issued before the restart is reloaded")
	_, c2 := connectAs(t, second, alice, "asset")
	got, err := c2.EvaluateTransaction("Get", "kept")
	require.NoError(t, err)
	require.Equal(t, "yes", string(got))
	got, err = c2.SubmitTransaction("Increment", "n")
	require.NoError(t, err)
	require.Equal(t, "2", string(got))
	require.Equal(t, height+1, second.Height())

	// The transaction index survives too: the old transaction id is still a duplicate.
	gw2, _ := connectAs(t, second, alice, "asset")
	replay, err := gw2.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	_, err = replay.Endorse()
	require.Error(t, err)
	require.Contains(t, details(t, err)[0].GetMessage(), "duplicate transaction found")

	// A data directory made for other organisations is refused.
	_, err = devnet.Start(ctx, devnet.Options{DataDir: dir, OrgCount: 3, Chaincodes: testChaincodes(t)})
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "was created for orgs"), err.Error())
}

func TestWriteConnectionWritesLoadableIdentities(t *testing.T) {
	n := startNetwork(t, devnet.Options{Users: []string{"doctor1"}})
	dir := t.TempDir()
	cf, err := n.WriteConnection(dir)
	require.NoError(t, err)
	require.Equal(t, n.Endpoint(), cf.Endpoint)
	require.Equal(t, "peer0.org1.example.com", cf.ServerNameOverride)
	require.Equal(t, "mychannel", cf.Channel)
	require.Len(t, cf.Orgs, 2)
	path := cf.Orgs[1].Identities["doctor1"]
	require.NotEmpty(t, path)
	id, err := pki.LoadIdentity(path, cf.Orgs[1].MSPID)
	require.NoError(t, err)
	_, c := connectAs(t, n, id, "asset")
	_, err = c.SubmitTransaction("Put", "from", "file")
	require.NoError(t, err)
}

func TestStartRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]devnet.Options{
		"non-loopback address": {Address: "0.0.0.0:0"},
		"duplicate org":        {Orgs: []string{"Org1MSP", "Org1MSP"}},
		"too many endorsers":   {RequiredEndorsements: 3},
		"bad user name":        {Users: []string{"../x"}},
	} {
		t.Run(name, func(t *testing.T) {
			opts.Chaincodes = testChaincodes(t)
			_, err := devnet.Start(context.Background(), opts)
			require.Error(t, err)
		})
	}
}

func TestTornBlockFileTailIsCutOnRestart(t *testing.T) {
	dir := t.TempDir()
	first, err := devnet.Start(context.Background(), devnet.Options{DataDir: dir, Chaincodes: testChaincodes(t)})
	require.NoError(t, err)
	_, c := connect(t, first, "Org1MSP", devnet.UserName, "asset")
	_, err = c.SubmitTransaction("Put", "k", "v")
	require.NoError(t, err)
	height := first.Height()
	require.NoError(t, first.Close())

	// The process died in the middle of writing the next block: a length and half a record.
	f, err := os.OpenFile(filepath.Join(dir, "blocks.bin"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{0x80, 0x01, 0x0a, 0x02})
	require.NoError(t, err)
	require.NoError(t, f.Close())

	second, err := devnet.Start(context.Background(), devnet.Options{DataDir: dir, Chaincodes: testChaincodes(t)})
	require.NoError(t, err)
	require.Equal(t, height, second.Height())
	_, c = connect(t, second, "Org1MSP", devnet.UserName, "asset")
	got, err := c.EvaluateTransaction("Get", "k")
	require.NoError(t, err)
	require.Equal(t, "v", string(got))
	_, err = c.SubmitTransaction("Put", "k", "w")
	require.NoError(t, err)
	require.NoError(t, second.Close())

	third := startNetwork(t, devnet.Options{DataDir: dir})
	require.Equal(t, height+1, third.Height(), "the block written after the cut is whole")
}

func TestCommitStatusOfUnknownTransactionHonoursTheDeadline(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	gw, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	// A proposal that is endorsed but never submitted never commits.
	p, err := c.NewProposal("Put", client.WithArguments("k", "v"))
	require.NoError(t, err)
	tx, err := p.Endorse()
	require.NoError(t, err)
	id, err := n.Identity("Org1MSP", devnet.UserName)
	require.NoError(t, err)
	creator, err := id.Serialize()
	require.NoError(t, err)
	req, err := proto.Marshal(&gateway.CommitStatusRequest{ChannelId: n.Channel(), TransactionId: tx.TransactionID(), Identity: creator})
	require.NoError(t, err)
	signed, err := proto.Marshal(&gateway.SignedCommitStatusRequest{Request: req})
	require.NoError(t, err)
	commit, err := gw.NewCommit(signed)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = commit.StatusWithContext(ctx)
	require.Equal(t, codes.DeadlineExceeded, status.Code(err))
}

func TestCloseEndsOpenEventStreams(t *testing.T) {
	n, err := devnet.Start(context.Background(), devnet.Options{Chaincodes: testChaincodes(t)})
	require.NoError(t, err)
	gw, _ := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	events, err := gw.GetNetwork(n.Channel()).ChaincodeEvents(context.Background(), "asset")
	require.NoError(t, err)
	require.NoError(t, n.Close())
	_, open := <-events
	require.False(t, open, "the stream ends when the network closes")
	require.NoError(t, n.Close(), "Close is idempotent")
}

func TestTransactionIDMustMatchNonceAndCreator(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	gw, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	p, err := c.NewProposal("Get", client.WithArguments("k"))
	require.NoError(t, err)
	raw, err := p.Bytes()
	require.NoError(t, err)

	// Rewrite the channel header's transaction id; the client then signs the forged proposal.
	pt := &gateway.ProposedTransaction{}
	require.NoError(t, proto.Unmarshal(raw, pt))
	prop := &peer.Proposal{}
	require.NoError(t, proto.Unmarshal(pt.GetProposal().GetProposalBytes(), prop))
	hdr := &common.Header{}
	require.NoError(t, proto.Unmarshal(prop.GetHeader(), hdr))
	chdr := &common.ChannelHeader{}
	require.NoError(t, proto.Unmarshal(hdr.GetChannelHeader(), chdr))
	chdr.TxId = strings.Repeat("0", 64)
	hdr.ChannelHeader, err = proto.Marshal(chdr)
	require.NoError(t, err)
	prop.Header, err = proto.Marshal(hdr)
	require.NoError(t, err)
	pt.TransactionId = chdr.TxId
	pt.Proposal = &peer.SignedProposal{}
	pt.Proposal.ProposalBytes, err = proto.Marshal(prop)
	require.NoError(t, err)
	forged, err := proto.Marshal(pt)
	require.NoError(t, err)

	fp, err := gw.NewProposal(forged)
	require.NoError(t, err)
	_, err = fp.Evaluate()
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.Contains(t, err.Error(), "incorrectly computed txid '"+chdr.TxId+"' -- expected '"+p.TransactionID()+"'")
}

func TestIdentityAttributesReachTheChaincode(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	doctor, err := n.NewIdentity("Org2MSP", "doctor7", pki.OUClient, map[string]string{"medledger.role": "doctor"})
	require.NoError(t, err)
	_, c := connectAs(t, n, doctor, "asset")
	got, err := c.EvaluateTransaction("Caller", "medledger.role")
	require.NoError(t, err)
	require.Equal(t, "Org2MSP doctor", string(got))
	got, err = c.EvaluateTransaction("Caller", "absent")
	require.NoError(t, err)
	require.Equal(t, "Org2MSP ", string(got))
}

func TestBlockEventsDeliverCommittedBlocks(t *testing.T) {
	n := startNetwork(t, devnet.Options{})
	gw, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	network := gw.GetNetwork(n.Channel())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, commit, err := c.SubmitAsync("Put", client.WithArguments("k", "v"))
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	_, err = c.Submit("Put", client.WithArguments("k", "lost"), client.WithEndorsingOrganizations("Org1MSP"))
	require.Error(t, err) // ENDORSEMENT_POLICY_FAILURE, still in a block

	blocks, err := network.BlockEvents(ctx, client.WithStartBlock(0))
	require.NoError(t, err)
	genesis := <-blocks
	require.EqualValues(t, 0, genesis.GetHeader().GetNumber())
	first := <-blocks
	require.Equal(t, st.BlockNumber, first.GetHeader().GetNumber())
	require.Equal(t, []byte{byte(peer.TxValidationCode_VALID)}, first.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER])
	second := <-blocks
	require.Equal(t, []byte{byte(peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE)}, second.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER])

	filtered, err := network.FilteredBlockEvents(ctx, client.WithStartBlock(st.BlockNumber))
	require.NoError(t, err)
	fb := <-filtered
	require.Len(t, fb.GetFilteredTransactions(), 1)
	ft := fb.GetFilteredTransactions()[0]
	require.Equal(t, commit.TransactionID(), ft.GetTxid())
	require.Equal(t, peer.TxValidationCode_VALID, ft.GetTxValidationCode())
	ev := ft.GetTransactionActions().GetChaincodeActions()[0].GetChaincodeEvent()
	require.Equal(t, "put", ev.GetEventName())
	require.Empty(t, ev.GetPayload(), "filtered blocks carry no event payload")
	fb = <-filtered
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, fb.GetFilteredTransactions()[0].GetTxValidationCode())

	// From the next commit on (the default), a new block arrives once committed.
	live, err := network.BlockEvents(ctx)
	require.NoError(t, err)
	_, commit, err = c.SubmitAsync("Put", client.WithArguments("k", "w"))
	require.NoError(t, err)
	st, err = commit.Status()
	require.NoError(t, err)
	require.Equal(t, st.BlockNumber, (<-live).GetHeader().GetNumber())

	// Non-members get no blocks.
	rogueOrg, err := pki.NewOrg("Org1MSP", "org1.example.com")
	require.NoError(t, err)
	rogue, err := rogueOrg.NewIdentity("mallory", pki.OUClient, nil)
	require.NoError(t, err)
	rogueGW, _ := connectAs(t, n, rogue, "asset")
	refused, err := rogueGW.GetNetwork(n.Channel()).BlockEvents(ctx, client.WithStartBlock(0))
	require.NoError(t, err)
	_, open := <-refused
	require.False(t, open)
}

func TestInsecureNetworkServesPlainGRPC(t *testing.T) {
	n := startNetwork(t, devnet.Options{Insecure: true})
	require.Nil(t, n.TLSCACertPEM())
	_, c := connect(t, n, "Org1MSP", devnet.UserName, "asset")
	_, err := c.SubmitTransaction("Put", "k", "v")
	require.NoError(t, err)
	cf, err := n.WriteConnection(t.TempDir())
	require.NoError(t, err)
	require.Empty(t, cf.TLSCACert, "no TLS CA: clients dial without TLS")
}
