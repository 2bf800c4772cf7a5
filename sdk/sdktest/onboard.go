package sdktest

import (
	"context"
	"errors"
	"fmt"

	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
)

// The Ensure functions make one onboarding step true whether or not an
// earlier run against the same ledger already made it: a real network keeps
// its ledger between runs, and a bound identity stays bound for good. Each
// returns what the ledger holds and whether this call created it.

// EnsureBootstrapped makes sol's identity the solution admin adminID, or
// returns the solution admin it already is.
func EnsureBootstrapped(ctx context.Context, sol *sdk.Client, adminID string) (model.User, bool, error) {
	u, err := sol.WhoAmI(ctx)
	switch {
	case err == nil && u.Role == model.RoleSolutionAdmin:
		return u, false, nil
	case err == nil:
		return model.User{}, false, fmt.Errorf("sdktest: the bootstrap identity is already user %s with role %s", u.ID, u.Role)
	case !errors.Is(err, sdk.ErrForbidden):
		return model.User{}, false, err
	}
	u, err = sol.Bootstrap(ctx, adminID)
	return u, err == nil, err
}

// EnsureOrganization creates a hospital unless it exists.
func EnsureOrganization(ctx context.Context, sol *sdk.Client, in model.CreateOrganizationInput) (model.Organization, bool, error) {
	o, err := sol.GetOrganization(ctx, in.ID)
	if err == nil {
		if o.MSPID != in.MSPID {
			return model.Organization{}, false, fmt.Errorf("sdktest: organisation %s exists with MSP %s, not %s", in.ID, o.MSPID, in.MSPID)
		}
		return o, false, nil
	}
	if !errors.Is(err, sdk.ErrNotFound) {
		return model.Organization{}, false, err
	}
	o, err = sol.CreateOrganization(ctx, in)
	return o, err == nil, err
}

// EnsureOrgAdmin binds who's identity as an admin of orgID under userID,
// unless it is bound already; then it returns that binding, which must be
// an admin of orgID.
func EnsureOrgAdmin(ctx context.Context, sol, who *sdk.Client, userID, orgID string) (model.User, bool, error) {
	return ensureBound(ctx, who, model.RoleOrgAdmin, orgID, func(e sdk.Enrollment) (model.User, error) {
		return sol.AssignOrgAdmin(ctx, e.OrgAdmin(userID, orgID))
	})
}

// EnsureUser registers who's identity as a doctor or patient of the
// calling admin's hospital, unless it is bound already.
func EnsureUser(ctx context.Context, admin, who *sdk.Client, userID, orgID string, role model.Role) (model.User, bool, error) {
	return ensureBound(ctx, who, role, orgID, func(e sdk.Enrollment) (model.User, error) {
		return admin.RegisterUser(ctx, e.User(userID, role))
	})
}

func ensureBound(ctx context.Context, who *sdk.Client, role model.Role, orgID string, bind func(sdk.Enrollment) (model.User, error)) (model.User, bool, error) {
	u, err := who.WhoAmI(ctx)
	if err == nil {
		if u.Role != role || u.OrgID != orgID {
			return model.User{}, false, fmt.Errorf("sdktest: identity is already user %s (%s of %q), wanted a %s of %s", u.ID, u.Role, u.OrgID, role, orgID)
		}
		return u, false, nil
	}
	if !errors.Is(err, sdk.ErrForbidden) {
		return model.User{}, false, err
	}
	u, err = bind(who.Enrollment())
	return u, err == nil, err
}
