package sdk

import (
	"context"

	"github.com/medledger/medledger/chaincode/model"
)

// This file holds the calls that build the consortium: the first solution
// admin, solution admins, hospitals, their admins and their users.

// Bootstrap makes the caller the first solution admin, under adminID. It
// works once per ledger and only for an identity whose certificate carries
// the "admin" NodeOU role.
func (c *Client) Bootstrap(ctx context.Context, adminID string) (model.User, error) {
	if err := checkID(model.TxBootstrap, "admin id", adminID); err != nil {
		return model.User{}, err
	}
	return submitAs[model.User](ctx, c, model.TxBootstrap, model.BootstrapInput{AdminID: adminID})
}

// AddSolutionAdmin binds another identity, given by its enrollment
// certificate (see ReadEnrollment), as a solution admin: of in.MSPID, or of
// the caller's own MSP when that is empty.
func (c *Client) AddSolutionAdmin(ctx context.Context, in model.SolutionAdminInput) (model.User, error) {
	if err := checkID(model.TxAddSolutionAdmin, "user id", in.UserID); err != nil {
		return model.User{}, err
	}
	if err := checkCertificate(model.TxAddSolutionAdmin, in.CertificatePEM); err != nil {
		return model.User{}, err
	}
	if in.MSPID != "" && !model.ValidMSPID(in.MSPID) {
		return model.User{}, invalidArgument(model.TxAddSolutionAdmin, "MSP ID %q is not well formed", in.MSPID)
	}
	return submitAs[model.User](ctx, c, model.TxAddSolutionAdmin, in)
}

// RemoveSolutionAdmin removes a solution admin; the chaincode refuses to
// remove the last one.
func (c *Client) RemoveSolutionAdmin(ctx context.Context, userID string) (model.User, error) {
	return submitByID[model.User](ctx, c, model.TxRemoveSolutionAdmin, "user id", userID)
}

// CreateOrganization adds a hospital of the consortium.
func (c *Client) CreateOrganization(ctx context.Context, in model.CreateOrganizationInput) (model.Organization, error) {
	tx := model.TxCreateOrganization
	if err := checkID(tx, "organization id", in.ID); err != nil {
		return model.Organization{}, err
	}
	if in.Name == "" || len(in.Name) > model.MaxOrgNameLen {
		return model.Organization{}, invalidArgument(tx, "organization name must be 1 to %d bytes, got %d", model.MaxOrgNameLen, len(in.Name))
	}
	if !model.ValidMSPID(in.MSPID) {
		return model.Organization{}, invalidArgument(tx, "MSP ID %q is not well formed", in.MSPID)
	}
	return submitAs[model.Organization](ctx, c, tx, in)
}

// SuspendOrganization stops every user of a hospital from acting.
func (c *Client) SuspendOrganization(ctx context.Context, orgID string) (model.Organization, error) {
	return submitByID[model.Organization](ctx, c, model.TxSuspendOrganization, "organization id", orgID)
}

// ReactivateOrganization lifts a suspension.
func (c *Client) ReactivateOrganization(ctx context.Context, orgID string) (model.Organization, error) {
	return submitByID[model.Organization](ctx, c, model.TxReactivateOrganization, "organization id", orgID)
}

// AssignOrgAdmin binds an identity as a hospital's admin.
func (c *Client) AssignOrgAdmin(ctx context.Context, in model.OrgAdminInput) (model.User, error) {
	tx := model.TxAssignOrgAdmin
	if err := checkID(tx, "user id", in.UserID); err != nil {
		return model.User{}, err
	}
	if err := checkID(tx, "organization id", in.OrgID); err != nil {
		return model.User{}, err
	}
	if err := checkCertificate(tx, in.CertificatePEM); err != nil {
		return model.User{}, err
	}
	return submitAs[model.User](ctx, c, tx, in)
}

// RemoveOrgAdmin removes a hospital admin.
func (c *Client) RemoveOrgAdmin(ctx context.Context, userID string) (model.User, error) {
	return submitByID[model.User](ctx, c, model.TxRemoveOrgAdmin, "user id", userID)
}

// RegisterUser registers a doctor or a patient in the calling hospital
// admin's organisation.
func (c *Client) RegisterUser(ctx context.Context, in model.RegisterUserInput) (model.User, error) {
	tx := model.TxRegisterUser
	if err := checkID(tx, "user id", in.UserID); err != nil {
		return model.User{}, err
	}
	if in.Role != model.RoleDoctor && in.Role != model.RolePatient {
		return model.User{}, invalidArgument(tx, "role %q: a hospital admin registers %q or %q", in.Role, model.RoleDoctor, model.RolePatient)
	}
	if err := checkCertificate(tx, in.CertificatePEM); err != nil {
		return model.User{}, err
	}
	return submitAs[model.User](ctx, c, tx, in)
}

// RemoveUser removes a doctor or patient of the calling admin's hospital.
// The id and identity stay reserved so the audit trail stays unambiguous.
func (c *Client) RemoveUser(ctx context.Context, userID string) (model.User, error) {
	return submitByID[model.User](ctx, c, model.TxRemoveUser, "user id", userID)
}

// WhoAmI returns the caller's own user record; ErrForbidden when the
// caller's identity is bound to no active user.
func (c *Client) WhoAmI(ctx context.Context) (model.User, error) {
	return evaluateAs[model.User](ctx, c, model.TxWhoAmI)
}

// GetOrganization returns one hospital.
func (c *Client) GetOrganization(ctx context.Context, orgID string) (model.Organization, error) {
	tx := model.TxGetOrganization
	if err := checkID(tx, "organization id", orgID); err != nil {
		return model.Organization{}, err
	}
	return evaluateAs[model.Organization](ctx, c, tx, orgID)
}

// ListOrganizations returns one page of hospitals. See OrganizationPages for a
// paginator.
func (c *Client) ListOrganizations(ctx context.Context, req model.PageRequest) (model.OrganizationPage, error) {
	return evaluatePage[model.OrganizationPage](ctx, c, model.TxListOrganizations, req)
}

// GetUser returns one user record.
func (c *Client) GetUser(ctx context.Context, userID string) (model.User, error) {
	tx := model.TxGetUser
	if err := checkID(tx, "user id", userID); err != nil {
		return model.User{}, err
	}
	return evaluateAs[model.User](ctx, c, tx, userID)
}

// ListUsers returns one page of an organisation's users (the solution
// admins when in.OrgID is empty). See UserPages for a paginator.
func (c *Client) ListUsers(ctx context.Context, in model.ListUsersInput) (model.UserPage, error) {
	tx := model.TxListUsers
	if in.OrgID != "" {
		if err := checkID(tx, "organization id", in.OrgID); err != nil {
			return model.UserPage{}, err
		}
	}
	if err := checkPage(tx, in.PageSize, in.Bookmark); err != nil {
		return model.UserPage{}, err
	}
	return evaluateAs[model.UserPage](ctx, c, tx, in)
}

// submitByID submits tx with a single id argument, checked first so a
// malformed id never reaches the network; what names it in the error.
func submitByID[T any](ctx context.Context, c *Client, tx, what, id string) (T, error) {
	if err := checkID(tx, what, id); err != nil {
		var zero T
		return zero, err
	}
	return submitAs[T](ctx, c, tx, id)
}

func checkID(tx, what, id string) error {
	if !model.ValidID(id) {
		return invalidArgument(tx, "%s %q: want 1 to 64 characters from [A-Za-z0-9._-], starting with a letter or digit", what, id)
	}
	return nil
}

func checkPage(tx string, size int32, bookmark string) error {
	if size < 0 || size > model.MaxPageSize {
		return invalidArgument(tx, "page size %d: want 0 (default %d) to %d", size, model.DefaultPageSize, model.MaxPageSize)
	}
	if len(bookmark) > model.MaxBookmarkLen {
		return invalidArgument(tx, "bookmark of %d bytes: at most %d", len(bookmark), model.MaxBookmarkLen)
	}
	return nil
}

func checkCertificate(tx, certPEM string) error {
	if _, err := ParseEnrollment([]byte(certPEM)); err != nil {
		return invalidArgument(tx, "%v", err)
	}
	return nil
}
