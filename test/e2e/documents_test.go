package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/stretchr/testify/require"
)

func content(label string) []byte {
	return []byte(strings.Repeat("MedLedger test content: "+label+"\n", 500))
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func upload(t *testing.T, m *member, docID, patientID string, cat model.Category, body []byte) model.Document {
	t.Helper()
	doc, err := m.docs.Upload(testCtx(t), sdk.NewDocument{
		DocumentID: docID, PatientID: patientID, Category: cat,
		MediaType: "text/plain", Content: bytes.NewReader(body), Size: int64(len(body)),
	})
	require.NoError(t, err)
	return doc
}

func readAll(t *testing.T, m *member, docID string, version int) ([]byte, model.AccessResult) {
	t.Helper()
	r, err := m.docs.Open(testCtx(t), docID, version)
	require.NoError(t, err)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b, r.Access()
}

func stored(t *testing.T) map[string]bool {
	t.Helper()
	refs := map[string]bool{}
	require.NoError(t, w.store.Walk(testCtx(t), func(o blob.Object) error { refs[o.Ref] = true; return nil }))
	return refs
}

// countingStore counts Gets, to show that a denied read never reaches the store.
type countingStore struct {
	blob.Store
	gets atomic.Int32
}

func (s *countingStore) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	s.gets.Add(1)
	return s.Store.Get(ctx, ref)
}

func TestConsentGovernsWhoReadsADocument(t *testing.T) {
	ctx := testCtx(t)
	patient, doctor := w.h1Patient, w.h2Doctor // a doctor of the other hospital
	docID := w.id("lab")
	body := content(docID)

	doc := upload(t, patient, docID, patient.id(), model.CategoryLabResult, body)
	require.Equal(t, patient.id(), doc.PatientID)
	require.Equal(t, w.hosp1.ID, doc.OrgID)
	require.Len(t, doc.Versions, 1)
	require.Equal(t, hexSHA(body), doc.Versions[0].SHA256)
	require.Equal(t, int64(len(body)), doc.Versions[0].Size)

	// Without consent the other hospital's doctor is refused, and the store
	// is never asked for the bytes.
	decision, err := doctor.client.CheckAccess(ctx, docID, 0)
	require.NoError(t, err)
	require.False(t, decision.Allowed)
	require.NotEmpty(t, decision.Reason)
	counting := &countingStore{Store: w.store}
	guarded, err := sdk.NewDocuments(doctor.client, counting, sdk.WithoutEncryption())
	require.NoError(t, err)
	_, err = guarded.Open(ctx, docID, 0)
	require.ErrorIs(t, err, sdk.ErrForbidden)
	require.Zero(t, counting.gets.Load())
	_, err = doctor.docs.Download(ctx, docID, 0, filepath.Join(t.TempDir(), "never"))
	require.ErrorIs(t, err, sdk.ErrForbidden)
	logBefore := collect(t, patient.client.AccessLogPages(0))

	// The patient grants consent to that doctor for lab results.
	grant, err := patient.client.GrantConsent(ctx, model.GrantConsentInput{
		Grantee: model.Grantee{Type: model.GranteeUser, ID: doctor.id()},
		Scope:   model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryLabResult}},
		Actions: []model.Action{model.ActionRead}, Purpose: model.PurposeTreatment,
		ValidUntil: time.Now().Add(24 * time.Hour),
	})
	require.NoError(t, err)
	require.Equal(t, model.GrantConsent, grant.Kind)
	require.NotEmpty(t, grant.ID)
	require.Equal(t, grant.TxID, grant.ID, "without a grant id the transaction id names the grant")
	require.Contains(t, grantIDs(collect(t, patient.client.GrantPages(0))), grant.ID)
	require.Contains(t, grantIDs(collect(t, doctor.client.ReceivedGrantPages(model.GranteeUser, 0))), grant.ID)

	decision, err = doctor.client.CheckAccess(ctx, docID, 0)
	require.NoError(t, err)
	require.True(t, decision.Allowed)
	require.Equal(t, model.BasisConsent, decision.Basis)
	require.Equal(t, grant.ID, decision.GrantID)

	listed := collect(t, doctor.client.DocumentPages(patient.id(), 0))
	require.Contains(t, docIDs(listed), docID)
	for _, d := range listed {
		for _, v := range d.Versions {
			require.Empty(t, v.StorageRef, "a listing hands out no storage reference")
		}
	}

	got, access := readAll(t, doctor, docID, 0)
	require.Equal(t, body, got)
	require.Equal(t, doctor.id(), access.Audit.AccessorID)
	require.Equal(t, model.BasisConsent, access.Audit.Basis)
	path := filepath.Join(t.TempDir(), "lab.txt")
	_, err = doctor.docs.Download(ctx, docID, 0, path)
	require.NoError(t, err)
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, body, onDisk)

	// The patient sees both reads in the access log; the doctor in theirs.
	logAfter := collect(t, patient.client.AccessLogPages(0))
	require.Len(t, logAfter, len(logBefore)+2, "each read is audited once; the refusals wrote nothing")
	last := logAfter[len(logAfter)-1]
	require.Equal(t, docID, last.DocumentID)
	require.Equal(t, doctor.id(), last.AccessorID)
	require.Equal(t, w.hosp2.ID, last.AccessorOrgID)
	mine := collect(t, doctor.client.MyAccessPages(0))
	require.Equal(t, last.TxID, mine[len(mine)-1].TxID)

	// Revoked, the consent no longer opens the document.
	revoked, err := patient.client.RevokeConsent(ctx, grant.ID)
	require.NoError(t, err)
	require.True(t, revoked.Revoked)
	_, err = doctor.docs.Open(ctx, docID, 0)
	require.ErrorIs(t, err, sdk.ErrForbidden)
	_, err = patient.client.RevokeConsent(ctx, grant.ID)
	require.ErrorIs(t, err, sdk.ErrFailedPrecondition)
	_, err = w.h2Patient.client.RevokeConsent(ctx, grant.ID)
	require.Error(t, err, "another patient cannot touch the grant")

	// Break-glass: the doctor opens emergency access, which the patient sees.
	em, err := doctor.client.OpenEmergencyAccess(ctx, patient.id(), model.EmergencyUnconsciousPatient, time.Hour)
	require.NoError(t, err)
	require.Equal(t, model.GrantEmergency, em.Kind)
	require.Equal(t, em.TxID, em.ID)
	got, access = readAll(t, doctor, docID, 0)
	require.Equal(t, body, got)
	require.Equal(t, model.BasisEmergency, access.Audit.Basis)
	require.Equal(t, em.ID, access.Audit.GrantID)
	require.Contains(t, grantIDs(collect(t, patient.client.GrantPages(0))), em.ID)
	_, err = patient.client.RevokeConsent(ctx, em.ID)
	require.NoError(t, err, "the patient may end an emergency access")
	_, err = patient.client.OpenEmergencyAccess(ctx, patient.id(), model.EmergencyLifeThreatening, time.Hour)
	require.ErrorIs(t, err, sdk.ErrForbidden, "only doctors break the glass")
}

func TestOrganizationConsentCoversEveryDoctorOfThatHospital(t *testing.T) {
	ctx := testCtx(t)
	patient := w.h1Patient
	docID := w.id("imaging")
	body := content(docID)
	upload(t, patient, docID, patient.id(), model.CategoryImaging, body)

	grantID := w.id("org-grant")
	g, err := patient.client.GrantConsent(ctx, model.GrantConsentInput{
		GrantID: grantID,
		Grantee: model.Grantee{Type: model.GranteeOrganization, ID: w.hosp2.ID},
		Scope:   model.Scope{Type: model.ScopeDocuments, DocumentIDs: []string{docID}},
		Actions: []model.Action{model.ActionRead}, Purpose: model.PurposeTreatment,
	})
	require.NoError(t, err)
	require.Equal(t, grantID, g.ID)
	for _, d := range []*member{w.h2Doctor, w.h2Doctor2} {
		got, _ := readAll(t, d, docID, 0)
		require.Equal(t, body, got)
		require.Contains(t, grantIDs(collect(t, d.client.ReceivedGrantPages(model.GranteeOrganization, 0))), g.ID)
	}
	_, err = w.h2Patient.docs.Open(ctx, docID, 0)
	require.ErrorIs(t, err, sdk.ErrForbidden, "an organisation grant is for its doctors, not its patients")
	_, err = patient.client.GrantConsent(ctx, model.GrantConsentInput{
		GrantID: g.ID, Grantee: g.Grantee, Scope: g.Scope, Actions: g.Actions, Purpose: g.Purpose,
	})
	require.ErrorIs(t, err, sdk.ErrAlreadyExists)
}

func TestVersionsAreAddedAndReadByNumber(t *testing.T) {
	ctx := testCtx(t)
	doctor, patient := w.h1Doctor, w.h1Patient
	docID := w.id("note")
	v1, v2 := content(docID+" v1"), content(docID+" v2")

	doc := upload(t, doctor, docID, patient.id(), model.CategoryClinicalNote, v1)
	require.Equal(t, doctor.id(), doc.AuthorID, "a doctor of the patient's hospital writes without consent")
	doc, err := doctor.docs.AddVersion(ctx, sdk.NewVersion{DocumentID: docID, MediaType: "text/markdown", Content: bytes.NewReader(v2)})
	require.NoError(t, err)
	require.Len(t, doc.Versions, 2)
	require.Equal(t, 2, doc.Latest().Version)
	require.Equal(t, "text/markdown", doc.Latest().MediaType)

	got, access := readAll(t, patient, docID, 1)
	require.Equal(t, v1, got)
	require.Equal(t, 1, access.Version.Version)
	got, access = readAll(t, patient, docID, 0)
	require.Equal(t, v2, got)
	require.Equal(t, 2, access.Version.Version)
	_, err = patient.docs.Open(ctx, docID, 3)
	require.ErrorIs(t, err, sdk.ErrNotFound)

	_, err = w.h2Doctor.docs.AddVersion(ctx, sdk.NewVersion{DocumentID: docID, MediaType: "text/plain", Content: bytes.NewReader(content("intruder"))})
	require.ErrorIs(t, err, sdk.ErrForbidden)
}

func TestErasedDocumentIsRefusedAndItsBlobsAreGone(t *testing.T) {
	ctx := testCtx(t)
	patient := w.h1Patient
	docID := w.id("erase-me")
	doc := upload(t, patient, docID, patient.id(), model.CategoryOther, content(docID))
	ref := doc.Versions[0].StorageRef
	require.True(t, stored(t)[ref])

	_, err := w.h1Doctor.docs.Erase(ctx, docID)
	require.ErrorIs(t, err, sdk.ErrForbidden, "only the patient erases")
	erased, err := patient.docs.Erase(ctx, docID)
	require.NoError(t, err)
	require.True(t, erased.Erased)
	require.NotEmpty(t, erased.ErasedTxID)
	require.False(t, stored(t)[ref], "the blob is deleted")

	_, err = patient.docs.Open(ctx, docID, 0)
	require.ErrorIs(t, err, sdk.ErrFailedPrecondition)
	_, err = patient.client.EraseDocument(ctx, docID)
	require.ErrorIs(t, err, sdk.ErrFailedPrecondition)
}

func TestTamperedBlobFailsTheDownload(t *testing.T) {
	ctx := testCtx(t)
	patient := w.h1Patient
	docID := w.id("tamper")
	body := content(docID)
	doc := upload(t, patient, docID, patient.id(), model.CategoryPrescription, body)
	h, err := blob.ParseRef(doc.Versions[0].StorageRef)
	require.NoError(t, err)
	file := filepath.Join(w.store.Dir(), h)

	// Flip one byte of the stored file, as a disk fault or an attacker would.
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 0x20
	require.NoError(t, os.WriteFile(file, raw, 0o600))

	r, err := patient.docs.Open(ctx, docID, 0)
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, sdk.ErrIntegrity, "the reader reports the mismatch no later than EOF")
	require.NoError(t, r.Close())

	dir := t.TempDir()
	target := filepath.Join(dir, "prescription.txt")
	_, err = patient.docs.Download(ctx, docID, 0, target)
	require.ErrorIs(t, err, sdk.ErrIntegrity)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "neither the file nor a temporary file is left")

	// A truncated blob fails too.
	require.NoError(t, os.WriteFile(file, raw[:len(raw)-10], 0o600))
	_, err = patient.docs.Download(ctx, docID, 0, target)
	require.ErrorIs(t, err, sdk.ErrIntegrity)
	require.NoFileExists(t, target)
}

func TestRefusedRegistrationLeavesNoOrphanBlob(t *testing.T) {
	ctx := testCtx(t)
	before := stored(t)

	// Refused by the chaincode: a doctor of another hospital without consent.
	orphanID := w.id("orphan")
	fresh := content(orphanID)
	_, err := w.h2Doctor.docs.Upload(ctx, sdk.NewDocument{
		DocumentID: orphanID, PatientID: w.h1Patient.id(), Category: model.CategoryReferral,
		MediaType: "text/plain", Content: bytes.NewReader(fresh),
	})
	require.ErrorIs(t, err, sdk.ErrForbidden)
	require.Equal(t, before, stored(t), "the blob written before the refusal is gone")

	// Refused as a duplicate id, with new content.
	existing := w.id("dup")
	upload(t, w.h1Patient, existing, w.h1Patient.id(), model.CategoryOther, content(existing))
	before = stored(t)
	_, err = w.h1Patient.docs.Upload(ctx, sdk.NewDocument{
		DocumentID: existing, PatientID: w.h1Patient.id(), Category: model.CategoryOther,
		MediaType: "text/plain", Content: bytes.NewReader(content(existing + " other")),
	})
	require.ErrorIs(t, err, sdk.ErrAlreadyExists)
	require.Equal(t, before, stored(t))

	// Refused, but with bytes another record already references: they stay.
	same := content(existing)
	_, err = w.h1Patient.docs.Upload(ctx, sdk.NewDocument{
		DocumentID: existing, PatientID: w.h1Patient.id(), Category: model.CategoryOther,
		MediaType: "text/plain", Content: bytes.NewReader(same),
	})
	require.ErrorIs(t, err, sdk.ErrAlreadyExists)
	require.Equal(t, before, stored(t))
	got, _ := readAll(t, w.h1Patient, existing, 0)
	require.Equal(t, same, got, "the earlier record's content is intact")
}

func TestBadUploadsAreRefusedBeforeAnythingIsStored(t *testing.T) {
	ctx := testCtx(t)
	p := w.h1Patient
	before := stored(t)
	small, err := sdk.NewDocuments(p.client, w.store, sdk.WithoutEncryption(), sdk.WithMaxDocumentSize(1000))
	require.NoError(t, err)
	badID := w.id("bad")
	valid := sdk.NewDocument{DocumentID: badID, PatientID: p.id(), Category: model.CategoryOther, MediaType: "text/plain"}
	for name, tc := range map[string]struct {
		docs *sdk.Documents
		edit func(*sdk.NewDocument)
	}{
		"unknown category": {p.docs, func(d *sdk.NewDocument) { d.Category = "horoscope" }},
		"empty content":    {p.docs, func(d *sdk.NewDocument) { d.Content = bytes.NewReader(nil) }},
		"declared too big": {small, func(d *sdk.NewDocument) { d.Size = 1001 }},
		"streamed too big": {small, func(d *sdk.NewDocument) { d.Content = bytes.NewReader(make([]byte, 1001)) }},
		"size mismatch":    {p.docs, func(d *sdk.NewDocument) { d.Size = 5 }},
		"bad document id":  {p.docs, func(d *sdk.NewDocument) { d.DocumentID = "../etc/passwd" }},
		"bad patient id":   {p.docs, func(d *sdk.NewDocument) { d.PatientID = "" }},
		"bad media type":   {p.docs, func(d *sdk.NewDocument) { d.MediaType = "Text/Plain; charset=utf-8" }},
		"no content":       {p.docs, func(d *sdk.NewDocument) { d.Content = nil }},
	} {
		t.Run(name, func(t *testing.T) {
			d := valid
			d.Content = bytes.NewReader([]byte("some content"))
			tc.edit(&d)
			_, err := tc.docs.Upload(ctx, d)
			require.ErrorIs(t, err, sdk.ErrInvalidArgument)
			require.Equal(t, before, stored(t))
		})
	}
	_, err = p.client.GetUser(ctx, p.id())
	require.NoError(t, err)
	_, err = p.docs.Open(ctx, badID, 0)
	require.ErrorIs(t, err, sdk.ErrNotFound, "nothing was registered either")
}

func TestHospitalAdminListsStorageRefsForGarbageCollection(t *testing.T) {
	ctx := testCtx(t)
	gcID := w.id("gc")
	doc := upload(t, w.h1Patient, gcID, w.h1Patient.id(), model.CategoryVaccination, content(gcID))
	refs := collect(t, w.h1Admin.client.StorageRefPages(0))
	var found bool
	for _, r := range refs {
		if r.DocumentID == doc.ID {
			found = true
			require.Equal(t, doc.Versions[0].StorageRef, r.StorageRef)
			require.Equal(t, doc.Versions[0].SHA256, r.SHA256)
		}
	}
	require.True(t, found)
	_, err := w.h1Patient.client.ListStorageRefs(ctx, model.PageRequest{})
	require.ErrorIs(t, err, sdk.ErrForbidden)
	for _, r := range collect(t, w.h2Admin.client.StorageRefPages(0)) {
		require.NotEqual(t, doc.ID, r.DocumentID, "a hospital sees its own references only")
	}
}

func TestPaginationWalksSeveralPages(t *testing.T) {
	patient := w.h2Patient
	var want []string
	for i := range 7 {
		id := w.id("page") + "-" + string(rune('a'+i))
		upload(t, patient, id, patient.id(), model.CategoryOther, content(id))
		want = append(want, id)
	}
	p := patient.client.DocumentPages("", 3)
	var seen []string
	pages := 0
	for p.HasMorePages() {
		docs, err := p.NextPage(testCtx(t))
		require.NoError(t, err)
		require.LessOrEqual(t, len(docs), 3)
		seen = append(seen, docIDs(docs)...)
		pages++
	}
	require.GreaterOrEqual(t, pages, 3)
	require.Subset(t, seen, want)
	require.Len(t, seen, len(uniq(seen)), "no document twice")
}

func grantIDs(gs []model.Grant) []string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	return ids
}

func docIDs(ds []model.Document) []string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

func uniq(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}
