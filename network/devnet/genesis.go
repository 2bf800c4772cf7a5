package devnet

import (
	"crypto/rand"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// genesisBlock is block 0 of the channel: a CONFIG transaction whose Application group holds each
// organisation's MSP definition (root CA, TLS root CA, NodeOUs enabled), so that block numbers,
// heights and "from the next block" positions line up with a real channel, where transactions
// start at block 1.
func (n *Network) genesisBlock() (*common.Block, error) {
	orgs := map[string]*common.ConfigGroup{}
	for _, o := range n.orgs {
		ca := o.pki.CA.CertificatePEM()
		ous := func(ou string) *msp.FabricOUIdentifier {
			return &msp.FabricOUIdentifier{Certificate: ca, OrganizationalUnitIdentifier: ou}
		}
		fmsp, err := proto.Marshal(&msp.FabricMSPConfig{
			Name:         o.mspID,
			RootCerts:    [][]byte{ca},
			TlsRootCerts: [][]byte{o.pki.TLSCA.CertificatePEM()},
			CryptoConfig: &msp.FabricCryptoConfig{SignatureHashFamily: "SHA2", IdentityIdentifierHashFunction: "SHA256"},
			FabricNodeOus: &msp.FabricNodeOUs{
				Enable:              true,
				ClientOuIdentifier:  ous("client"),
				PeerOuIdentifier:    ous("peer"),
				AdminOuIdentifier:   ous("admin"),
				OrdererOuIdentifier: ous("orderer"),
			},
		})
		if err != nil {
			return nil, err
		}
		value, err := proto.Marshal(&msp.MSPConfig{Type: 0, Config: fmsp})
		if err != nil {
			return nil, err
		}
		orgs[o.mspID] = &common.ConfigGroup{
			Values:    map[string]*common.ConfigValue{"MSP": {Value: value, ModPolicy: "Admins"}},
			ModPolicy: "Admins",
		}
	}
	config := &common.ConfigEnvelope{Config: &common.Config{
		Sequence: 0,
		ChannelGroup: &common.ConfigGroup{
			Groups:    map[string]*common.ConfigGroup{"Application": {Groups: orgs, ModPolicy: "Admins"}},
			ModPolicy: "Admins",
		},
	}}
	configBytes, err := deterministic.Marshal(config)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	creator, err := n.orgs[0].peer.Serialize()
	if err != nil {
		return nil, err
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:      int32(common.HeaderType_CONFIG),
		ChannelId: n.opts.Channel,
		TxId:      computeTxID(nonce, creator),
		Timestamp: timestamppb.New(time.Now()),
	})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: configBytes})
	if err != nil {
		return nil, err
	}
	sig, err := signMessage(n.orgs[0].peer.Key, payload)
	if err != nil {
		return nil, err
	}
	env, err := proto.Marshal(&common.Envelope{Payload: payload, Signature: sig})
	if err != nil {
		return nil, err
	}
	return n.newBlock(0, [][]byte{env}, []peer.TxValidationCode{peer.TxValidationCode_VALID}), nil
}
