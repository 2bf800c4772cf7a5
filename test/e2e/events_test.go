package e2e

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
	"github.com/stretchr/testify/require"
)

var errCrash = errors.New("listener crashed")

// documentEvents keeps the DocumentRegistered events of the given ids, in
// delivery order.
type documentEvents struct {
	mu   sync.Mutex
	seen []string
}

func (d *documentEvents) add(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen = append(d.seen, id)
}

func (d *documentEvents) ids() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

func TestRestartedListenerMissesNothingAndRepeatsNothing(t *testing.T) {
	ctx := testCtx(t)
	patient := w.h2Patient
	a, b, c := w.id("ev-a"), w.id("ev-b"), w.id("ev-c")
	mine := map[string]bool{a: true, b: true, c: true}
	upload(t, patient, a, patient.id(), model.CategoryOther, content(a))
	upload(t, patient, b, patient.id(), model.CategoryOther, content(b))

	cpFile := filepath.Join(t.TempDir(), "checkpoint.json")
	cp, err := client.NewFileCheckpointer(cpFile)
	require.NoError(t, err)

	// First run: replays the chain from its start (the events are already
	// committed, so nothing races the subscription), handles A, and crashes
	// while handling B, which therefore is not checkpointed.
	first := &documentEvents{}
	err = w.h2Admin.client.Listen(ctx, cp, func(_ context.Context, ev sdk.Event) error {
		if ev.Name != model.EventDocumentRegistered {
			return nil
		}
		payload, ok := ev.Payload.(model.DocumentEvent)
		require.True(t, ok, "payload decoded into model.DocumentEvent, got %T", ev.Payload)
		if !mine[payload.DocumentID] {
			return nil
		}
		require.Equal(t, patient.id(), payload.PatientID)
		require.Equal(t, 1, payload.Version)
		first.add(payload.DocumentID)
		if payload.DocumentID == b {
			return errCrash
		}
		return nil
	}, sdk.FromBlock(0))
	require.ErrorIs(t, err, errCrash)
	require.Equal(t, []string{a, b}, first.ids())
	require.NoError(t, cp.Close())

	upload(t, patient, c, patient.id(), model.CategoryOther, content(c))

	// Second run, a new process as far as the checkpointer knows: it starts
	// after A, delivers B again (never completed) and then C.
	cp, err = client.NewFileCheckpointer(cpFile)
	require.NoError(t, err)
	defer cp.Close()
	second := &documentEvents{}
	errDone := errors.New("done")
	err = w.h2Admin.client.Listen(ctx, cp, func(_ context.Context, ev sdk.Event) error {
		p, ok := ev.Payload.(model.DocumentEvent)
		if !ok || ev.Name != model.EventDocumentRegistered || !mine[p.DocumentID] {
			return nil
		}
		second.add(p.DocumentID)
		if p.DocumentID == c {
			return errDone
		}
		return nil
	}, sdk.FromBlock(0)) // ignored: the checkpoint says where to start
	require.ErrorIs(t, err, errDone)
	require.Equal(t, []string{b, c}, second.ids())
}

func TestEventsArriveDecodedAsTheyCommit(t *testing.T) {
	ctx, cancel := context.WithTimeout(testCtx(t), 30*time.Second)
	defer cancel()
	// Anchor on a committed transaction so the stream starts before the ones
	// this test waits for: the listener replays from block 0 in memory.
	cp := sdk.NewInMemoryCheckpointer()
	grantID := w.id("ev-grant")
	var got atomic.Value
	done := make(chan error, 1)
	go func() {
		done <- w.h1Admin.client.Listen(ctx, cp, func(_ context.Context, ev sdk.Event) error {
			if ev.Name == model.EventConsentGranted {
				if p, ok := ev.Payload.(model.ConsentEvent); ok && p.GrantID == grantID {
					got.Store(ev)
					return errCrash // stop listening
				}
			}
			return nil
		}, sdk.FromBlock(0))
	}()
	g, err := w.h1Patient.client.GrantConsent(ctx, model.GrantConsentInput{
		GrantID: grantID, Grantee: model.Grantee{Type: model.GranteeOrganization, ID: w.hosp2.ID},
		Scope: model.Scope{Type: model.ScopeAll}, Actions: []model.Action{model.ActionRead}, Purpose: model.PurposeResearch,
	})
	require.NoError(t, err)
	require.ErrorIs(t, <-done, errCrash)
	ev := got.Load().(sdk.Event)
	require.Equal(t, g.TxID, ev.TransactionID)
	require.Equal(t, model.ConsentEvent{GrantID: grantID, PatientID: w.h1Patient.id(), Grantee: g.Grantee}, ev.Payload)
	require.NoError(t, ev.DecodeErr)
	_, err = w.h1Patient.client.RevokeConsent(ctx, grantID)
	require.NoError(t, err)
}

func TestConcurrentWritersAreRetriedAfterMVCCConflicts(t *testing.T) {
	ctx := testCtx(t)
	docID := w.id("busy")
	upload(t, w.h1Patient, docID, w.h1Patient.id(), model.CategoryOther, content("busy v1"))

	// Several clients of one patient add versions to one document at once:
	// each reads and rewrites the document record, so all but one of the
	// transactions endorsed against the same state fail validation.
	const writers = 6
	var retries atomic.Int32
	withRetry := func(cfg *sdk.Config) {
		cfg.Retry = sdk.RetryPolicy{MaxAttempts: 20, BaseDelay: 20 * time.Millisecond, MaxDelay: 500 * time.Millisecond,
			OnRetry: func(tx string, attempt int, conflict error) {
				code, ok := sdk.ValidationCode(conflict)
				if ok && code == peer.TxValidationCode_MVCC_READ_CONFLICT {
					retries.Add(1)
				}
			}}
	}
	errs := addVersionsConcurrently(t, docID, writers, withRetry)
	for _, err := range errs {
		require.NoError(t, err)
	}
	r, err := w.h1Patient.docs.Open(ctx, docID, 0)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, writers+1, r.Access().Version.Version, "every writer's version landed")
	require.Positive(t, retries.Load(), "the writers did conflict, and were retried")

	// With retries off, the conflicts come back as commit errors carrying
	// their validation code. On a real network some writers fail earlier,
	// at endorsement, on a peer that has not committed the last version yet.
	noRetry := func(cfg *sdk.Config) { cfg.Retry.Disabled = true }
	var conflicts int
	for round := 0; round < 5 && conflicts == 0; round++ {
		for _, err := range addVersionsConcurrently(t, docID, writers, noRetry) {
			if err == nil {
				continue
			}
			code, ok := sdk.ValidationCode(err)
			if !ok {
				var endorseErr *client.EndorseError
				require.ErrorAs(t, err, &endorseErr, "unexpected failure: %v", err)
				continue
			}
			require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, code)
			var commitErr *client.CommitError
			require.ErrorAs(t, err, &commitErr)
			conflicts++
		}
	}
	require.Positive(t, conflicts)
}

// addVersionsConcurrently starts n patient clients that each add one
// version to docID at the same moment, and returns their errors.
func addVersionsConcurrently(t *testing.T, docID string, n int, adjust func(*sdk.Config)) []error {
	t.Helper()
	ctx := testCtx(t)
	docs := make([]*sdk.Documents, n)
	for i := range docs {
		c, err := w.net.Connect(ctx, w.h1Patient.mspID, w.h1Patient.name, adjust)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		docs[i], err = sdk.NewDocuments(c, w.store, sdk.WithoutEncryption())
		require.NoError(t, err)
		_, err = c.WhoAmI(ctx) // connect before the race starts
		require.NoError(t, err)
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, d := range docs {
		wg.Go(func() {
			<-start
			_, errs[i] = d.AddVersion(ctx, sdk.NewVersion{DocumentID: docID, MediaType: "text/plain",
				Content: bytes.NewReader(content(docID + " writer " + string(rune('a'+i)) + time.Now().String()))})
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestAClientWaitsForItsPeerToCommitWhatAnotherWrote(t *testing.T) {
	ctx := testCtx(t)
	// A client outside the suite's shared watermark waits explicitly.
	lone, err := w.net.Connect(ctx, w.h2Doctor.mspID, w.h2Doctor.name, func(cfg *sdk.Config) { cfg.Watermark = nil })
	require.NoError(t, err)
	defer lone.Close()
	g, err := w.h1Patient.client.GrantConsent(ctx, model.GrantConsentInput{
		Grantee: model.Grantee{Type: model.GranteeUser, ID: w.h2Doctor.id()}, Scope: model.Scope{Type: model.ScopeAll},
		Actions: []model.Action{model.ActionRead}, Purpose: model.PurposeTreatment,
	})
	require.NoError(t, err)
	block := w.h1Patient.client.CommittedBlock()
	require.Positive(t, block)
	require.NoError(t, lone.WaitForBlock(ctx, block))
	require.GreaterOrEqual(t, lone.CommittedBlock(), block)
	received := collect(t, lone.ReceivedGrantPages(model.GranteeUser, 0))
	require.Contains(t, grantIDs(received), g.ID)
	_, err = w.h1Patient.client.RevokeConsent(ctx, g.ID)
	require.NoError(t, err)
}
