// Command bench measures document upload and download through the SDK with
// the filesystem store, next to `openssl dgst -sha256` on the same file, and
// the peak resident memory of the uploading and downloading process. It
// measures plaintext uploads (sdk.WithoutEncryption), the figures issue 4
// asks for; encrypted throughput, the SDK's default, is measured by
// go run ./sdk/seal/sealbench.
//
//	go run ./test/bench                       # 1MiB,100MiB,1GiB
//	go run ./test/bench -sizes 1MiB,100MiB
//
// The parent starts the embedded network, onboards a patient and writes a
// connection file; each upload and download then runs in a child process
// (this same binary with -child) that connects like any application and
// reports its own peak RSS (VmHWM from /proc/self/status), so the network's
// memory is not counted. It is a benchmark, not a test: run it by hand or
// with `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/internal/benchkit"
	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/sdktest"
)

// result is what a child reports on its standard output.
type result struct {
	Seconds  float64 `json:"seconds"`
	PeakKiB  int64   `json:"peakKiB"`
	Bytes    int64   `json:"bytes"`
	SHA256   string  `json:"sha256"`
	Document string  `json:"document"`
}

func main() {
	child := flag.String("child", "", "internal: upload or download, in a child process")
	connection := flag.String("connection", "", "internal: connection file")
	storeDir := flag.String("store", "", "internal: filesystem store folder")
	file := flag.String("file", "", "internal: file to upload, or to download into")
	docID := flag.String("doc", "", "internal: document id")
	sizes := flag.String("sizes", "1MiB,100MiB,1GiB", "comma-separated document sizes (KiB, MiB, GiB suffixes)")
	dir := flag.String("dir", "", "work folder on the disk to measure (default: a temporary folder)")
	runs := flag.Int("runs", 3, "runs per size; the fastest counts")
	flag.Parse()

	var err error
	if *child != "" {
		err = runChild(*child, *connection, *storeDir, *file, *docID)
	} else {
		if *runs < 1 {
			*runs = 1
		}
		err = runParent(*sizes, *dir, *runs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func fastest(best, secs float64) float64 {
	if best == 0 || secs < best {
		return secs
	}
	return best
}

func runParent(sizeList, dir string, runs int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	sizes, err := benchkit.ParseSizes(sizeList)
	if err != nil {
		return err
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "medledger-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	net, err := sdktest.StartDevnet(ctx, filepath.Join(dir, "devnet"), sdktest.DevnetOptions{})
	if err != nil {
		return err
	}
	defer net.Close()
	if err := onboardPatient(ctx, net); err != nil {
		return err
	}
	storeDir := filepath.Join(dir, "store")

	fmt.Printf("MedLedger document throughput, filesystem store in %s (%s)\n", storeDir, time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("%-8s %13s %13s %12s %14s %8s %12s %12s\n", "size", "openssl MB/s", "disk MB/s", "upload MB/s", "download MB/s", "up/ossl", "up peak", "down peak")
	for i, size := range sizes {
		src := filepath.Join(dir, "source.bin")
		if err := benchkit.WriteRandomFile(src, size); err != nil {
			return err
		}
		// Best of runs: the machine is shared, and the best run is the one
		// least disturbed by others.
		var best struct{ ossl, disk, up, down float64 }
		var upPeak, downPeak int64
		for r := range runs {
			osslTook, osslSum, err := benchkit.OpenSSLSHA256(ctx, src)
			if err != nil {
				return err
			}
			diskSecs, err := copyWithFsync(src, filepath.Join(dir, "disk.bin"))
			if err != nil {
				return err
			}
			doc := fmt.Sprintf("bench-%d-%d-%d", time.Now().Unix(), i, r)
			up, err := child(ctx, "upload", net.ConnectionFile, storeDir, src, doc)
			if err != nil {
				return err
			}
			if up.SHA256 != osslSum {
				return fmt.Errorf("upload registered sha256 %s, openssl says %s", up.SHA256, osslSum)
			}
			out := filepath.Join(dir, "downloaded.bin")
			down, err := child(ctx, "download", net.ConnectionFile, storeDir, out, doc)
			if err != nil {
				return err
			}
			if down.Bytes != size {
				return fmt.Errorf("downloaded %d bytes, want %d", down.Bytes, size)
			}
			_ = os.Remove(out)
			best.ossl, best.disk = fastest(best.ossl, osslTook.Seconds()), fastest(best.disk, diskSecs)
			best.up, best.down = fastest(best.up, up.Seconds), fastest(best.down, down.Seconds)
			upPeak, downPeak = max(upPeak, up.PeakKiB), max(downPeak, down.PeakKiB)
		}
		mbps := func(secs float64) float64 { return float64(size) / secs / 1e6 }
		fmt.Printf("%-8s %13.0f %13.0f %12.0f %14.0f %7.0f%% %9.1f MiB %9.1f MiB\n", benchkit.FormatSize(size),
			mbps(best.ossl), mbps(best.disk), mbps(best.up), mbps(best.down), 100*best.ossl/best.up,
			float64(upPeak)/1024, float64(downPeak)/1024)
		_ = os.Remove(src)
	}
	fmt.Println("upload: SDK Upload WithoutEncryption (plaintext; stream into the store while hashing, fsync, rename, RegisterDocument committed)")
	fmt.Println("download: SDK Download (AccessDocument committed, stream while hashing into a temporary file, fsync, rename)")
	fmt.Println("openssl: openssl dgst -sha256 on the same file; disk: the same file copied and fsynced, no hashing (the bound for any durable store)")
	fmt.Printf("best of %d runs, page cache warm for all; peak: the highest VmHWM of the child processes\n", runs)
	return nil
}

// onboardPatient makes Org1's user3 a patient, so the children can upload.
func onboardPatient(ctx context.Context, net *sdktest.Network) error {
	org1, _ := net.Orgs()
	sol, err := net.Connect(ctx, org1, sdktest.AdminIdentity, nil)
	if err != nil {
		return err
	}
	defer sol.Close()
	admin, err := net.Connect(ctx, org1, "user1", nil)
	if err != nil {
		return err
	}
	defer admin.Close()
	patient, err := net.Connect(ctx, org1, "user3", nil)
	if err != nil {
		return err
	}
	defer patient.Close()
	if _, _, err := sdktest.EnsureBootstrapped(ctx, sol, "sol-admin"); err != nil {
		return err
	}
	if _, _, err := sdktest.EnsureOrganization(ctx, sol, model.CreateOrganizationInput{ID: "hosp-1", Name: "Bench Hospital", MSPID: org1}); err != nil {
		return err
	}
	if _, _, err := sdktest.EnsureOrgAdmin(ctx, sol, admin, "h1-admin", "hosp-1"); err != nil {
		return err
	}
	_, _, err = sdktest.EnsureUser(ctx, admin, patient, "bench-patient", "hosp-1", model.RolePatient)
	return err
}

// child runs one upload or download in a process of its own (runChild), so
// its peak memory is that transfer's alone.
func child(ctx context.Context, mode, connection, store, file, doc string) (result, error) {
	return benchkit.RunChild[result](ctx, "-child", mode, "-connection", connection, "-store", store, "-file", file, "-doc", doc)
}

func runChild(mode, connection, storeDir, file, docID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	profile, err := sdk.LoadConnectionProfile(connection)
	if err != nil {
		return err
	}
	org1 := profile.MSPIDs()[0]
	cfg, err := profile.Config(org1, "user3")
	if err != nil {
		return err
	}
	c, err := sdk.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	me, err := c.WhoAmI(ctx) // connection set up before the clock starts
	if err != nil {
		return err
	}
	store, err := blob.NewFileStore(storeDir)
	if err != nil {
		return err
	}
	// Plaintext, as issue 4's benchmark asks (hashing against openssl dgst);
	// the SDK encrypts by default, and sdk/seal/sealbench measures that.
	docs, err := sdk.NewDocuments(c, store, sdk.WithoutEncryption(), sdk.WithMaxDocumentSize(model.MaxDocumentSize))
	if err != nil {
		return err
	}
	var r result
	start := time.Now()
	switch mode {
	case "upload":
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := docs.Upload(ctx, sdk.NewDocument{DocumentID: docID, PatientID: me.ID, Category: model.CategoryImaging,
			MediaType: "application/octet-stream", Content: f})
		if err != nil {
			return err
		}
		r.Seconds = time.Since(start).Seconds()
		r.SHA256, r.Bytes = doc.Latest().SHA256, doc.Latest().Size
	case "download":
		access, err := docs.Download(ctx, docID, 0, file)
		if err != nil {
			return err
		}
		r.Seconds = time.Since(start).Seconds()
		r.SHA256, r.Bytes = access.Version.SHA256, access.Version.Size
	default:
		return fmt.Errorf("unknown child mode %q", mode)
	}
	r.Document = docID
	if r.PeakKiB, err = benchkit.PeakRSSKiB(); err != nil {
		return err
	}
	return benchkit.Report(r)
}

// copyWithFsync copies src to dst and fsyncs it, as a durable store must,
// and returns the seconds it took; dst is removed afterwards.
func copyWithFsync(src, dst string) (float64, error) {
	start := time.Now()
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer os.Remove(dst)
	if _, err := io.CopyBuffer(out, in, make([]byte, 256<<10)); err != nil {
		_ = out.Close()
		return 0, err
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}
