package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQuickstartPlaysTheWholeStoryOnTheEmbeddedNetwork(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, "", t.TempDir(), t.TempDir(), &out))
	text := out.String()
	for _, want := range []string{
		"sol-admin is the solution admin",
		"dr-baker, doctor at hosp-2",
		"FORBIDDEN: dr-baker may not read document",
		"sha256 matches the ledger",
		"encrypted at rest: the store holds",
		"the ledger's sha256 is over the ciphertext",
		"Haemoglobin 13.9 g/dL",
		"dr-baker (doctor, hosp-2) read " + docID + " v1 on the basis of consent",
		"refused again",
		"on the basis of emergency, verified and audited",
		"emergency grant",
		"ended at",
	} {
		require.Contains(t, text, want)
	}
}
