package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
	"github.com/medledger/medledger/sdk/blob"
	"github.com/medledger/medledger/sdk/sdktest"
)

// The embedded network runs in process; the same calls work against any
// network's connection file.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "medledger-example-")
	defer os.RemoveAll(dir)
	net, err := sdktest.StartDevnet(ctx, dir, sdktest.DevnetOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()

	profile, err := sdk.LoadConnectionProfile(net.ConnectionFile)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := profile.Config("Org1MSP", "admin")
	if err != nil {
		log.Fatal(err)
	}
	c, err := sdk.Connect(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.WhoAmI(ctx); errors.Is(err, sdk.ErrForbidden) {
		fmt.Println("not bound yet")
	}
	admin, err := c.Bootstrap(ctx, "sol-admin")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(admin.ID, admin.Role)

	_, err = c.Bootstrap(ctx, "sol-admin-2")
	fmt.Println(errors.Is(err, sdk.ErrFailedPrecondition))
	var endorseErr *client.EndorseError
	fmt.Println(errors.As(err, &endorseErr))
	// Output:
	// not bound yet
	// sol-admin solution_admin
	// true
	// true
}

func ExampleConnect() {
	ctx := context.Background()
	c, err := sdk.Connect(ctx, sdk.Config{
		Endpoint:           "127.0.0.1:7051",
		TLSCACertPath:      "organizations/peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem",
		ServerNameOverride: "peer0.org1.example.com",
		MSPID:              "Org1MSP",
		MSPDir:             "organizations/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp",
		// Channel and Chaincode default to "mychannel" and "medledger".
		EndorseTimeout: 30 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

func ExampleClient_GrantConsent() {
	ctx := context.Background()
	var patient *sdk.Client // connected as a patient

	g, err := patient.GrantConsent(ctx, model.GrantConsentInput{
		Grantee:    model.Grantee{Type: model.GranteeUser, ID: "dr-baker"},
		Scope:      model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryLabResult}},
		Actions:    []model.Action{model.ActionRead},
		Purpose:    model.PurposeTreatment,
		ValidUntil: time.Now().Add(24 * time.Hour),
	})
	switch {
	case errors.Is(err, sdk.ErrForbidden):
		log.Fatal("only a patient grants consent")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("grant", g.ID)
}

func ExamplePaginator() {
	ctx := context.Background()
	var patient *sdk.Client // connected as a patient

	p := patient.AccessLogPages(50)
	for p.HasMorePages() {
		entries, err := p.NextPage(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range entries {
			fmt.Println(e.AccessedAt, e.AccessorID, e.DocumentID, e.Basis)
		}
	}
}

func ExampleDocuments_Upload() {
	ctx := context.Background()
	var patient *sdk.Client // connected as a patient
	store, err := blob.NewFileStore("/var/lib/medledger/blobs")
	if err != nil {
		log.Fatal(err)
	}
	// Encrypted at rest by default, with the keyset and wrapped keys under
	// sdk.DefaultKeyDir(); sdk.WithKeyDir, sdk.WithEncryption (a KMS) or
	// sdk.WithoutEncryption change that.
	docs, err := sdk.NewDocuments(patient, store)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Open("blood-count.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	doc, err := docs.Upload(ctx, sdk.NewDocument{
		DocumentID: "lab-2026-001", PatientID: "alice", Category: model.CategoryLabResult,
		MediaType: "application/pdf", Content: f,
	})
	if err != nil {
		log.Fatal(err) // nothing is left stored
	}
	fmt.Println(doc.Latest().SHA256)
}

func ExampleDocuments_Download() {
	ctx := context.Background()
	var docs *sdk.Documents // for a doctor with consent

	access, err := docs.Download(ctx, "lab-2026-001", 0, "blood-count.pdf")
	switch {
	case errors.Is(err, sdk.ErrForbidden):
		log.Fatal("no consent: nothing was read, nothing audited")
	case errors.Is(err, sdk.ErrIntegrity):
		log.Fatal("stored bytes differ from the ledger: blood-count.pdf was not written")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("audited in", access.Audit.TxID)
}

func ExampleClient_Listen() {
	ctx := context.Background()
	var c *sdk.Client
	cp, err := client.NewFileCheckpointer("medledger-events.json")
	if err != nil {
		log.Fatal(err)
	}
	defer cp.Close()

	// Started again with the same file, it resumes after the last event
	// handled: nothing missed, nothing repeated.
	err = c.Listen(ctx, cp, func(ctx context.Context, ev sdk.Event) error {
		switch p := ev.Payload.(type) {
		case model.DocumentAccessedEvent:
			fmt.Printf("%s read %s v%d (%s)\n", p.AccessorID, p.DocumentID, p.Version, p.Basis)
		case model.ConsentEvent:
			fmt.Printf("%s: %s to %s %s\n", ev.Name, p.PatientID, p.Grantee.Type, p.Grantee.ID)
		}
		return nil
	}, sdk.FromBlock(0))
	if errors.Is(err, sdk.ErrEventStreamClosed) {
		log.Print("peer closed the stream; listen again to resume")
	}
}

func ExampleReadEnrollment() {
	ctx := context.Background()
	var hospitalAdmin *sdk.Client

	e, err := sdk.ReadEnrollment("users/User2@org1.example.com/msp/signcerts/cert.pem")
	if err != nil {
		log.Fatal(err)
	}
	u, err := hospitalAdmin.RegisterUser(ctx, e.User("dr-adams", model.RoleDoctor))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, strings.ToUpper(string(u.Role)))
}
