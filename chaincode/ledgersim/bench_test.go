package ledgersim_test

import (
	"fmt"
	"testing"

	"github.com/medledger/medledger/chaincode/ledgersim"
)

// BenchmarkCommitNewKey measures simulating and committing a one-key block
// on ledgers of growing size: the cost must not grow with the key count.
func BenchmarkCommitNewKey(b *testing.B) {
	for _, size := range []int{100, 10000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", size), func(b *testing.B) {
			l := ledgersim.New()
			const perBlock = 1000
			for i := 0; i < size; i += perBlock {
				s := l.NewStub(ledgersim.TxParams{TxID: fmt.Sprintf("seed%d", i), Timestamp: t0})
				for j := i; j < i+perBlock && j < size; j++ {
					_ = s.PutState(fmt.Sprintf("key%08d", j*7919%size), []byte("v"))
				}
				l.CommitBlock([]*ledgersim.TxResults{s.Results()}, nil, nil)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := l.NewStub(ledgersim.TxParams{TxID: fmt.Sprintf("b%d", i), Timestamp: t0})
				_, _ = s.GetState("key00000001")
				_ = s.PutState(fmt.Sprintf("new%08d", i), []byte("v"))
				l.CommitBlock([]*ledgersim.TxResults{s.Results()}, nil, nil)
			}
		})
	}
}
