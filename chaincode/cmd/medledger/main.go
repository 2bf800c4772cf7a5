// Command medledger runs the MedLedger chaincode.
//
// As chaincode-as-a-service, when CHAINCODE_SERVER_ADDRESS and the package id
// (CHAINCODE_ID, or CORE_CHAINCODE_ID_NAME, the name the contract library
// reads) are set: it listens on that address for the peer. TLS is on only
// when CHAINCODE_TLS_KEY_FILE and CHAINCODE_TLS_CERT_FILE are given
// (CHAINCODE_TLS_CLIENT_CA_FILE, optional, makes it verify the peer's client
// certificate); an inherited CORE_PEER_TLS_ENABLED never switches it on.
//
// Otherwise it runs in the classic peer-launched mode (shim.Start), where the
// peer sets CORE_CHAINCODE_ID_NAME and its own TLS variables.
package main

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/medledger/medledger/chaincode/contract"
)

// The environment variables of the chaincode-as-a-service mode.
const (
	envServerAddress = "CHAINCODE_SERVER_ADDRESS"
	envChaincodeID   = "CHAINCODE_ID"
	envCoreID        = "CORE_CHAINCODE_ID_NAME"
	envTLSKey        = "CHAINCODE_TLS_KEY_FILE"
	envTLSCert       = "CHAINCODE_TLS_CERT_FILE"
	envTLSClientCA   = "CHAINCODE_TLS_CLIENT_CA_FILE"
)

func main() {
	if err := run(os.Getenv, os.ReadFile); err != nil {
		log.Fatalf("medledger: %v", err)
	}
}

// run builds the chaincode and serves it in the mode the environment selects,
// until the connection to the peer ends.
func run(getenv func(string) string, readFile func(string) ([]byte, error)) error {
	cc, err := contract.New()
	if err != nil {
		return fmt.Errorf("build chaincode: %w", err)
	}
	server, err := serverFromEnv(getenv, readFile, cc)
	if err != nil {
		return err
	}
	if server == nil {
		log.Printf("medledger: starting in peer-launched mode")
		return shim.Start(cc)
	}
	log.Printf("medledger: serving chaincode %s on %s (TLS %v, client certificates verified %v)",
		server.CCID, server.Address, !server.TLSProps.Disabled, server.TLSProps.ClientCACerts != nil)
	return server.Start()
}

// serverFromEnv builds the chaincode-as-a-service server from the environment,
// or returns nil when the process should run peer-launched.
func serverFromEnv(getenv func(string) string, readFile func(string) ([]byte, error), cc shim.Chaincode) (*shim.ChaincodeServer, error) {
	address := getenv(envServerAddress)
	ccid := getenv(envChaincodeID)
	if ccid == "" {
		ccid = getenv(envCoreID)
	}
	if address == "" || ccid == "" {
		if address != "" {
			return nil, fmt.Errorf("%s is set but neither %s nor %s names the chaincode package id", envServerAddress, envChaincodeID, envCoreID)
		}
		return nil, nil
	}
	server := &shim.ChaincodeServer{CCID: ccid, Address: address, CC: cc, TLSProps: shim.TLSProperties{Disabled: true}}
	keyFile, certFile, caFile := getenv(envTLSKey), getenv(envTLSCert), getenv(envTLSClientCA)
	if keyFile == "" && certFile == "" {
		if caFile != "" {
			return nil, fmt.Errorf("%s is set without %s and %s", envTLSClientCA, envTLSKey, envTLSCert)
		}
		return server, nil
	}
	if keyFile == "" || certFile == "" {
		return nil, errors.New("TLS needs both " + envTLSKey + " and " + envTLSCert)
	}
	var err error
	server.TLSProps.Disabled = false
	if server.TLSProps.Key, err = readFile(keyFile); err != nil {
		return nil, fmt.Errorf("read %s: %w", envTLSKey, err)
	}
	if server.TLSProps.Cert, err = readFile(certFile); err != nil {
		return nil, fmt.Errorf("read %s: %w", envTLSCert, err)
	}
	if caFile != "" {
		if server.TLSProps.ClientCACerts, err = readFile(caFile); err != nil {
			return nil, fmt.Errorf("read %s: %w", envTLSClientCA, err)
		}
	}
	return server, nil
}
