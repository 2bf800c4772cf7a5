// Command assetcc serves devnet's assetcc test chaincode as a service on a real Fabric network
// (network/fabric/deploy.sh asset ./network/devnet/internal/testcc/assetcc), so devnet's
// behaviour can be compared with a peer's.
package main

import (
	"log"

	"github.com/medledger/medledger/network/devnet/internal/testcc"
)

func main() {
	if err := testcc.Serve(testcc.NewAsset); err != nil {
		log.Fatalf("assetcc: %v", err)
	}
}
