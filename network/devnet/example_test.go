package devnet_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/medledger/medledger/network/devnet"
	"github.com/medledger/medledger/network/devnet/internal/testcc"
)

// Start a network in process, connect the fabric-gateway client as a user of the second
// organisation, submit and evaluate.
func ExampleStart() {
	asset, err := testcc.NewAsset()
	if err != nil {
		log.Fatal(err)
	}
	// Leave Chaincodes empty to run the MedLedger chaincode as "medledger".
	net, err := devnet.Start(context.Background(), devnet.Options{Chaincodes: map[string]shim.Chaincode{"asset": asset}})
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()

	user, err := net.Identity("Org2MSP", devnet.UserName)
	if err != nil {
		log.Fatal(err)
	}
	gw, err := net.Gateway(user)
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()
	contract := gw.GetNetwork(net.Channel()).GetContract("asset")

	if _, err := contract.Submit("Put", client.WithArguments("greeting", "hello")); err != nil {
		log.Fatal(err)
	}
	value, err := contract.EvaluateTransaction("Get", "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(value), net.Height())
	// Output: hello 2
}
