package contract_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
)

func TestListDocumentsPagesWithBookmarksUntilTheEnd(t *testing.T) {
	c := newCast(t)
	for i := 2; i <= 7; i++ {
		c.must(c.p1, model.TxRegisterDocument, doc(fmt.Sprintf("doc%d", i), "p1", model.CategoryOther))
	}
	var ids []string
	bookmark := ""
	var sizes []int
	for {
		page := decodeInto[model.DocumentPage](t, c.evaluate(c.p1, model.TxListDocuments, model.ListDocumentsInput{PageSize: 3, Bookmark: bookmark}))
		sizes = append(sizes, len(page.Items))
		for _, d := range page.Items {
			ids = append(ids, d.ID)
		}
		if page.Bookmark == "" {
			break
		}
		bookmark = page.Bookmark
	}
	require.Equal(t, []int{3, 3, 1}, sizes)
	require.Equal(t, []string{"doc1", "doc2", "doc3", "doc4", "doc5", "doc6", "doc7"}, ids)

	all := decodeInto[model.DocumentPage](t, c.evaluate(c.p1, model.TxListDocuments, model.ListDocumentsInput{}))
	require.Len(t, all.Items, 7, "page size 0 means the default page size")
	require.Empty(t, all.Bookmark)
}

func TestPageRequestsAreBounded(t *testing.T) {
	c := newCast(t)
	for _, in := range []model.PageRequest{
		{PageSize: -1},
		{PageSize: model.MaxPageSize + 1},
		{Bookmark: strings.Repeat("b", model.MaxBookmarkLen+1)},
	} {
		c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxListGrants, in)
		c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxListAccessLog, in)
		c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxListMyAccesses, in)
		c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxListOrganizations, in)
		c.requireDeniedWithoutWrite(c.admin1, model.CodeInvalidArgument, model.TxListStorageRefs, in)
		c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxListDocuments, model.ListDocumentsInput{PageSize: in.PageSize, Bookmark: in.Bookmark})
		c.requireDeniedWithoutWrite(c.sa, model.CodeInvalidArgument, model.TxListUsers, model.ListUsersInput{PageSize: in.PageSize, Bookmark: in.Bookmark})
		c.requireDeniedWithoutWrite(c.d2, model.CodeInvalidArgument, model.TxListReceivedGrants, model.ListReceivedGrantsInput{GranteeType: model.GranteeUser, PageSize: in.PageSize, Bookmark: in.Bookmark})
	}
	page := decodeInto[model.OrganizationPage](t, c.evaluate(c.p1, model.TxListOrganizations, model.PageRequest{PageSize: model.MaxPageSize}))
	require.Len(t, page.Items, 3)
}

func TestABookmarkCannotReachIntoAnotherPatientsKeys(t *testing.T) {
	c := newCast(t)
	c.must(c.p2, model.TxGrantConsent, readGrant("g-p2", toUser("d2"), scopeAll))
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	// A bookmark is a ledger key; one pointing before p1's audit keys would
	// otherwise start p2's scan in p1's log.
	evil := "\x00" + "auditByPatient" + "\x00" + "p1" + "\x00"
	c.requireDeniedWithoutWrite(c.p2, model.CodeInvalidArgument, model.TxListAccessLog, model.PageRequest{Bookmark: evil})
	evilGrant := "\x00" + "grant" + "\x00" + "p1" + "\x00"
	c.requireDeniedWithoutWrite(c.p2, model.CodeInvalidArgument, model.TxListGrants, model.PageRequest{Bookmark: evilGrant})
	mine := decodeInto[model.GrantPage](t, c.evaluate(c.p2, model.TxListGrants, model.PageRequest{}))
	require.Equal(t, []string{"g-p2"}, grantIDs(mine.Items))
}

func TestEveryListPagesThroughAllItsItems(t *testing.T) {
	c := newCast(t)
	for i := 0; i < 5; i++ {
		c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
		c.must(c.p1, model.TxGrantConsent, readGrant(fmt.Sprintf("g%d", i), toUser("d2"), scopeAll))
		c.must(c.sa, model.TxCreateOrganization, model.CreateOrganizationInput{ID: fmt.Sprintf("x%d", i), Name: "X", MSPID: "XMSP"})
	}
	count := func(tx string, who string, arg func(bookmark string) any) int {
		n, bookmark := 0, ""
		for pages := 0; pages < 20; pages++ {
			o := c.evaluate(c.callerOf(who), tx, arg(bookmark))
			require.NoError(t, o.err)
			page := decodeInto[anyPage](t, o)
			n += len(page.Items)
			if page.Bookmark == "" {
				return n
			}
			bookmark = page.Bookmark
		}
		t.Fatalf("%s did not finish paging", tx)
		return 0
	}
	pr := func(b string) any { return model.PageRequest{PageSize: 2, Bookmark: b} }
	require.Equal(t, 5, count(model.TxListAccessLog, cPatient, pr))
	require.Equal(t, 5, count(model.TxListMyAccesses, cDoctorConsent, pr))
	require.Equal(t, 6, count(model.TxListGrants, cPatient, pr))
	require.Equal(t, 8, count(model.TxListOrganizations, cPatient, pr))
	require.Equal(t, 6, count(model.TxListReceivedGrants, cDoctorConsent, func(b string) any {
		return model.ListReceivedGrantsInput{GranteeType: model.GranteeUser, PageSize: 2, Bookmark: b}
	}))
	require.Equal(t, 6, count(model.TxListUsers, cAdminSame, func(b string) any { return model.ListUsersInput{OrgID: "h1", PageSize: 2, Bookmark: b} }))

	// The access log is oldest first.
	log := decodeInto[model.AuditPage](t, c.evaluate(c.p1, model.TxListAccessLog, model.PageRequest{}))
	for i := 1; i < len(log.Items); i++ {
		require.True(t, log.Items[i-1].AccessedAt.Before(log.Items[i].AccessedAt))
	}
}

// anyPage reads any of the page types.
type anyPage struct {
	Items    []any  `json:"items"`
	Bookmark string `json:"bookmark"`
}
