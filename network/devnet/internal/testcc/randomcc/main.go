// Command randomcc serves devnet's randomcc test chaincode as a service on a real Fabric network
// (network/fabric/deploy.sh random ./network/devnet/internal/testcc/randomcc), so devnet's
// behaviour can be compared with a peer's.
package main

import (
	"log"

	"github.com/medledger/medledger/network/devnet/internal/testcc"
)

func main() {
	if err := testcc.Serve(testcc.NewRandom); err != nil {
		log.Fatalf("randomcc: %v", err)
	}
}
