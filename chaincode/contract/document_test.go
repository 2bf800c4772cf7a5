package contract_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medledger/medledger/chaincode/model"
)

func TestRegisterDocumentRecordsEverythingAndEmitsDocumentRegistered(t *testing.T) {
	c := newCast(t)
	in := doc("rx1", "p1", model.CategoryPrescription)
	o := c.must(c.d1, model.TxRegisterDocument, in)
	d := decodeInto[model.Document](t, o)
	require.Equal(t, model.Document{
		ID: "rx1", PatientID: "p1", OrgID: "h1", AuthorID: "d1", Category: model.CategoryPrescription, RegisteredAt: c.now,
		Versions: []model.DocumentVersion{{Version: 1, SHA256: in.SHA256, Size: in.Size, MediaType: in.MediaType, StorageRef: in.StorageRef, RegisteredBy: "d1", RegisteredAt: c.now, TxID: o.res.TxID}},
	}, d)
	require.Equal(t, model.DocumentEvent{DocumentID: "rx1", PatientID: "p1", OrgID: "h1", Category: model.CategoryPrescription, Version: 1, By: "d1"},
		eventOf[model.DocumentEvent](t, o, model.EventDocumentRegistered))
	// The author reads what they registered.
	r := decodeInto[model.AccessResult](t, c.must(c.d1, model.TxAccessDocument, readDoc("rx1")))
	require.Equal(t, model.BasisAuthor, r.Audit.Basis)

	c.requireDeniedWithoutWrite(c.p1, model.CodeAlreadyExists, model.TxRegisterDocument, doc("rx1", "p1", model.CategoryOther))
	c.requireDeniedWithoutWrite(c.d1, model.CodeNotFound, model.TxRegisterDocument, doc("x1", "ghost", model.CategoryOther))
	c.requireDeniedWithoutWrite(c.d1, model.CodeNotFound, model.TxRegisterDocument, doc("x1", "d2", model.CategoryOther))
	c.must(c.admin1, model.TxRemoveUser, "p2")
	c.requireDeniedWithoutWrite(c.d1, model.CodeFailedPrecondition, model.TxRegisterDocument, doc("x1", "p2", model.CategoryOther))
}

func TestDocumentInputIsValidated(t *testing.T) {
	c := newCast(t)
	with := func(f func(*model.RegisterDocumentInput)) model.RegisterDocumentInput {
		in := doc("new", "p1", model.CategoryOther)
		f(&in)
		return in
	}
	tests := map[string]model.RegisterDocumentInput{
		"bad document id":        with(func(in *model.RegisterDocumentInput) { in.DocumentID = "../etc" }),
		"id longer than 64":      with(func(in *model.RegisterDocumentInput) { in.DocumentID = strings.Repeat("a", 65) }),
		"bad patient id":         with(func(in *model.RegisterDocumentInput) { in.PatientID = "" }),
		"unknown category":       with(func(in *model.RegisterDocumentInput) { in.Category = "x-ray" }),
		"uppercase hash":         with(func(in *model.RegisterDocumentInput) { in.SHA256 = strings.ToUpper(in.SHA256) }),
		"short hash":             with(func(in *model.RegisterDocumentInput) { in.SHA256 = in.SHA256[:63] }),
		"zero size":              with(func(in *model.RegisterDocumentInput) { in.Size = 0 }),
		"negative size":          with(func(in *model.RegisterDocumentInput) { in.Size = -1 }),
		"size over 1 TiB":        with(func(in *model.RegisterDocumentInput) { in.Size = model.MaxDocumentSize + 1 }),
		"media type with params": with(func(in *model.RegisterDocumentInput) { in.MediaType = "text/plain; charset=utf-8" }),
		"empty media type":       with(func(in *model.RegisterDocumentInput) { in.MediaType = "" }),
		"storage ref with space": with(func(in *model.RegisterDocumentInput) { in.StorageRef = "a b" }),
		"storage ref too long":   with(func(in *model.RegisterDocumentInput) { in.StorageRef = strings.Repeat("r", model.MaxStorageRefLen+1) }),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			c.tb = t
			c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxRegisterDocument, in)
		})
	}
	c.tb = t
	c.must(c.p1, model.TxRegisterDocument, with(func(in *model.RegisterDocumentInput) {
		in.Size = model.MaxDocumentSize
		in.StorageRef = strings.Repeat("r", model.MaxStorageRefLen)
		in.DocumentID = strings.Repeat("a", 64)
	}))
}

func TestVersionsAreAddedByPatientOrAuthorAndStayReadable(t *testing.T) {
	c := newCast(t)
	v := func(n int) model.AddDocumentVersionInput {
		h := sha(fmt.Sprintf("doc1 v%d", n))
		return model.AddDocumentVersionInput{DocumentID: "doc1", SHA256: h, Size: int64(100 + n), MediaType: "application/pdf", StorageRef: "sha256:" + h}
	}
	o := c.must(c.dA, model.TxAddDocumentVersion, v(2))
	d := decodeInto[model.Document](t, o)
	require.Len(t, d.Versions, 2)
	require.Equal(t, 2, d.Latest().Version)
	require.Equal(t, "dA", d.Versions[1].RegisteredBy)
	require.Equal(t, model.DocumentEvent{DocumentID: "doc1", PatientID: "p1", OrgID: "h1", Category: model.CategoryLabResult, Version: 2, By: "dA"},
		eventOf[model.DocumentEvent](t, o, model.EventDocumentVersionAdded))
	c.must(c.p1, model.TxAddDocumentVersion, v(3))
	c.requireDeniedWithoutWrite(c.d1, model.CodeForbidden, model.TxAddDocumentVersion, v(4))
	c.requireDeniedWithoutWrite(c.d2, model.CodeForbidden, model.TxAddDocumentVersion, v(4))
	c.requireDeniedWithoutWrite(c.p1, model.CodeNotFound, model.TxAddDocumentVersion, model.AddDocumentVersionInput{DocumentID: "nope", SHA256: sha("x"), Size: 1, MediaType: "text/plain", StorageRef: "r"})
	c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxAddDocumentVersion, model.AddDocumentVersionInput{DocumentID: "doc1", SHA256: "nothex", Size: 1, MediaType: "text/plain", StorageRef: "r"})
	c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxAddDocumentVersion, model.AddDocumentVersionInput{DocumentID: "", SHA256: sha("x"), Size: 1, MediaType: "text/plain", StorageRef: "r"})

	latest := decodeInto[model.AccessResult](t, c.must(c.d2, model.TxAccessDocument, readDoc("doc1")))
	require.Equal(t, 3, latest.Version.Version)
	require.Equal(t, 3, latest.Audit.Version)
	require.Equal(t, []model.DocumentVersion{latest.Version}, latest.Document.Versions, "the result carries the version read, not the history")
	first := decodeInto[model.AccessResult](t, c.must(c.d2, model.TxAccessDocument, model.AccessDocumentInput{DocumentID: "doc1", Version: 1}))
	require.Equal(t, []model.DocumentVersion{first.Version}, first.Document.Versions)
	require.Equal(t, c.doc1SHA, first.Version.SHA256)
	require.Equal(t, "sha256:"+c.doc1SHA, first.Version.StorageRef)
	require.Equal(t, 1, first.Audit.Version)
	c.requireDeniedWithoutWrite(c.d2, model.CodeNotFound, model.TxAccessDocument, model.AccessDocumentInput{DocumentID: "doc1", Version: 4})
	c.requireDeniedWithoutWrite(c.d2, model.CodeInvalidArgument, model.TxAccessDocument, model.AccessDocumentInput{DocumentID: "doc1", Version: -1})
	c.requireDeniedWithoutWrite(c.d2, model.CodeNotFound, model.TxAccessDocument, readDoc("nope"))
	_, err := decodeDecision(c, model.AccessDocumentInput{DocumentID: "doc1", Version: 9})
	require.Equal(t, model.CodeNotFound, model.ParseCode(err.Error()))

	refs := decodeInto[model.StorageRefPage](t, c.evaluate(c.admin1, model.TxListStorageRefs, model.PageRequest{}))
	require.Len(t, refs.Items, 3, "one storage reference per version")
	for i, r := range refs.Items {
		require.Equal(t, i+1, r.Version)
		require.False(t, r.Erased)
	}
}

func decodeDecision(c *cast, in model.AccessDocumentInput) (model.AccessDecision, error) {
	o := c.evaluate(c.d2, model.TxCheckAccess, in)
	if o.err != nil {
		return model.AccessDecision{}, o.err
	}
	return decodeInto[model.AccessDecision](c.tb, o), nil
}

func TestADocumentHasAtMostMaxVersions(t *testing.T) {
	c := newCast(t)
	for n := 2; n <= model.MaxVersions; n++ {
		h := sha(fmt.Sprint(n))
		c.must(c.p1, model.TxAddDocumentVersion, model.AddDocumentVersionInput{DocumentID: "doc1", SHA256: h, Size: 1, MediaType: "text/plain", StorageRef: h})
	}
	c.requireDeniedWithoutWrite(c.p1, model.CodeFailedPrecondition, model.TxAddDocumentVersion, model.AddDocumentVersionInput{DocumentID: "doc1", SHA256: sha("x"), Size: 1, MediaType: "text/plain", StorageRef: "x"})
}

func TestErasedDocumentIsRefusedButItsAuditTrailStays(t *testing.T) {
	c := newCast(t)
	c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	c.requireDeniedWithoutWrite(c.dA, model.CodeForbidden, model.TxEraseDocument, "doc1")
	c.requireDeniedWithoutWrite(c.p2, model.CodeForbidden, model.TxEraseDocument, "doc1")
	c.requireDeniedWithoutWrite(c.p1, model.CodeNotFound, model.TxEraseDocument, "nope")
	c.requireDeniedWithoutWrite(c.p1, model.CodeInvalidArgument, model.TxEraseDocument, "")

	o := c.must(c.p1, model.TxEraseDocument, "doc1")
	d := decodeInto[model.Document](t, o)
	require.True(t, d.Erased)
	require.Equal(t, c.now, d.ErasedAt)
	require.Equal(t, o.res.TxID, d.ErasedTxID)
	require.Equal(t, model.DocumentEvent{DocumentID: "doc1", PatientID: "p1", OrgID: "h1", Category: model.CategoryLabResult, Version: 1, By: "p1"},
		eventOf[model.DocumentEvent](t, o, model.EventDocumentErased))

	for _, who := range []string{cPatient, cDoctorConsent} {
		c.requireDeniedWithoutWrite(c.callerOf(who), model.CodeFailedPrecondition, model.TxAccessDocument, readDoc("doc1"))
	}
	// Without a right to read, the answer stays FORBIDDEN: erasure is not disclosed.
	c.requireDeniedWithoutWrite(c.d2n, model.CodeForbidden, model.TxAccessDocument, readDoc("doc1"))
	dec := decodeInto[model.AccessDecision](t, c.evaluate(c.d2, model.TxCheckAccess, readDoc("doc1")))
	require.False(t, dec.Allowed)
	require.Contains(t, dec.Reason, "erased")
	c.requireDeniedWithoutWrite(c.p1, model.CodeFailedPrecondition, model.TxAddDocumentVersion, model.AddDocumentVersionInput{DocumentID: "doc1", SHA256: sha("x"), Size: 1, MediaType: "text/plain", StorageRef: "x"})
	c.requireDeniedWithoutWrite(c.p1, model.CodeFailedPrecondition, model.TxEraseDocument, "doc1")

	log := decodeInto[model.AuditPage](t, c.evaluate(c.p1, model.TxListAccessLog, model.PageRequest{}))
	require.Len(t, log.Items, 1, "the audit trail stays")
	refs := decodeInto[model.StorageRefPage](t, c.evaluate(c.admin1, model.TxListStorageRefs, model.PageRequest{}))
	require.Len(t, refs.Items, 1)
	require.True(t, refs.Items[0].Erased, "the garbage collector learns the blob may go")
	docs := decodeInto[model.DocumentPage](t, c.evaluate(c.p1, model.TxListDocuments, model.ListDocumentsInput{}))
	require.Len(t, docs.Items, 1)
	require.True(t, docs.Items[0].Erased)
}

func TestAccessDocumentAuditsAndEmitsDocumentAccessed(t *testing.T) {
	c := newCast(t)
	o := c.must(c.d2, model.TxAccessDocument, readDoc("doc1"))
	r := decodeInto[model.AccessResult](t, o)
	want := model.AuditEntry{TxID: o.res.TxID, DocumentID: "doc1", Version: 1, PatientID: "p1", AccessorID: "d2", AccessorOrgID: "h2", AccessorRole: model.RoleDoctor, Basis: model.BasisConsent, GrantID: "g-d2", AccessedAt: c.now}
	require.Equal(t, want, r.Audit)
	require.Equal(t, "doc1", r.Document.ID)
	require.Equal(t, "sha256:"+c.doc1SHA, r.Version.StorageRef)
	require.Equal(t, model.DocumentAccessedEvent{TxID: o.res.TxID, DocumentID: "doc1", Version: 1, PatientID: "p1", AccessorID: "d2", Basis: model.BasisConsent, GrantID: "g-d2"},
		eventOf[model.DocumentAccessedEvent](t, o, model.EventDocumentAccessed))
	mine := decodeInto[model.AuditPage](t, c.evaluate(c.d2, model.TxListMyAccesses, model.PageRequest{}))
	require.Equal(t, []model.AuditEntry{want}, mine.Items)
	log := decodeInto[model.AuditPage](t, c.evaluate(c.p1, model.TxListAccessLog, model.PageRequest{}))
	require.Equal(t, []model.AuditEntry{want}, log.Items)
	// Another patient's log does not show it.
	other := decodeInto[model.AuditPage](t, c.evaluate(c.p2, model.TxListAccessLog, model.PageRequest{}))
	require.Empty(t, other.Items)
	require.NotNil(t, other.Items, "an empty page has an empty list, not null")
}

func TestListDocumentsRequiresAPatientIDUnlessTheCallerIsThePatient(t *testing.T) {
	c := newCast(t)
	c.requireDeniedWithoutWrite(c.d2, model.CodeInvalidArgument, model.TxListDocuments, model.ListDocumentsInput{})
	c.requireDeniedWithoutWrite(c.d2, model.CodeInvalidArgument, model.TxListDocuments, model.ListDocumentsInput{PatientID: "bad id"})
	own := decodeInto[model.DocumentPage](t, c.evaluate(c.p1, model.TxListDocuments, model.ListDocumentsInput{}))
	require.Len(t, own.Items, 1)
	require.Empty(t, own.Items[0].Versions[0].StorageRef)
	require.Equal(t, c.doc1SHA, own.Items[0].Versions[0].SHA256)
}
