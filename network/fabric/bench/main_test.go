package main

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/medledger/medledger/chaincode/model"
)

func TestSummaryGivesTheMedianOfTheRoundsWithTheirRange(t *testing.T) {
	tests := []struct {
		name   string
		v      []float64
		rounds int
		want   string
	}{
		{"one round", []float64{27.25}, 1, "27.2"},
		{"odd rounds", []float64{90, 120.5, 100}, 3, "100.0 [90.0-120.5]"},
		{"even rounds average the middle two", []float64{4, 1, 3, 2}, 4, "2.5 [1.0-4.0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, summary(tc.v, "%.1f", tc.rounds))
		})
	}
}

func TestParseClientsRefusesWhatIsNotACount(t *testing.T) {
	got, err := parseClients("1, 16")
	require.NoError(t, err)
	require.Equal(t, []int{1, 16}, got)
	for _, bad := range []string{"", "0", "x", "1,,2", "257"} {
		_, err := parseClients(bad)
		require.Error(t, err, bad)
	}
}

func TestBlockSpanCountsTheBlocksFromTheFirstToTheLastSeen(t *testing.T) {
	var all blockSpan
	require.Zero(t, all.count(), "no transaction, no block")

	var a, b blockSpan
	for _, n := range []uint64{12, 10, 12} {
		a.add(n)
	}
	b.add(15)
	all.join(a)
	all.join(blockSpan{}) // a client that committed nothing
	all.join(b)
	require.Equal(t, uint64(3), a.count())
	require.Equal(t, uint64(6), all.count(), "blocks 10 to 15")
}

func TestSetupTakesOnlyALastingConsentToReadEveryDocumentAsTheDoctorsConsent(t *testing.T) {
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	consent := func(change func(*model.Grant)) model.Grant {
		g := model.Grant{
			ID: "g", Kind: model.GrantConsent, PatientID: "bench-patient-user2",
			Grantee: model.Grantee{Type: model.GranteeUser, ID: "bench-doctor-user2"},
			Scope:   model.Scope{Type: model.ScopeAll}, Actions: []model.Action{model.ActionRead},
			Purpose: model.PurposeTreatment, ValidFrom: now.Add(-time.Minute),
		}
		if change != nil {
			change(&g)
		}
		return g
	}
	tests := []struct {
		name  string
		grant model.Grant
		want  bool
	}{
		{"what setup grants", consent(nil), true},
		{"reading and writing", consent(func(g *model.Grant) { g.Actions = []model.Action{model.ActionWrite, model.ActionRead} }), true},
		{"in force from now", consent(func(g *model.Grant) { g.ValidFrom = now }), true},
		{"to another doctor", consent(func(g *model.Grant) { g.Grantee.ID = "bench-doctor-user3" }), false},
		{"to the doctor's hospital", consent(func(g *model.Grant) {
			g.Grantee = model.Grantee{Type: model.GranteeOrganization, ID: "bench-hospital-2"}
		}), false},
		{"revoked", consent(func(g *model.Grant) { g.Revoked, g.RevokedAt = true, now.Add(-time.Second) }), false},
		{"not yet in force", consent(func(g *model.Grant) { g.ValidFrom = now.Add(time.Second) }), false},
		{"ending, even later", consent(func(g *model.Grant) { g.ValidUntil = now.Add(time.Hour) }), false},
		{"writing only", consent(func(g *model.Grant) { g.Actions = []model.Action{model.ActionWrite} }), false},
		{"some categories", consent(func(g *model.Grant) {
			g.Scope = model.Scope{Type: model.ScopeCategories, Categories: []model.Category{model.CategoryLabResult}}
		}), false},
		{"emergency access", consent(func(g *model.Grant) { g.Kind = model.GrantEmergency }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, lastingReadConsent(tc.grant, "bench-doctor-user2", now))
		})
	}
}

func TestOnlyTheGatewaysMissingEndorsementPlanIsWaitedOut(t *testing.T) {
	noPeers := status.Error(codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy: no peer combination can satisfy the endorsement policy")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"the gateway's refusal", noPeers, true},
		{"wrapped, as the SDK returns it", fmt.Errorf("medledger AccessDocument (tx 1): %w", noPeers), true},
		{"another failed precondition", status.Error(codes.FailedPrecondition, "chaincode definition for 'x' not found"), false},
		{"same text, another code", status.Error(codes.Unavailable, "no combination of peers can be derived"), false},
		{"no gRPC status", errors.New("no combination of peers can be derived"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, noEndorsementPlan(tc.err))
		})
	}
}
