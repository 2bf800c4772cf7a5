package sdk

import (
	"context"

	"github.com/medledger/medledger/chaincode/model"
)

// Paginator walks a list query page by page, in the manner of the AWS SDK's
// paginators:
//
//	p := c.OrganizationPages(0)
//	for p.HasMorePages() {
//		orgs, err := p.NextPage(ctx)
//		...
//	}
//
// A Paginator is not safe for concurrent use.
type Paginator[T any] struct {
	fetch    func(ctx context.Context, bookmark string) (items []T, next string, err error)
	bookmark string
	done     bool
}

func newPaginator[T any](fetch func(ctx context.Context, bookmark string) ([]T, string, error)) *Paginator[T] {
	return &Paginator[T]{fetch: fetch}
}

// HasMorePages reports whether NextPage may return more items. It is true
// before the first page and false once a page came back without a new
// bookmark to continue from.
func (p *Paginator[T]) HasMorePages() bool { return !p.done }

// NextPage fetches the next page. After an error the Paginator stays where
// it was, so NextPage may be called again.
func (p *Paginator[T]) NextPage(ctx context.Context) ([]T, error) {
	if p.done {
		return nil, nil
	}
	items, next, err := p.fetch(ctx, p.bookmark)
	if err != nil {
		return nil, err
	}
	// An empty bookmark ends the list; so does a bookmark that did not move
	// (CouchDB hands the same one back at the end). An empty page does not:
	// the chaincode filters a page of keys by what the caller may read, so
	// a page can be empty while more follow.
	if next == "" || next == p.bookmark {
		p.done = true
	}
	p.bookmark = next
	return items, nil
}

// Bookmark returns the bookmark the next page starts from, so that a walk
// can be resumed later with the List call itself.
func (p *Paginator[T]) Bookmark() string { return p.bookmark }

// OrganizationPages pages through the hospitals; pageSize 0 means the default.
func (c *Client) OrganizationPages(pageSize int32) *Paginator[model.Organization] {
	return newPaginator(func(ctx context.Context, b string) ([]model.Organization, string, error) {
		page, err := c.ListOrganizations(ctx, model.PageRequest{PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}

// UserPages pages through an organisation's users (solution admins for "").
func (c *Client) UserPages(orgID string, pageSize int32) *Paginator[model.User] {
	return newPaginator(func(ctx context.Context, b string) ([]model.User, string, error) {
		page, err := c.ListUsers(ctx, model.ListUsersInput{OrgID: orgID, PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}

// DocumentPages pages through a patient's documents the caller may read ("" for
// the calling patient).
func (c *Client) DocumentPages(patientID string, pageSize int32) *Paginator[model.Document] {
	return newPaginator(func(ctx context.Context, b string) ([]model.Document, string, error) {
		page, err := c.ListDocuments(ctx, model.ListDocumentsInput{PatientID: patientID, PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}

// GrantPages pages through the calling patient's grants.
func (c *Client) GrantPages(pageSize int32) *Paginator[model.Grant] {
	return newPaginator(func(ctx context.Context, b string) ([]model.Grant, string, error) {
		page, err := c.ListGrants(ctx, model.PageRequest{PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}

// ReceivedGrantPages pages through the grants made to the calling doctor or
// the doctor's hospital.
func (c *Client) ReceivedGrantPages(granteeType model.GranteeType, pageSize int32) *Paginator[model.Grant] {
	return newPaginator(func(ctx context.Context, b string) ([]model.Grant, string, error) {
		page, err := c.ListReceivedGrants(ctx, model.ListReceivedGrantsInput{GranteeType: granteeType, PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}

// AccessLogPages pages through the reads of the calling patient's documents.
func (c *Client) AccessLogPages(pageSize int32) *Paginator[model.AuditEntry] {
	return newPaginator(func(ctx context.Context, b string) ([]model.AuditEntry, string, error) {
		page, err := c.ListAccessLog(ctx, model.PageRequest{PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}

// MyAccessPages pages through the caller's own reads.
func (c *Client) MyAccessPages(pageSize int32) *Paginator[model.AuditEntry] {
	return newPaginator(func(ctx context.Context, b string) ([]model.AuditEntry, string, error) {
		page, err := c.ListMyAccesses(ctx, model.PageRequest{PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}

// StorageRefPages pages through the calling hospital admin's storage references.
func (c *Client) StorageRefPages(pageSize int32) *Paginator[model.StorageRef] {
	return newPaginator(func(ctx context.Context, b string) ([]model.StorageRef, string, error) {
		page, err := c.ListStorageRefs(ctx, model.PageRequest{PageSize: pageSize, Bookmark: b})
		return page.Items, page.Bookmark, err
	})
}
