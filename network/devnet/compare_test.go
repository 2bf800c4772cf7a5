package devnet_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/medledger/medledger/chaincode/contract"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/devnet"
	"github.com/medledger/medledger/network/pki"
)

// compareEnv names a connection file (network/fabric's work/connection.json) of a real Fabric
// network with MedLedger freshly deployed. TestCompareWithRealFabric then plays the same
// scenarios against it and against an embedded network and requires identical outcomes.
const compareEnv = "DEVNET_COMPARE_CONNECTION"

// medledgerName is the name of a fresh MedLedger deployment there: $DEVNET_COMPARE_MEDLEDGER, or
// "medledger". Each comparison bootstraps it, so a second run needs another deployment
// (network/fabric/deploy.sh NAME ./chaincode/cmd/medledger).
func medledgerName() string {
	if name := os.Getenv("DEVNET_COMPARE_MEDLEDGER"); name != "" {
		return name
	}
	return devnet.DefaultChaincode
}

// target is one network under comparison, reached only through a connection file.
type target struct {
	medledger string // name MedLedger is deployed under, fresh (not bootstrapped)
	conn      *grpc.ClientConn
	channel   string
	orgs      []string
	ids       map[string]*pki.Identity // "<msp>/<name>"
}

func openTarget(t *testing.T, path string) *target {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var cf struct {
		Endpoint           string `json:"endpoint"`
		TLSCACert          string `json:"tlsCACert"`
		ServerNameOverride string `json:"serverNameOverride"`
		Channel            string `json:"channel"`
		Orgs               []struct {
			MSPID      string            `json:"mspId"`
			Identities map[string]string `json:"identities"`
		} `json:"orgs"`
	}
	require.NoError(t, json.Unmarshal(raw, &cf))
	tg := &target{medledger: medledgerName(), channel: cf.Channel, ids: map[string]*pki.Identity{}}
	for _, o := range cf.Orgs {
		tg.orgs = append(tg.orgs, o.MSPID)
		for name, dir := range o.Identities {
			id, err := pki.LoadIdentity(dir, o.MSPID)
			require.NoError(t, err)
			tg.ids[o.MSPID+"/"+name] = id
		}
	}
	ca, err := os.ReadFile(cf.TLSCACert)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	tg.conn, err = grpc.NewClient(cf.Endpoint, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: cf.ServerNameOverride})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = tg.conn.Close() })
	return tg
}

func (tg *target) gateway(t *testing.T, id *pki.Identity) *client.Gateway {
	t.Helper()
	x, err := identity.NewX509Identity(id.MSPID, id.Cert)
	require.NoError(t, err)
	gw, err := client.Connect(x, client.WithSign(id.SignDigest), client.WithClientConnection(tg.conn),
		client.WithCommitStatusTimeout(time.Minute), client.WithEndorseTimeout(time.Minute), client.WithEvaluateTimeout(time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	return gw
}

var (
	hexBlob  = regexp.MustCompile(`[0-9a-f]{64,}`)
	certCN   = regexp.MustCompile(`CN=[^,]+`)
	peerAddr = regexp.MustCompile(`Address: [^\s]+`)
)

// outcome renders an error as what a client can observe of it: gRPC code, message and each
// ErrorDetail's MSP ID and message, with transaction ids, creators and peer addresses masked.
func outcome(err error) string {
	if err == nil {
		return "OK"
	}
	var ce *client.CommitError
	if asCommit(err, &ce) {
		return "commit " + ce.Code.String()
	}
	st, ok := status.FromError(err)
	if !ok {
		return "error " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", st.Code(), st.Message())
	for _, d := range st.Details() {
		if ed, ok := d.(interface {
			GetMspId() string
			GetMessage() string
		}); ok {
			fmt.Fprintf(&b, " [%s: %q]", ed.GetMspId(), ed.GetMessage())
		}
	}
	s := hexBlob.ReplaceAllString(b.String(), "<hex>")
	s = certCN.ReplaceAllString(s, "CN=<name>") // cryptogen's User1@org2... vs devnet's user1@org2...
	return peerAddr.ReplaceAllString(s, "Address: <peer>")
}

func asCommit(err error, ce **client.CommitError) bool {
	for e := err; e != nil; {
		if c, ok := e.(*client.CommitError); ok {
			*ce = c
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// playScenarios runs every comparable scenario on a fresh MedLedger deployment and returns the
// outcome of each, by name.
func playScenarios(t *testing.T, tg *target) map[string]string {
	t.Helper()
	out := map[string]string{}
	org1, org2 := tg.orgs[0], tg.orgs[1]
	admin := tg.gateway(t, tg.ids[org1+"/admin"])
	adminC := admin.GetNetwork(tg.channel).GetContract(tg.medledger)
	user2 := tg.gateway(t, tg.ids[org2+"/user1"])
	user2C := user2.GetNetwork(tg.channel).GetContract(tg.medledger)

	// Chaincode errors.
	_, err := user2C.EvaluateTransaction("GetUser", "nobody")
	out["evaluate chaincode error"] = outcome(err)
	_, err = user2C.SubmitTransaction("RemoveUser", "nobody")
	out["submit chaincode error"] = outcome(err)
	_, err = user2C.EvaluateTransaction("NoSuchTransaction")
	out["evaluate unknown function"] = outcome(err)

	// Two concurrent Bootstraps: both read the unbootstrapped config.
	arg := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	p1, err := adminC.NewProposal("Bootstrap", client.WithArguments(arg(model.BootstrapInput{AdminID: "sa1"})))
	require.NoError(t, err)
	p2, err := adminC.NewProposal("Bootstrap", client.WithArguments(arg(model.BootstrapInput{AdminID: "sa2"})))
	require.NoError(t, err)
	tx1, err := p1.Endorse()
	require.NoError(t, err)
	tx2, err := p2.Endorse()
	require.NoError(t, err)
	c1, err := tx1.Submit()
	require.NoError(t, err)
	s1, err := c1.Status()
	require.NoError(t, err)
	c2, err := tx2.Submit()
	require.NoError(t, err)
	s2, err := c2.Status()
	require.NoError(t, err)
	out["concurrent update: first"] = s1.Code.String()
	out["concurrent update: second"] = s2.Code.String()

	// Chaincode events, resumed after a transaction.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var firstEvent *client.ChaincodeEvent
	for i, id := range []string{"hospa", "hospb"} {
		_, commit, err := adminC.SubmitAsync("CreateOrganization", client.WithArguments(arg(model.CreateOrganizationInput{ID: id, Name: "Hospital " + id, MSPID: org1})))
		require.NoError(t, err)
		st, err := commit.Status()
		require.NoError(t, err)
		if i == 0 {
			events, err := admin.GetNetwork(tg.channel).ChaincodeEvents(ctx, tg.medledger, client.WithStartBlock(st.BlockNumber))
			require.NoError(t, err)
			firstEvent = <-events
		}
	}
	cp := new(client.InMemoryCheckpointer)
	cp.CheckpointChaincodeEvent(firstEvent)
	resumed, err := admin.GetNetwork(tg.channel).ChaincodeEvents(ctx, tg.medledger, client.WithCheckpoint(cp))
	require.NoError(t, err)
	next := <-resumed
	out["events resumed after tx"] = fmt.Sprintf("%s %v", next.EventName, strings.Contains(string(next.Payload), "hospb"))

	// Endorsement by one organisation only, against AND(Org1.peer, Org2.peer) / MAJORITY.
	_, err = adminC.Submit("CreateOrganization", client.WithArguments(arg(model.CreateOrganizationInput{ID: "hospc", Name: "Hospital C", MSPID: org1})), client.WithEndorsingOrganizations(org1))
	out["one endorsing org"] = outcome(err)
	_, err = adminC.Submit("CreateOrganization", client.WithArguments(arg(model.CreateOrganizationInput{ID: "hospd", Name: "Hospital D", MSPID: org1})), client.WithEndorsingOrganizations("Org7MSP"))
	out["unknown endorsing org"] = outcome(err)

	// Duplicate transaction id.
	_, raw, sig := signOffline(t, adminC, tg.ids[org1+"/admin"], "CreateOrganization", arg(model.CreateOrganizationInput{ID: "hospe", Name: "Hospital E", MSPID: org1}))
	signed, err := admin.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	tx, err := signed.Endorse()
	require.NoError(t, err)
	commit, err := tx.Submit()
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	again, err := admin.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	_, err = again.Endorse()
	out["duplicate tx id: endorse"] = outcome(err)
	again, err = admin.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	_, err = again.Evaluate()
	out["duplicate tx id: evaluate"] = outcome(err)
	commit, err = tx.Submit()
	out["duplicate envelope: submit"] = outcome(err)
	if err == nil {
		st2, err := commit.Status()
		out["duplicate envelope: status"] = fmt.Sprintf("%s same-block=%v err=%v", st2.Code, st2.BlockNumber == st.BlockNumber, err)
	}

	// Identities the channel does not trust.
	rogueOrg, err := pki.NewOrg(org1, "rogue.example.com")
	require.NoError(t, err)
	rogue, err := rogueOrg.NewIdentity("mallory", pki.OUClient, nil)
	require.NoError(t, err)
	rogueGW := tg.gateway(t, rogue)
	rogueC := rogueGW.GetNetwork(tg.channel).GetContract(tg.medledger)
	_, err = rogueC.EvaluateTransaction("WhoAmI")
	out["unknown CA: evaluate"] = outcome(err)
	_, err = rogueC.SubmitTransaction("WhoAmI")
	out["unknown CA: endorse"] = outcome(err)
	stranger := tg.gateway(t, rogue.WithMSP("Org9MSP"))
	_, err = stranger.GetNetwork(tg.channel).GetContract(tg.medledger).EvaluateTransaction("WhoAmI")
	out["unknown MSP: evaluate"] = outcome(err)
	rogueCreator, err := rogue.Serialize()
	require.NoError(t, err)
	request, err := proto.Marshal(&gateway.CommitStatusRequest{ChannelId: tg.channel, TransactionId: commit.TransactionID(), Identity: rogueCreator})
	require.NoError(t, err)
	signedRequest, err := proto.Marshal(&gateway.SignedCommitStatusRequest{Request: request})
	require.NoError(t, err)
	rc, err := rogueGW.NewCommit(signedRequest)
	require.NoError(t, err)
	_, err = rc.Status()
	out["unknown CA: commit status"] = outcome(err)

	// A transaction envelope signed by someone else than its creator.
	p, err := adminC.NewProposal("CreateOrganization", client.WithArguments(arg(model.CreateOrganizationInput{ID: "hospf", Name: "Hospital F", MSPID: org1})))
	require.NoError(t, err)
	tx, err = p.Endorse()
	require.NoError(t, err)
	raw, err = tx.Bytes()
	require.NoError(t, err)
	sig, err = tg.ids[org2+"/admin"].SignDigest(tx.Digest())
	require.NoError(t, err)
	forged, err := admin.NewSignedTransaction(raw, sig)
	require.NoError(t, err)
	_, err = forged.Submit()
	out["bad envelope signature: submit"] = outcome(err)

	// Commit status on a channel that does not exist.
	user2Creator, err := tg.ids[org2+"/user1"].Serialize()
	require.NoError(t, err)
	request, err = proto.Marshal(&gateway.CommitStatusRequest{ChannelId: "nosuchchannel", TransactionId: commit.TransactionID(), Identity: user2Creator})
	require.NoError(t, err)
	signedRequest, err = proto.Marshal(&gateway.SignedCommitStatusRequest{Request: request})
	require.NoError(t, err)
	uc, err := user2.NewCommit(signedRequest)
	require.NoError(t, err)
	_, err = uc.Status()
	out["unknown channel: commit status"] = outcome(err)

	// Signature by someone else than the creator.
	_, raw, sig = signOffline(t, user2C, tg.ids[org2+"/admin"], "WhoAmI")
	signed, err = user2.NewSignedProposal(raw, sig)
	require.NoError(t, err)
	_, err = signed.Evaluate()
	out["bad signature: evaluate"] = outcome(err)

	// Unknown chaincode and channel.
	_, err = user2.GetNetwork(tg.channel).GetContract("nosuchcc").EvaluateTransaction("WhoAmI")
	out["unknown chaincode: evaluate"] = outcome(err)
	_, err = user2.GetNetwork(tg.channel).GetContract("nosuchcc").SubmitTransaction("WhoAmI")
	out["unknown chaincode: submit"] = outcome(err)
	_, err = user2.GetNetwork("nosuchchannel").GetContract(tg.medledger).EvaluateTransaction("WhoAmI")
	out["unknown channel: evaluate"] = outcome(err)

	playAssetScenarios(t, tg, out)
	return out
}

// playAssetScenarios runs the scenarios of the test chaincodes (internal/testcc, deployed as
// "asset" and "random").
func playAssetScenarios(t *testing.T, tg *target, out map[string]string) {
	org1, org2 := tg.orgs[0], tg.orgs[1]
	gw1 := tg.gateway(t, tg.ids[org1+"/user1"])
	gw2 := tg.gateway(t, tg.ids[org2+"/user1"])
	a1 := gw1.GetNetwork(tg.channel).GetContract("asset")
	a2 := gw2.GetNetwork(tg.channel).GetContract("asset")
	// The asset chaincode there keeps the state of earlier runs: keys carry this run's id.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	_, err := a1.EvaluateTransaction("Get", "missing")
	out["asset: evaluate error"] = outcome(err)
	_, err = a2.SubmitTransaction("Fail", "FORBIDDEN: no")
	out["asset: submit error"] = outcome(err)

	// Two increments endorsed on the same version.
	p1, err := a1.NewProposal("Increment", client.WithArguments("counter"+run))
	require.NoError(t, err)
	p2, err := a2.NewProposal("Increment", client.WithArguments("counter"+run))
	require.NoError(t, err)
	tx1, err := p1.Endorse()
	require.NoError(t, err)
	tx2, err := p2.Endorse()
	require.NoError(t, err)
	c1, err := tx1.Submit()
	require.NoError(t, err)
	c2, err := tx2.Submit()
	require.NoError(t, err)
	s1, err := c1.Status()
	require.NoError(t, err)
	s2, err := c2.Status()
	require.NoError(t, err)
	out["asset: concurrent increments"] = s1.Code.String() + " " + s2.Code.String()
	_, err = a1.Submit("Increment", client.WithArguments("counter"+run))
	out["asset: increment after conflict"] = outcome(err)

	// Phantom reads: a key appears in the range, then a value in it changes.
	for _, k := range []string{"item" + run + ":1", "item" + run + ":3"} {
		_, err := a1.SubmitTransaction("Put", k, "x")
		require.NoError(t, err)
	}
	for _, change := range [][2]string{{"item" + run + ":2", "x"}, {"item" + run + ":1", "y"}} {
		p, err := a1.NewProposal("CountRange", client.WithArguments("item"+run+":", "item"+run+";"))
		require.NoError(t, err)
		tx, err := p.Endorse()
		require.NoError(t, err)
		_, err = a2.SubmitTransaction("Put", change[0], change[1])
		require.NoError(t, err)
		commit, err := tx.Submit()
		require.NoError(t, err)
		st, err := commit.Status()
		require.NoError(t, err)
		out["asset: range read then "+strings.TrimPrefix(change[0], "item"+run)+"="+change[1]] = string(tx.Result()) + " " + st.Code.String()
	}

	// Events: an invalid transaction's event is not delivered.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, commit, err := a1.SubmitAsync("Put", client.WithArguments("ev"+run, "1"))
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	_, err = a1.Submit("Put", client.WithArguments("ev"+run, "invalid"), client.WithEndorsingOrganizations(org1))
	out["asset: one endorsing org"] = outcome(err)
	_, err = a1.SubmitTransaction("Put", "ev"+run, "3")
	require.NoError(t, err)
	events, err := gw1.GetNetwork(tg.channel).ChaincodeEvents(ctx, "asset", client.WithStartBlock(st.BlockNumber))
	require.NoError(t, err)
	var seen []string
	for len(seen) < 2 {
		ev := <-events
		seen = append(seen, strings.TrimPrefix(string(ev.Payload), "ev"+run))
	}
	out["asset: events from block"] = strings.Join(seen, ",")

	// The same three blocks through Deliver, filtered and whole.
	filtered, err := gw1.GetNetwork(tg.channel).FilteredBlockEvents(ctx, client.WithStartBlock(st.BlockNumber))
	require.NoError(t, err)
	var fdesc []string
	for i := 0; i < 3; i++ {
		fb := <-filtered
		for _, ft := range fb.GetFilteredTransactions() {
			d := ft.GetType().String() + " " + ft.GetTxValidationCode().String()
			for _, a := range ft.GetTransactionActions().GetChaincodeActions() {
				ev := a.GetChaincodeEvent()
				d += fmt.Sprintf(" %s/%s payload=%d txid=%v", ev.GetChaincodeId(), ev.GetEventName(), len(ev.GetPayload()), ev.GetTxId() == ft.GetTxid())
			}
			fdesc = append(fdesc, d)
		}
	}
	out["asset: filtered blocks"] = strings.Join(fdesc, "; ")
	blocks, err := gw1.GetNetwork(tg.channel).BlockEvents(ctx, client.WithStartBlock(st.BlockNumber))
	require.NoError(t, err)
	var bdesc []string
	for i := 0; i < 3; i++ {
		b := <-blocks
		md := b.GetMetadata().GetMetadata()
		bdesc = append(bdesc, fmt.Sprintf("txs=%d metadata=%d filter=%v", len(b.GetData().GetData()), len(md), md[2]))
	}
	out["asset: blocks"] = strings.Join(bdesc, "; ")

	// A non-deterministic chaincode.
	r := gw1.GetNetwork(tg.channel).GetContract("random")
	_, err = r.SubmitTransaction("Roll")
	out["random: submit"] = outcome(err)
	_, err = r.EvaluateTransaction("Roll")
	out["random: evaluate"] = outcome(err)
}

func TestCompareWithRealFabric(t *testing.T) {
	path := os.Getenv(compareEnv)
	if path == "" {
		t.Skipf("set %s to a real network's connection file (network/fabric) to compare", compareEnv)
	}
	real := playScenarios(t, openTarget(t, path))

	ccs := testChaincodes(t)
	medledger, err := contract.New()
	require.NoError(t, err)
	ccs[medledgerName()] = medledger
	n, err := devnet.Start(context.Background(), devnet.Options{Chaincodes: ccs}) // as deployed there
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	dir := t.TempDir()
	_, err = n.WriteConnection(dir)
	require.NoError(t, err)
	dev := playScenarios(t, openTarget(t, dir+"/"+devnet.ConnectionFileName))

	same := true
	for name, want := range real {
		if dev[name] != want {
			same = false
			t.Errorf("%s:\n  fabric: %s\n  devnet: %s", name, want, dev[name])
		} else {
			t.Logf("%s: %s", name, want)
		}
	}
	require.True(t, same)
}
