package sdk

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/medledger/medledger/chaincode/model"
)

// Enrollment is a user's enrollment certificate, checked and ready for the
// registration calls, which bind a user id to the identity it names. The
// private key never leaves the user: registration needs only the
// certificate.
type Enrollment struct {
	// CertificatePEM is the certificate as one PEM block.
	CertificatePEM string
	// Certificate is the parsed certificate.
	Certificate *x509.Certificate
}

// ParseEnrollment checks that certPEM holds exactly one X.509 end-entity
// certificate within the ledger's size bound, and returns it.
func ParseEnrollment(certPEM []byte) (Enrollment, error) {
	if len(certPEM) > model.MaxCertificatePEMLen {
		return Enrollment{}, fmt.Errorf("enrollment certificate of %d bytes: at most %d", len(certPEM), model.MaxCertificatePEMLen)
	}
	block, rest := pem.Decode(certPEM)
	if block == nil {
		return Enrollment{}, errors.New("enrollment certificate: no PEM block")
	}
	if block.Type != "CERTIFICATE" {
		return Enrollment{}, fmt.Errorf("enrollment certificate: PEM block is %q, want CERTIFICATE", block.Type)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return Enrollment{}, errors.New("enrollment certificate: more than one PEM block; give the user's own certificate only")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrollment certificate: %w", err)
	}
	if cert.IsCA {
		return Enrollment{}, errors.New("enrollment certificate: is a CA certificate, want a user's")
	}
	return Enrollment{
		CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		Certificate:    cert,
	}, nil
}

// ReadEnrollment reads a PEM file with ParseEnrollment, for example
// msp/signcerts/cert.pem as fabric-ca-client enroll writes it.
func ReadEnrollment(path string) (Enrollment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrollment certificate: %w", err)
	}
	return ParseEnrollment(b)
}

// Enrollment returns the Client's own enrollment certificate, ready to hand
// to whoever registers it.
func (c *Client) Enrollment() Enrollment {
	return Enrollment{
		CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})),
		Certificate:    c.cert,
	}
}

// SolutionAdmin returns the input that binds e as solution admin userID in
// the caller's own MSP; set MSPID on the result for another organisation's.
func (e Enrollment) SolutionAdmin(userID string) model.SolutionAdminInput {
	return model.SolutionAdminInput{UserID: userID, CertificatePEM: e.CertificatePEM}
}

// OrgAdmin returns the input that binds e as admin userID of orgID.
func (e Enrollment) OrgAdmin(userID, orgID string) model.OrgAdminInput {
	return model.OrgAdminInput{UserID: userID, OrgID: orgID, CertificatePEM: e.CertificatePEM}
}

// User returns the input that registers e as a doctor or patient.
func (e Enrollment) User(userID string, role model.Role) model.RegisterUserInput {
	return model.RegisterUserInput{UserID: userID, Role: role, CertificatePEM: e.CertificatePEM}
}
