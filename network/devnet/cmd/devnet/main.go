// Command devnet runs MedLedger's embedded development network until interrupted: a Fabric
// Gateway peer on 127.0.0.1 with the MedLedger chaincode, for examples, the SDK and any other
// Fabric client in other processes.
//
// It writes each organisation's identities as MSP folders and a connection file
// (<out>/connection.json: endpoint, TLS CA certificate path, server name, channel, chaincode,
// and every identity's MSP folder by organisation), then serves until SIGINT or SIGTERM.
//
//	go run ./network/devnet/cmd/devnet -out .devnet            # in memory
//	go run ./network/devnet/cmd/devnet -out .devnet -data .devnet/data   # keeps state across restarts
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/medledger/medledger/network/devnet"
)

func main() {
	if err := run(); err != nil {
		log.Fatalf("devnet: %v", err)
	}
}

func run() error {
	// A server process: trade memory for CPU, which the 2-core development machines lack (GC was
	// ~7% of the benchmark's CPU at the default 100). GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	var (
		out      = flag.String("out", ".devnet", "directory for connection.json, tlsca.pem and the identities' MSP folders")
		data     = flag.String("data", "", "data directory for blocks, CAs and identities (empty: in memory)")
		addr     = flag.String("addr", "127.0.0.1:7051", "gRPC listen address (loopback only)")
		orgs     = flag.Int("orgs", 2, "number of organisations (Org1MSP..OrgNMSP)")
		channel  = flag.String("channel", devnet.DefaultChannel, "channel name")
		users    = flag.String("users", "user2,user3,user4,user5", "comma-separated extra client identities to issue in every organisation (the default gives admin and user1..user5, as network/fabric's connection file has, which the quickstart and the e2e suite use)")
		insecure = flag.Bool("insecure", false, "serve plain gRPC instead of TLS")
		batch    = flag.Duration("batch-timeout", devnet.DefaultBatchTimeout, "orderer batch timeout")
		verbose  = flag.Bool("v", false, "log notable events")
	)
	flag.Parse()

	opts := devnet.Options{
		OrgCount:     *orgs,
		Channel:      *channel,
		Address:      *addr,
		Insecure:     *insecure,
		DataDir:      *data,
		BatchTimeout: *batch,
	}
	if *users != "" {
		opts.Users = strings.Split(*users, ",")
	}
	if *verbose {
		opts.Logf = log.Printf
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	n, err := devnet.Start(startCtx, opts)
	cancel()
	if err != nil {
		return err
	}
	cf, err := n.WriteConnection(*out)
	if err != nil {
		_ = n.Close()
		return err
	}
	fmt.Printf("devnet: serving channel %s, chaincode %s on %s\n", cf.Channel, cf.Chaincode, cf.Endpoint)
	fmt.Printf("devnet: connection file %s\n", filepath.Join(*out, devnet.ConnectionFileName))
	for _, o := range cf.Orgs {
		fmt.Printf("devnet: %s identities: %s\n", o.MSPID, strings.Join(keys(o.Identities), ", "))
	}
	fmt.Println("devnet: press Ctrl-C to stop")

	<-ctx.Done()
	fmt.Println("devnet: stopping")
	return n.Close()
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
