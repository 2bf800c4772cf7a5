// Command assetcc serves devnet's assetcc test chaincode as a service on a real Fabric network
// (network/fabric/deploy.sh asset ./network/devnet/internal/testcc/assetcc), so devnet's
// behaviour can be compared with a peer's.
package main

import (
	"log"
	"os"

	"github.com/medledger/medledger/network/devnet/internal/testcc"
)

func main() {
	// The contract API reads CORE_CHAINCODE_ID_NAME; deploy.sh sets CHAINCODE_ID.
	if os.Getenv("CORE_CHAINCODE_ID_NAME") == "" && os.Getenv("CHAINCODE_ID") != "" {
		if err := os.Setenv("CORE_CHAINCODE_ID_NAME", os.Getenv("CHAINCODE_ID")); err != nil {
			log.Fatalf("assetcc: %v", err)
		}
	}
	cc, err := testcc.NewAsset()
	if err != nil {
		log.Fatalf("assetcc: %v", err)
	}
	if err := cc.Start(); err != nil {
		log.Fatalf("assetcc: %v", err)
	}
}
