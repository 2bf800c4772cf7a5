// Command quickstart plays MedLedger's story with its four stakeholders,
// printing each step: the solution admin onboards two hospitals and their
// admins; the admins register a doctor and a patient; the patient uploads a
// lab result; a doctor of the other hospital is refused, then granted
// consent and downloads it with its hash verified; the patient reads the
// access log and revokes the consent; the doctor is refused again and opens
// emergency access, which the patient, recovered, ends.
//
// Contents are encrypted at rest, as the SDK does by default; the keys go to
// a temporary folder unless -keys names one (keep it with -blobs, or the
// blobs cannot be read again).
//
// By default it starts the embedded development network in process:
//
//	go run ./examples/quickstart
//
// With -connection it runs the same story against a running network
// (network/fabric writes the file); it needs, in each of the first two
// organisations, the identities "admin" (NodeOU admin) and user1 to user3:
//
//	go run ./examples/quickstart -connection network/fabric/work/connection.json
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/sdktest"
)

func main() {
	connection := flag.String("connection", "", "connection file of a running network (default: start the embedded network in process)")
	blobs := flag.String("blobs", "", "folder for document contents (default: a temporary folder, removed at the end)")
	keys := flag.String("keys", "", "folder for the encryption keyset and wrapped data keys, apart from the blobs (default: a temporary folder, removed at the end)")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *connection, *blobs, *keys, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "\nquickstart failed:", err)
		os.Exit(1)
	}
}

// story holds the cast as the ledger knows them, and what happened so far.
type story struct {
	out  io.Writer
	step int

	net    *sdktest.Network
	store  blob.Store
	keyDir string

	sol, admin1, admin2 *sdk.Client
	doctor1, patient    *actor
	doctor2             *actor
	hosp1, hosp2        model.Organization
}

// actor is a user with a client and the document flow.
type actor struct {
	model.User
	c    *sdk.Client
	docs *sdk.Documents
}

// run plays the story. Contents are encrypted at rest, as the SDK does by
// default, with the keyset and wrapped keys in keyDir rather than the
// user's configuration folder.
func run(ctx context.Context, connection, blobDir, keyDir string, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "medledger-quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if blobDir == "" {
		blobDir = filepath.Join(tmp, "blobs")
	}
	store, err := blob.NewFileStore(blobDir)
	if err != nil {
		return err
	}
	if keyDir == "" {
		keyDir = filepath.Join(tmp, "keys")
	}

	var net *sdktest.Network
	if connection == "" {
		if net, err = sdktest.StartDevnet(ctx, filepath.Join(tmp, "devnet"), sdktest.DevnetOptions{}); err != nil {
			return err
		}
		fmt.Fprintf(out, "MedLedger quickstart on the embedded network (%s, orgs %s)\n",
			net.Profile.Endpoint, strings.Join(net.Profile.MSPIDs(), ", "))
	} else {
		if net, err = sdktest.Open(connection); err != nil {
			return err
		}
		fmt.Fprintf(out, "MedLedger quickstart on %s (orgs %s)\n", connection, strings.Join(net.Profile.MSPIDs(), ", "))
	}
	defer net.Close()
	fmt.Fprintf(out, "Document contents go to %s, encrypted (keys in %s); the ledger keeps their hashes.\n", blobDir, keyDir)

	s := &story{out: out, net: net, store: store, keyDir: keyDir}
	defer s.close()
	for _, step := range []func(context.Context) error{
		s.onboardHospitals, s.registerStaff, s.uploadLabResult, s.refuseOtherHospital,
		s.grantConsent, s.downloadVerified, s.readAccessLog, s.revoke, s.breakGlass, s.endEmergency,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nDone: every read above is on the ledger's audit trail, and every refusal left no trace.\n")
	return nil
}

func (s *story) connect(ctx context.Context, mspID, name string) (*sdk.Client, error) {
	return s.net.Connect(ctx, mspID, name, nil)
}

func (s *story) close() {
	for _, c := range []*sdk.Client{s.sol, s.admin1, s.admin2} {
		if c != nil {
			_ = c.Close()
		}
	}
	for _, a := range []*actor{s.doctor1, s.doctor2, s.patient} {
		if a != nil {
			_ = a.c.Close()
		}
	}
}

func (s *story) title(format string, args ...any) {
	s.step++
	fmt.Fprintf(s.out, "\n%d. %s\n", s.step, fmt.Sprintf(format, args...))
}

func (s *story) ok(format string, args ...any) {
	fmt.Fprintf(s.out, "   ✓ %s\n", fmt.Sprintf(format, args...))
}

func (s *story) refused(err error, format string, args ...any) {
	fmt.Fprintf(s.out, "   ✗ %s\n     %s\n", fmt.Sprintf(format, args...), chaincodeReason(err))
}

// chaincodeReason is the chaincode's own words, without the transaction id.
func chaincodeReason(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		msg := e.Error()
		if i := strings.Index(msg, string(e.Code)+": "); e.Code != "" && i >= 0 {
			return msg[i:]
		}
	}
	return err.Error()
}

func created(isNew bool) string {
	if isNew {
		return ""
	}
	return " (already on the ledger)"
}

func (s *story) onboardHospitals(ctx context.Context) error {
	org1, org2 := s.net.Orgs()
	s.title("The solution admin onboards two hospitals and their admins")
	var err error
	if s.sol, err = s.connect(ctx, org1, sdktest.AdminIdentity); err != nil {
		return err
	}
	u, isNew, err := sdktest.EnsureBootstrapped(ctx, s.sol, "sol-admin")
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	s.ok("%s is the solution admin (%s admin certificate)%s", u.ID, org1, created(isNew))
	for _, h := range []struct {
		org   *model.Organization
		in    model.CreateOrganizationInput
		admin **sdk.Client
		id    string
	}{
		{&s.hosp1, model.CreateOrganizationInput{ID: "hosp-1", Name: "St. Mary's Hospital", MSPID: org1}, &s.admin1, "h1-admin"},
		{&s.hosp2, model.CreateOrganizationInput{ID: "hosp-2", Name: "Riverside Clinic", MSPID: org2}, &s.admin2, "h2-admin"},
	} {
		if *h.org, isNew, err = sdktest.EnsureOrganization(ctx, s.sol, h.in); err != nil {
			return err
		}
		s.ok("hospital %s %q, members of %s%s", h.org.ID, h.org.Name, h.org.MSPID, created(isNew))
		if *h.admin, err = s.connect(ctx, h.org.MSPID, "user1"); err != nil {
			return err
		}
		if u, isNew, err = sdktest.EnsureOrgAdmin(ctx, s.sol, *h.admin, h.id, h.org.ID); err != nil {
			return err
		}
		s.ok("%s administers %s%s", u.ID, h.org.ID, created(isNew))
	}
	return nil
}

func (s *story) registerStaff(ctx context.Context) error {
	s.title("The hospital admins register a doctor each, and a patient")
	for _, r := range []struct {
		who   **actor
		admin *sdk.Client
		org   model.Organization
		ident string
		id    string
		role  model.Role
	}{
		{&s.doctor1, s.admin1, s.hosp1, "user2", "dr-adams", model.RoleDoctor},
		{&s.patient, s.admin1, s.hosp1, "user3", "alice", model.RolePatient},
		{&s.doctor2, s.admin2, s.hosp2, "user2", "dr-baker", model.RoleDoctor},
	} {
		c, err := s.connect(ctx, r.org.MSPID, r.ident)
		if err != nil {
			return err
		}
		u, isNew, err := sdktest.EnsureUser(ctx, r.admin, c, r.id, r.org.ID, r.role)
		if err != nil {
			return fmt.Errorf("register %s: %w", r.id, err)
		}
		docs, err := sdk.NewDocuments(c, s.store, sdk.WithKeyDir(s.keyDir))
		if err != nil {
			return err
		}
		*r.who = &actor{User: u, c: c, docs: docs}
		s.ok("%s, %s at %s%s", u.ID, u.Role, u.OrgID, created(isNew))
	}
	return nil
}

// docID is this run's lab result; a run-unique id lets the story be played
// again on a network that keeps its ledger.
var docID = "lab-" + time.Now().UTC().Format("20060102-150405")

var labResult = []byte(`Haemoglobin 13.9 g/dL (13.0-17.0)
Leukocytes  6.1 10^9/L (4.0-10.0)
Platelets   250 10^9/L (150-400)
`)

func (s *story) uploadLabResult(ctx context.Context) error {
	s.title("%s uploads a lab result", s.patient.ID)
	doc, err := s.patient.docs.Upload(ctx, sdk.NewDocument{
		DocumentID: docID, PatientID: s.patient.ID, Category: model.CategoryLabResult,
		MediaType: "text/plain", Content: bytes.NewReader(labResult),
	})
	if err != nil {
		return err
	}
	v := doc.Latest()
	s.ok("%s v%d registered: %d bytes %s, sha256 %s…", doc.ID, v.Version, v.Size, v.MediaType, v.SHA256[:16])
	s.ok("contents stored off the ledger as %s…", v.StorageRef[:23])
	return s.showEncrypted(ctx, v)
}

// showEncrypted reads the stored bytes back, to show that the store holds
// ciphertext and that the ledger's hash is over it, not over the plaintext.
func (s *story) showEncrypted(ctx context.Context, v model.DocumentVersion) error {
	rc, err := s.store.Get(ctx, v.StorageRef)
	if err != nil {
		return err
	}
	defer rc.Close()
	stored, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	plainSum := sha256.Sum256(labResult)
	storedSum := sha256.Sum256(stored)
	if bytes.Contains(stored, labResult[:20]) || hex.EncodeToString(storedSum[:]) != v.SHA256 || hex.EncodeToString(plainSum[:]) == v.SHA256 {
		return errors.New("the stored bytes are not the ciphertext the ledger's hash is over")
	}
	s.ok("encrypted at rest: the store holds %d bytes of ciphertext, not the %d-byte text; the ledger's sha256 is over the ciphertext (the text's is %s…)",
		len(stored), len(labResult), hex.EncodeToString(plainSum[:])[:16])
	return nil
}

func (s *story) refuseOtherHospital(ctx context.Context) error {
	s.title("%s of %s asks to read it", s.doctor2.ID, s.hosp2.ID)
	_, err := s.doctor2.docs.Open(ctx, docID, 0)
	if !errors.Is(err, sdk.ErrForbidden) {
		return fmt.Errorf("expected a refusal, got %v", err)
	}
	s.refused(err, "refused before a byte was read, and nothing was written to the audit trail")
	return nil
}

var grantID, emergencyID string

func (s *story) grantConsent(ctx context.Context) error {
	s.title("%s grants %s consent to read her lab results for treatment, for 24 hours", s.patient.ID, s.doctor2.ID)
	g, err := s.patient.c.GrantConsent(ctx, model.GrantConsentInput{
		Grantee:    model.Grantee{Type: model.GranteeUser, ID: s.doctor2.ID},
		Scope:      model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryLabResult}},
		Actions:    []model.Action{model.ActionRead},
		Purpose:    model.PurposeTreatment,
		ValidUntil: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		return err
	}
	grantID = g.ID
	s.ok("grant %s… valid until %s", g.ID[:12], g.ValidUntil.Format(time.RFC1123))
	return nil
}

func (s *story) downloadVerified(ctx context.Context) error {
	s.title("%s downloads the lab result", s.doctor2.ID)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("medledger-%s.txt", docID))
	defer os.Remove(path)
	access, err := s.doctor2.docs.Download(ctx, docID, 0, path)
	if err != nil {
		return err
	}
	got, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s.ok("access granted on the basis of %s (grant %s…), audited in tx %s…", access.Audit.Basis, access.Audit.GrantID[:12], access.Audit.TxID[:12])
	s.ok("%d bytes written to %s, sha256 matches the ledger", len(got), path)
	for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		fmt.Fprintf(s.out, "       | %s\n", line)
	}
	return nil
}

func (s *story) readAccessLog(ctx context.Context) error {
	s.title("%s reads who accessed her lab result", s.patient.ID)
	p := s.patient.c.AccessLogPages(0)
	for p.HasMorePages() {
		entries, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.DocumentID != docID {
				continue // earlier runs on a network that keeps its ledger
			}
			s.ok("%s  %s (%s, %s) read %s v%d on the basis of %s",
				e.AccessedAt.Format("15:04:05"), e.AccessorID, e.AccessorRole, e.AccessorOrgID, e.DocumentID, e.Version, e.Basis)
		}
	}
	return nil
}

func (s *story) revoke(ctx context.Context) error {
	s.title("%s revokes the consent; %s asks again", s.patient.ID, s.doctor2.ID)
	g, err := s.patient.c.RevokeConsent(ctx, grantID)
	if err != nil {
		return err
	}
	s.ok("grant %s… revoked at %s", g.ID[:12], g.RevokedAt.Format("15:04:05"))
	_, err = s.doctor2.docs.Open(ctx, docID, 0)
	if !errors.Is(err, sdk.ErrForbidden) {
		return fmt.Errorf("expected a refusal, got %v", err)
	}
	s.refused(err, "refused again")
	return nil
}

func (s *story) breakGlass(ctx context.Context) error {
	s.title("%s is brought in unconscious; %s opens emergency access for one hour", s.patient.ID, s.doctor2.ID)
	g, err := s.doctor2.c.OpenEmergencyAccess(ctx, s.patient.ID, model.EmergencyUnconsciousPatient, time.Hour)
	if err != nil {
		return err
	}
	emergencyID = g.ID
	s.ok("emergency grant %s… (%s) until %s, visible to %s", g.ID[:12], g.EmergencyReason, g.ValidUntil.Format("15:04:05"), s.patient.ID)
	r, err := s.doctor2.docs.Open(ctx, docID, 0)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	s.ok("read %d bytes on the basis of %s, verified and audited", n, r.Access().Audit.Basis)
	return nil
}

func (s *story) endEmergency(ctx context.Context) error {
	s.title("%s, recovered, sees the emergency access in her grants and ends it", s.patient.ID)
	p := s.patient.c.GrantPages(0)
	for p.HasMorePages() {
		grants, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if g.ID == emergencyID {
				s.ok("%s grant %s… by %s, reason %s", g.Kind, g.ID[:12], g.GrantedBy, g.EmergencyReason)
			}
		}
	}
	g, err := s.patient.c.RevokeConsent(ctx, emergencyID)
	if err != nil {
		return err
	}
	s.ok("ended at %s", g.RevokedAt.Format("15:04:05"))
	return nil
}
