package gc_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/blob/gc"
	"github.com/medledger/medledger/sdk/seal"
)

// ledger pages through its references the way the chaincode does: pages of
// at most PageSize (default 3 here), an opaque bookmark, "" after the last.
type ledger struct {
	refs      []model.StorageRef
	failAt    int // page number that fails, 0 for none
	emptyPage int // page number that comes back empty but with a bookmark, 0 for none
	pages     int
}

func (l *ledger) ListStorageRefs(_ context.Context, req model.PageRequest) (model.StorageRefPage, error) {
	l.pages++
	if l.pages == l.failAt {
		return model.StorageRefPage{}, errors.New("UNAVAILABLE: peer went away")
	}
	size := int(req.PageSize)
	if size == 0 {
		size = 3
	}
	start := 0
	if req.Bookmark != "" {
		var err error
		// An empty page's bookmark ("n+") resumes where it was.
		if start, err = strconv.Atoi(strings.TrimRight(req.Bookmark, "+")); err != nil {
			return model.StorageRefPage{}, model.Errorf(model.CodeInvalidArgument, "bad bookmark %q", req.Bookmark)
		}
	}
	if l.pages == l.emptyPage {
		return model.StorageRefPage{Items: []model.StorageRef{}, Bookmark: req.Bookmark + "+"}, nil
	}
	end := min(start+size, len(l.refs))
	p := model.StorageRefPage{Items: l.refs[start:end]}
	if end < len(l.refs) {
		p.Bookmark = strconv.Itoa(end)
	}
	return p, nil
}

type fixture struct {
	dir   string
	store *blob.FileStore
	keys  *seal.MemoryKeyStore
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	s, err := blob.NewFileStore(dir)
	require.NoError(t, err)
	return &fixture{dir: dir, store: s, keys: seal.NewMemoryKeyStore(), now: time.Now()}
}

// put stores content aged by age, with a wrapped key beside it.
func (f *fixture) put(t *testing.T, content string, age time.Duration) string {
	t.Helper()
	obj, err := f.store.Put(context.Background(), bytes.NewReader([]byte(content)))
	require.NoError(t, err)
	when := f.now.Add(-age)
	require.NoError(t, os.Chtimes(filepath.Join(f.dir, obj.SHA256), when, when))
	require.NoError(t, f.keys.PutKey(context.Background(), obj.Ref, []byte("key of "+content)))
	return obj.Ref
}

func (f *fixture) exists(t *testing.T, ref string) bool {
	_, err := f.store.Stat(context.Background(), ref)
	if errors.Is(err, blob.ErrNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

func (f *fixture) hasKey(t *testing.T, ref string) bool {
	_, err := f.keys.GetKey(context.Background(), ref)
	return err == nil
}

func ref(docID string, v int, r string, erased bool) model.StorageRef {
	return model.StorageRef{DocumentID: docID, Version: v, StorageRef: r, Erased: erased}
}

func TestDryRunReportsAndDeletesNothing(t *testing.T) {
	f := newFixture(t)
	live := f.put(t, "registered", 72*time.Hour)
	orphan := f.put(t, "never registered", 72*time.Hour)
	l := &ledger{refs: []model.StorageRef{ref("D1", 1, live, false)}}

	rep, err := gc.Run(context.Background(), f.store, l, gc.Options{Keys: f.keys})
	require.NoError(t, err)
	require.True(t, rep.DryRun)
	require.Equal(t, 2, rep.Scanned)
	require.Equal(t, 1, rep.Referenced)
	require.Len(t, rep.Candidates, 1)
	require.Equal(t, orphan, rep.Candidates[0].Ref)
	require.Zero(t, rep.Deleted())
	require.True(t, f.exists(t, orphan))
	require.True(t, f.hasKey(t, orphan))
}

func TestDeleteRemovesUnreferencedOldAndErasedBlobsWithTheirKeys(t *testing.T) {
	f := newFixture(t)
	live := []string{f.put(t, "v1", 90*24*time.Hour), f.put(t, "v2", time.Hour), f.put(t, "v3", 30*time.Hour), f.put(t, "v4", 48*time.Hour)}
	oldOrphan := f.put(t, "upload whose registration failed", 25*time.Hour)
	youngOrphan := f.put(t, "upload registering right now", time.Minute)
	erasedYoung := f.put(t, "erased a minute after upload", 2*time.Minute)
	shared := f.put(t, "same bytes in an erased and a live version", 100*time.Hour)

	refs := []model.StorageRef{
		ref("D1", 1, live[0], false), ref("D1", 2, live[1], false),
		ref("D2", 1, live[2], false), ref("D3", 1, live[3], false),
		ref("D4", 1, erasedYoung, true),
		ref("D5", 1, shared, true), ref("D6", 1, shared, false),
	}
	rep, err := gc.Run(context.Background(), f.store, &ledger{refs: refs}, gc.Options{Delete: true, Keys: f.keys, PageSize: 2})
	require.NoError(t, err)
	require.False(t, rep.DryRun)
	require.Equal(t, 5, rep.LedgerRefs)
	require.Equal(t, 8, rep.Scanned)
	require.Equal(t, 5, rep.Referenced)
	require.Equal(t, 1, rep.TooYoung)
	require.Equal(t, 2, rep.Deleted())

	for _, r := range append(live, youngOrphan, shared) {
		require.True(t, f.exists(t, r), "%s must stay", r)
		require.True(t, f.hasKey(t, r), "key of %s must stay", r)
	}
	for _, r := range []string{oldOrphan, erasedYoung} {
		require.False(t, f.exists(t, r), "%s must go", r)
		require.False(t, f.hasKey(t, r), "key of %s must go", r)
	}
}

func TestLedgerFailureHalfwayDeletesNothing(t *testing.T) {
	f := newFixture(t)
	var refs []model.StorageRef
	for i := range 5 {
		refs = append(refs, ref("D"+strconv.Itoa(i), 1, f.put(t, "doc "+strconv.Itoa(i), 48*time.Hour), false))
	}
	_, err := gc.Run(context.Background(), f.store, &ledger{refs: refs, failAt: 2}, gc.Options{Delete: true})
	require.ErrorContains(t, err, "page 2")
	for _, r := range refs {
		require.True(t, f.exists(t, r.StorageRef))
	}
}

// A page can come back empty with a bookmark to go on from; the collector
// must read on, or the references after it would look unreferenced.
func TestEmptyLedgerPageDoesNotEndTheListing(t *testing.T) {
	f := newFixture(t)
	var refs []model.StorageRef
	for i := range 7 {
		refs = append(refs, ref("D"+strconv.Itoa(i), 1, f.put(t, "doc "+strconv.Itoa(i), 48*time.Hour), false))
	}
	rep, err := gc.Run(context.Background(), f.store, &ledger{refs: refs, emptyPage: 2}, gc.Options{Delete: true, PageSize: 2})
	require.NoError(t, err)
	require.Equal(t, 7, rep.LedgerRefs)
	require.Zero(t, rep.Deleted())
	for _, r := range refs {
		require.True(t, f.exists(t, r.StorageRef))
	}
}

// An upload of the same bytes between the walk and the deletion renews the
// blob's time; the run must then keep it.
func TestBlobReuploadedDuringTheRunIsKept(t *testing.T) {
	f := newFixture(t)
	orphan := f.put(t, "about to be uploaded again", 48*time.Hour)
	racing := &reuploadOnStat{Store: f.store, content: "about to be uploaded again"}
	rep, err := gc.Run(context.Background(), racing, &ledger{}, gc.Options{Delete: true})
	require.NoError(t, err)
	require.Len(t, rep.Candidates, 1)
	require.Zero(t, rep.Deleted())
	require.True(t, f.exists(t, orphan))
}

// reuploadOnStat is the store as seen while an upload of content runs:
// the upload's Put lands just before the collector's re-check.
type reuploadOnStat struct {
	blob.Store
	content string
}

func (s *reuploadOnStat) Stat(ctx context.Context, ref string) (blob.Object, error) {
	if _, err := s.Store.Put(ctx, bytes.NewReader([]byte(s.content))); err != nil {
		return blob.Object{}, err
	}
	return s.Store.Stat(ctx, ref)
}

// A store that fails one deletion: the others still go, the failure is
// reported, and the key of the blob that stayed is gone (the blob is found
// again by the next run; a key alone would never be).
func TestDeletionFailureIsReportedAndTheRestProceeds(t *testing.T) {
	f := newFixture(t)
	a := f.put(t, "orphan a", 48*time.Hour)
	b := f.put(t, "orphan b", 48*time.Hour)
	flaky := &failDelete{Store: f.store, ref: a}
	rep, err := gc.Run(context.Background(), flaky, &ledger{}, gc.Options{Delete: true, Keys: f.keys})
	require.ErrorIs(t, err, blob.ErrUnavailable)
	require.Equal(t, 1, rep.Deleted())
	require.True(t, f.exists(t, a))
	require.False(t, f.hasKey(t, a))
	require.False(t, f.exists(t, b))
	for _, c := range rep.Candidates {
		if c.Ref == a {
			require.ErrorIs(t, c.Err, blob.ErrUnavailable)
		}
	}
}

type failDelete struct {
	blob.Store
	ref string
}

func (s *failDelete) Delete(ctx context.Context, ref string) error {
	if ref == s.ref {
		return blob.ErrUnavailable
	}
	return s.Store.Delete(ctx, ref)
}

func TestOptionsAreChecked(t *testing.T) {
	f := newFixture(t)
	_, err := gc.Run(context.Background(), f.store, &ledger{}, gc.Options{Grace: -time.Hour})
	require.ErrorContains(t, err, "negative")
	_, err = gc.Run(context.Background(), nil, &ledger{}, gc.Options{})
	require.ErrorContains(t, err, "required")
}
