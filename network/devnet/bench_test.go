package devnet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/network/devnet"
)

// benchClients is the concurrency of the multi-client benchmarks.
const benchClients = 16

func startBenchNetwork(b *testing.B) *medledger {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, n.Close()) })
	return setUpMedLedger(b, n, benchClients)
}

// BenchmarkSubmit measures committed transactions per second through real gRPC and the real
// fabric-gateway client against the MedLedger chaincode: each operation is one RegisterDocument
// or AccessDocument submitted and waited for until committed VALID, by 1 or 16 concurrent
// clients (each a different patient, so the workload itself has no read conflicts).
func BenchmarkSubmit(b *testing.B) {
	for _, workload := range []string{"RegisterDocument", "AccessDocument"} {
		for _, clients := range []int{1, benchClients} {
			b.Run(fmt.Sprintf("%s/clients=%d", workload, clients), func(b *testing.B) {
				m := startBenchNetwork(b)
				if workload == "AccessDocument" {
					for p := 0; p < clients; p++ {
						submitJSON(b, m.patients[p], "RegisterDocument", documentInput(p, 0))
					}
				}
				var next atomic.Int64
				var failed atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				cpuStart := processCPU()
				for w := 0; w < clients; w++ {
					wg.Add(1)
					go func(p int) {
						defer wg.Done()
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							var in any = model.AccessDocumentInput{DocumentID: fmt.Sprintf("doc-%d-0", p)}
							if workload == "RegisterDocument" {
								in = documentInput(p, int(i))
							}
							arg, err := json.Marshal(in)
							if err != nil {
								failed.Add(1)
								continue
							}
							if _, err := m.patients[p].Submit(workload, client.WithArguments(string(arg))); err != nil {
								failed.Add(1)
							}
						}
					}(w)
				}
				wg.Wait()
				elapsed := time.Since(start)
				cpu := processCPU() - cpuStart
				b.StopTimer()
				require.Zero(b, failed.Load(), "failed submits")
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "committed-tx/s")
				// CPU time of the whole process (clients, gateway, peers, orderer) per committed
				// transaction: robust to other load on the machine, unlike the rate above.
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/tx")
			})
		}
	}
}

// BenchmarkEvaluate measures evaluate latency (p50, p99) of a MedLedger read through real gRPC
// and the real client, one request at a time.
func BenchmarkEvaluate(b *testing.B) {
	m := startBenchNetwork(b)
	submitJSON(b, m.patients[0], "RegisterDocument", documentInput(0, 0))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	cpuStart := processCPU()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, err := m.patients[0].Evaluate("WhoAmI")
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpuStart).Microseconds())/float64(b.N), "cpu-µs/op")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// processCPU is the user+system CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
