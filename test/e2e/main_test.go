// Package e2e drives the MedLedger SDK end to end over real gRPC: the
// embedded development network started in process by default, or any
// running network named by environment variables (see README.md):
//
//	MEDLEDGER_CONNECTION  connection file of a running network (unset: embedded network)
//	MEDLEDGER_ORGS        the two hospitals' MSP IDs, comma-separated (default: the file's first two)
//	MEDLEDGER_ADMIN       identity name with the NodeOU admin role in each org (default "admin")
//	MEDLEDGER_USERS       five client identity names present in each org (default "user1,...,user5")
//
// The suite is re-runnable against the same ledger: onboarding steps that an
// earlier run made are found and reused, and every document, grant and
// event it checks carries this run's id.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/sdktest"
)

// Environment variables naming the network and its identities.
const (
	envOrgs  = "MEDLEDGER_ORGS"
	envAdmin = "MEDLEDGER_ADMIN"
	envUsers = "MEDLEDGER_USERS"
)

// member is one stakeholder: a user bound on the ledger and a Client acting
// as its identity.
type member struct {
	user   model.User
	client *sdk.Client
	docs   *sdk.Documents
	mspID  string
	name   string // identity name in the connection file
}

func (m *member) id() string { return m.user.ID }

// world is what every test shares: the network, the consortium, the store.
type world struct {
	net   *sdktest.Network
	runID string
	seq   atomic.Int64
	store *blob.FileStore

	org1, org2 string // MSP IDs
	hosp1      model.Organization
	hosp2      model.Organization

	solAdmin  *member
	h1Admin   *member
	h1Doctor  *member
	h1Patient *member
	h2Admin   *member
	h2Doctor  *member
	h2Doctor2 *member
	h2Patient *member

	// Spare identities for the tests that bind and remove users: a removed
	// binding keeps its identity reserved for good.
	spareSolAdmin ident // org1, becomes solution admin then is removed
	spareOrgAdmin ident // org2, becomes an org admin then is removed
	leaver        ident // org1, registered as doctor then removed
}

type ident struct{ mspID, name string }

var w *world

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "medledger-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// A batch timeout of some milliseconds lets concurrent transactions
	// share a block, as on a busy network, so the MVCC test sees conflicts.
	net, err := sdktest.FromEnv(ctx, tmp, sdktest.DevnetOptions{BatchTimeout: 25 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer net.Close()
	where := "the embedded network"
	if !net.Embedded {
		where = net.ConnectionFile
	}
	fmt.Fprintf(os.Stderr, "e2e: running against %s\n", where)

	w, err = setUp(ctx, net, tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: set-up:", err)
		return 1
	}
	defer w.close()
	return m.Run()
}

func setUp(ctx context.Context, net *sdktest.Network, tmp string) (*world, error) {
	org1, org2 := net.Orgs()
	if v := os.Getenv(envOrgs); v != "" {
		parts := strings.Split(v, ",")
		if len(parts) != 2 {
			return nil, fmt.Errorf("%s=%q: want two MSP IDs", envOrgs, v)
		}
		org1, org2 = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	}
	admin := envOr(envAdmin, sdktest.AdminIdentity)
	users := sdktest.UserIdentities
	if v := os.Getenv(envUsers); v != "" {
		users = strings.Split(v, ",")
		if len(users) != 5 {
			return nil, fmt.Errorf("%s=%q: want five identity names", envUsers, v)
		}
	}
	run := make([]byte, 4)
	_, _ = rand.Read(run)
	store, err := blob.NewFileStore(tmp + "/blobs")
	if err != nil {
		return nil, err
	}
	w := &world{net: net, runID: hex.EncodeToString(run), store: store, org1: org1, org2: org2,
		spareSolAdmin: ident{org1, users[4]}, spareOrgAdmin: ident{org2, users[4]}, leaver: ident{org1, users[3]}}

	connect := func(mspID, name string) (*member, error) {
		c, err := net.Connect(ctx, mspID, name, nil)
		if err != nil {
			return nil, err
		}
		// Plaintext: these members' tests are about hashes, tampering and
		// shared bytes of the content itself; encryption_test.go covers the
		// encrypted deployments (and the default).
		docs, err := sdk.NewDocuments(c, store, sdk.WithoutEncryption(), sdk.WithMaxDocumentSize(8<<20))
		if err != nil {
			return nil, err
		}
		return &member{client: c, docs: docs, mspID: mspID, name: name}, nil
	}
	steps := []struct {
		m          **member
		mspID, who string
	}{
		{&w.solAdmin, org1, admin},
		{&w.h1Admin, org1, users[0]}, {&w.h1Doctor, org1, users[1]}, {&w.h1Patient, org1, users[2]},
		{&w.h2Admin, org2, users[0]}, {&w.h2Doctor, org2, users[1]}, {&w.h2Patient, org2, users[2]}, {&w.h2Doctor2, org2, users[3]},
	}
	for _, s := range steps {
		if *s.m, err = connect(s.mspID, s.who); err != nil {
			return nil, fmt.Errorf("connect %s/%s: %w", s.mspID, s.who, err)
		}
	}

	if w.solAdmin.user, _, err = sdktest.EnsureBootstrapped(ctx, w.solAdmin.client, "sol-admin"); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if w.hosp1, _, err = sdktest.EnsureOrganization(ctx, w.solAdmin.client, model.CreateOrganizationInput{ID: "hosp-1", Name: "Hospital One", MSPID: org1}); err != nil {
		return nil, err
	}
	if w.hosp2, _, err = sdktest.EnsureOrganization(ctx, w.solAdmin.client, model.CreateOrganizationInput{ID: "hosp-2", Name: "Hospital Two", MSPID: org2}); err != nil {
		return nil, err
	}
	if w.h1Admin.user, _, err = sdktest.EnsureOrgAdmin(ctx, w.solAdmin.client, w.h1Admin.client, "h1-admin", w.hosp1.ID); err != nil {
		return nil, err
	}
	if w.h2Admin.user, _, err = sdktest.EnsureOrgAdmin(ctx, w.solAdmin.client, w.h2Admin.client, "h2-admin", w.hosp2.ID); err != nil {
		return nil, err
	}
	for _, u := range []struct {
		admin, m *member
		id       string
		org      string
		role     model.Role
	}{
		{w.h1Admin, w.h1Doctor, "h1-doctor", w.hosp1.ID, model.RoleDoctor},
		{w.h1Admin, w.h1Patient, "h1-patient", w.hosp1.ID, model.RolePatient},
		{w.h2Admin, w.h2Doctor, "h2-doctor", w.hosp2.ID, model.RoleDoctor},
		{w.h2Admin, w.h2Doctor2, "h2-doctor2", w.hosp2.ID, model.RoleDoctor},
		{w.h2Admin, w.h2Patient, "h2-patient", w.hosp2.ID, model.RolePatient},
	} {
		if u.m.user, _, err = sdktest.EnsureUser(ctx, u.admin.client, u.m.client, u.id, u.org, u.role); err != nil {
			return nil, fmt.Errorf("register %s: %w", u.id, err)
		}
	}
	// On a ledger that outlives runs, an earlier run (or the quickstart)
	// may have left consent or emergency access open; the suite starts
	// from patients who have granted nothing.
	for _, p := range []*member{w.h1Patient, w.h2Patient} {
		if err := revokeOpenGrants(ctx, p.client); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func revokeOpenGrants(ctx context.Context, patient *sdk.Client) error {
	var open []string
	p := patient.GrantPages(model.MaxPageSize)
	for p.HasMorePages() {
		grants, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if !g.Revoked && (g.ValidUntil.IsZero() || g.ValidUntil.After(time.Now())) {
				open = append(open, g.ID)
			}
		}
	}
	for _, id := range open {
		if _, err := patient.RevokeConsent(ctx, id); err != nil {
			return fmt.Errorf("revoke grant %s left by an earlier run: %w", id, err)
		}
	}
	return nil
}

func (w *world) close() {
	for _, m := range []*member{w.solAdmin, w.h1Admin, w.h1Doctor, w.h1Patient, w.h2Admin, w.h2Doctor, w.h2Doctor2, w.h2Patient} {
		if m != nil {
			_ = m.client.Close()
		}
	}
}

// id returns a new id unique to this run (and to each call), so that
// reruns on one ledger, and -count=N, never collide.
func (w *world) id(prefix string) string {
	return fmt.Sprintf("%s-%s-%d", prefix, w.runID, w.seq.Add(1))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
