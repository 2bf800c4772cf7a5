// Package gc removes blobs that no ledger record references: blobs left by
// an upload whose registration never happened, and blobs of erased
// documents whose deletion failed. It compares what a store holds with the
// storage references a hospital admin can list on the ledger
// (ListStorageRefs) and, unless told it is a dry run, deletes the
// unreferenced ones together with their wrapped data keys.
//
// A blob younger than the grace period is kept even when unreferenced: it
// may belong to an upload that has stored its blob and not yet registered
// it. Stores renew an object's time when the same bytes are stored again,
// so an old blob that a new upload reuses is protected too. Blobs of erased
// versions are deleted whatever their age.
//
// The store must hold only blobs of the admin's hospital: blobs that another
// hospital's documents reference would look unreferenced. Give each
// hospital its own folder, bucket prefix or key prefix.
package gc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk/blob"
)

// DefaultGrace is how old an unreferenced blob must be before it is
// deleted: far longer than any upload takes between storing and registering.
const DefaultGrace = 24 * time.Hour

// RefLister lists the ledger's storage references page by page; sdk.Client
// implements it (ListStorageRefs, for hospital admins).
type RefLister interface {
	ListStorageRefs(ctx context.Context, req model.PageRequest) (model.StorageRefPage, error)
}

// Options tunes a run; the zero value is a dry run with the default grace.
type Options struct {
	// Delete really deletes; without it Run only reports what it would do.
	Delete bool
	// Grace is the minimum age of an unreferenced blob to delete; zero
	// means DefaultGrace.
	Grace time.Duration
	// Keys, when set, is where wrapped data keys live; a deleted blob's key
	// is deleted first, so an interrupted run never leaves a key without
	// its blob behind (the next run finds the blob again, but never a key).
	Keys blob.KeyStore
	// PageSize is the ledger page size; zero means the chaincode's default.
	PageSize int32
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Candidate is a blob that is unreferenced and old enough, or erased.
type Candidate struct {
	blob.Object
	// Erased is true when only erased document versions reference it.
	Erased bool
	// Deleted is true once Run deleted it (never in a dry run).
	Deleted bool
	// Err says why deleting it failed.
	Err error
}

// Report is what a run found and did.
type Report struct {
	DryRun bool
	// LedgerRefs counts the distinct references of live versions.
	LedgerRefs int
	// Scanned counts the store's objects.
	Scanned int
	// Referenced counts the objects a live version references.
	Referenced int
	// TooYoung counts the unreferenced objects within the grace period.
	TooYoung int
	// Candidates lists the objects to delete, or deleted.
	Candidates []Candidate
}

// Deleted counts the candidates deleted.
func (r Report) Deleted() int {
	n := 0
	for _, c := range r.Candidates {
		if c.Deleted {
			n++
		}
	}
	return n
}

// Run collects the ledger's references, walks store and deletes (or, in a
// dry run, lists) the unreferenced blobs older than the grace period. It
// reads every ledger page before it deletes anything: a listing that fails
// halfway deletes nothing. Deletion failures are in the report and joined
// in the returned error; the other candidates are still processed.
func Run(ctx context.Context, store blob.Store, lister RefLister, opts Options) (Report, error) {
	if store == nil || lister == nil {
		return Report{}, errors.New("gc: store and ref lister are required")
	}
	grace := opts.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	if grace < 0 {
		return Report{}, fmt.Errorf("gc: grace period %v is negative", grace)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rep := Report{DryRun: !opts.Delete}

	live, erased, err := ledgerRefs(ctx, lister, opts.PageSize)
	if err != nil {
		return rep, err
	}
	rep.LedgerRefs = len(live)

	cutoff := now().Add(-grace)
	err = store.Walk(ctx, func(o blob.Object) error {
		rep.Scanned++
		switch {
		case live[o.Ref]:
			rep.Referenced++
		case erased[o.Ref]:
			rep.Candidates = append(rep.Candidates, Candidate{Object: o, Erased: true})
		case o.ModTime.Before(cutoff):
			rep.Candidates = append(rep.Candidates, Candidate{Object: o})
		default:
			rep.TooYoung++
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("gc: walk store: %w", err)
	}
	if !opts.Delete {
		return rep, nil
	}

	var errs []error
	for i := range rep.Candidates {
		c := &rep.Candidates[i]
		c.Deleted, c.Err = remove(ctx, store, opts.Keys, *c, now().Add(-grace))
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return rep, errors.Join(errs...)
}

// remove deletes one candidate after checking it again: an upload of the
// same bytes since the walk renewed its time and may be about to
// register it.
func remove(ctx context.Context, store blob.Store, keys blob.KeyStore, c Candidate, cutoff time.Time) (bool, error) {
	cur, err := store.Stat(ctx, c.Ref)
	if errors.Is(err, blob.ErrNotFound) {
		return false, nil // gone already
	}
	if err != nil {
		return false, fmt.Errorf("gc: %s: %w", c.Ref, err)
	}
	if !c.Erased && !cur.ModTime.Before(cutoff) {
		return false, nil
	}
	if keys != nil {
		if err := keys.DeleteKey(ctx, c.Ref); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return false, fmt.Errorf("gc: delete key of %s: %w", c.Ref, err)
		}
	}
	if err := store.Delete(ctx, c.Ref); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return false, fmt.Errorf("gc: delete %s: %w", c.Ref, err)
	}
	return true, nil
}

// ledgerRefs reads every page and returns the references of live versions
// and those only erased versions hold.
func ledgerRefs(ctx context.Context, lister RefLister, pageSize int32) (live, erased map[string]bool, err error) {
	live, erased = map[string]bool{}, map[string]bool{}
	bookmark := ""
	for page := 1; ; page++ {
		p, err := lister.ListStorageRefs(ctx, model.PageRequest{PageSize: pageSize, Bookmark: bookmark})
		if err != nil {
			return nil, nil, fmt.Errorf("gc: list storage references (page %d): %w", page, err)
		}
		for _, r := range p.Items {
			if r.Erased {
				erased[r.StorageRef] = true
			} else {
				live[r.StorageRef] = true
			}
		}
		// The same end rules as the SDK's paginators: no bookmark, or one
		// that did not move (CouchDB hands the last one back). An empty page
		// does not end the list; stopping early here would make referenced
		// blobs look unreferenced.
		if p.Bookmark == "" || p.Bookmark == bookmark {
			break
		}
		bookmark = p.Bookmark
	}
	for ref := range live {
		delete(erased, ref) // content shared with a live version stays
	}
	return live, erased, nil
}
