// Command gc removes blobs that no ledger record references, as a hospital
// admin: it lists the hospital's storage references on the ledger, walks
// the hospital's store and deletes the unreferenced blobs older than the
// grace period, with their wrapped data keys. Without -delete it only
// prints what it would delete.
//
//	go run ./examples/gc -connection connection.json -msp Org1MSP -identity user1 -dir ./blobs -keys ./keys
//	go run ./examples/gc ... -delete
//
// Stores: -dir (filesystem, the default store), -s3-endpoint/-s3-bucket/
// -s3-prefix (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or
// MINIO_ROOT_USER/MINIO_ROOT_PASSWORD), or -redis-addr/-redis-prefix
// (password from REDIS_PASSWORD). The store must hold only this hospital's
// blobs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/gc"
	"github.com/medledger/medledger/sdk/blob/redisstore"
	"github.com/medledger/medledger/sdk/blob/s3store"
	"github.com/medledger/medledger/sdk/seal"
)

type storeFlags struct {
	dir                            string
	s3Endpoint, s3Bucket, s3Prefix string
	redisAddr, redisPrefix         string
}

func main() {
	var sf storeFlags
	connection := flag.String("connection", "", "connection file of the network (required)")
	msp := flag.String("msp", "", "MSP ID of the hospital (required)")
	identity := flag.String("identity", "", "name of the hospital admin's identity in the connection file (required; an org admin, not the solution admin)")
	// The SDK encrypts by default and keeps wrapped keys there, so that is
	// where a deleted blob's key is too, unless the uploads said otherwise.
	defaultKeys := ""
	if dir, err := sdk.DefaultKeyDir(); err == nil {
		defaultKeys = filepath.Join(dir, "keys")
	}
	keys := flag.String("keys", defaultKeys, "folder of wrapped data keys (FileKeyStore); their keys go with the blobs. Default: the SDK's default encryption's (sdk.WithKeyDir(dir) puts them in dir/keys); -keys= for stores written WithoutEncryption")
	grace := flag.Duration("grace", gc.DefaultGrace, "keep unreferenced blobs younger than this")
	del := flag.Bool("delete", false, "really delete (default: dry run, print only)")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	flag.StringVar(&sf.dir, "dir", "", "filesystem store folder")
	flag.StringVar(&sf.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL, e.g. https://s3.eu-central-1.amazonaws.com")
	flag.StringVar(&sf.s3Bucket, "s3-bucket", "", "S3 bucket")
	flag.StringVar(&sf.s3Prefix, "s3-prefix", "", "S3 key prefix")
	flag.StringVar(&sf.redisAddr, "redis-addr", "", "Redis address host:port")
	flag.StringVar(&sf.redisPrefix, "redis-prefix", "", "Redis key prefix")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *connection, *msp, *identity, *keys, sf, gc.Options{Delete: *del, Grace: *grace}, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gc:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, connection, msp, identity, keysDir string, sf storeFlags, opts gc.Options, out io.Writer) error {
	if connection == "" || msp == "" || identity == "" {
		return errors.New("-connection, -msp and -identity are required")
	}
	store, closeStore, err := openStore(sf)
	if err != nil {
		return err
	}
	defer closeStore()
	if keysDir != "" {
		if opts.Keys, err = seal.NewFileKeyStore(keysDir); err != nil {
			return err
		}
	}
	profile, err := sdk.LoadConnectionProfile(connection)
	if err != nil {
		return err
	}
	cfg, err := profile.Config(msp, identity)
	if err != nil {
		return err
	}
	client, err := sdk.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer client.Close()

	rep, err := gc.Run(ctx, store, client, opts)
	printReport(out, rep, opts.Grace)
	return err
}

// openStore opens the one store the flags name.
func openStore(sf storeFlags) (blob.Store, func(), error) {
	n := 0
	for _, set := range []bool{sf.dir != "", sf.s3Endpoint != "", sf.redisAddr != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, nil, errors.New("name exactly one store: -dir, -s3-endpoint (with -s3-bucket) or -redis-addr")
	}
	switch {
	case sf.dir != "":
		if _, err := os.Stat(sf.dir); err != nil {
			return nil, nil, fmt.Errorf("store folder: %w", err)
		}
		s, err := blob.NewFileStore(sf.dir)
		return s, func() {}, err
	case sf.s3Endpoint != "":
		s, err := s3store.New(s3store.Config{Endpoint: sf.s3Endpoint, Bucket: sf.s3Bucket, Prefix: sf.s3Prefix})
		return s, func() {}, err
	default:
		rdb := redis.NewClient(&redis.Options{Addr: sf.redisAddr, Password: os.Getenv("REDIS_PASSWORD")})
		s, err := redisstore.New(rdb, redisstore.Options{Prefix: sf.redisPrefix})
		return s, func() { _ = rdb.Close() }, err
	}
}

func printReport(out io.Writer, rep gc.Report, grace time.Duration) {
	verb := "deleted"
	if rep.DryRun {
		verb = "would delete"
	}
	for _, c := range rep.Candidates {
		why := fmt.Sprintf("unreferenced, stored %s", c.ModTime.UTC().Format(time.RFC3339))
		if c.Erased {
			why = "its document was erased"
		}
		switch {
		case c.Err != nil:
			fmt.Fprintf(out, "FAILED       %s (%d bytes, %s): %v\n", c.Ref, c.Size, why, c.Err)
		case rep.DryRun || c.Deleted:
			fmt.Fprintf(out, "%-12s %s (%d bytes, %s)\n", verb, c.Ref, c.Size, why)
		default:
			fmt.Fprintf(out, "kept         %s (stored again during the run)\n", c.Ref)
		}
	}
	if grace == 0 {
		grace = gc.DefaultGrace
	}
	n := rep.Deleted()
	if rep.DryRun {
		n = len(rep.Candidates)
	}
	fmt.Fprintf(out, "%d ledger references, %d stored objects: %d referenced, %d unreferenced but younger than %v, %d %s\n",
		rep.LedgerRefs, rep.Scanned, rep.Referenced, rep.TooYoung, grace, n, verb)
	if rep.DryRun && len(rep.Candidates) > 0 {
		fmt.Fprintln(out, "dry run: nothing was deleted; run again with -delete")
	}
}
