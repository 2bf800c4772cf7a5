// Command bench measures MedLedger on a running network (make bench-fabric
// runs it on a fresh real Fabric network with medledger and the baseline
// chaincode deployed): committed RegisterDocument and AccessDocument
// transactions per second with 1 and 16 concurrent clients, CheckAccess
// evaluate latency (p50, p99), and the same figures for the baseline
// chaincode (test/baseline: Put writes one key per transaction), with
// MedLedger's throughput as a fraction of the baseline's.
//
// AccessDocument is measured twice: a patient reading their own document,
// the cheapest path (no grant is looked at), and a doctor of another
// hospital reading it on the patient's consent, the main clinical flow,
// which also reads, in a second round trip, the grants between the patient
// and the doctor and the doctor's organisation (the patient's grant-set
// marker and two grant sets). "Access(doctor) / AccessDocument" is what the
// consent check costs.
//
// It also runs the baseline's ReadWrite with the footprints of a committed
// AccessDocument and RegisterDocument, taken from their blocks (keys read,
// values written, event and result, by size): "ReadWrite / Put" is what a
// footprint costs on Fabric whatever the chaincode, "AccessDocument /
// ReadWrite" what MedLedger's own logic adds to it. The doctor's read is
// reproduced with its keys read in two round trips, as it reads them (the
// grant sets' keys follow from the document and binding it reads first).
//
// And it runs ReadWrite reading one key and writing one, with no event and
// no result: Put plus the least any transaction that decides from the
// ledger and records what it did must add, one read. "ReadWrite(1R,1W) /
// Put" bounds what any such chaincode, MedLedger or another, can reach
// against a blind write on the network measured.
//
// Throughput is measured in rounds of eight phases (MedLedger
// RegisterDocument, baseline Put, MedLedger AccessDocument by the patient
// and by the doctor, baseline ReadWrite with AccessDocument's, with
// RegisterDocument's and with the doctor's footprint and with one read and
// one write, each round starting one phase later than the one before), and
// each ratio compares phases of the same round, so that a slow stretch of a
// shared machine lands on both sides of it; the
// table gives the median of the rounds with their range. With -pids
// (bench.sh sets it) it also reports, on Linux, the CPU time per committed
// transaction of each of the network's processes and of the clients, read
// from /proc: on a machine the benchmark saturates, that is what throughput
// follows, and it is steadier. It is a benchmark, not a test: it prints
// figures and fails only when the network cannot be set up or used.
//
// It needs a network of two organisations where MedLedger is not
// bootstrapped yet, or was bootstrapped by an earlier run of this command:
// it binds the first organisation's admin as solution admin, its user1 as
// the admin of a hospital and its user2 to user5 as patients; the second
// organisation's user1 as the admin of a second hospital and its user2 to
// user5 as doctors, each patient consenting to the doctor of the same name.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
	"github.com/medledger/medledger/sdk"
)

func main() {
	connection := flag.String("connection", envOr("MEDLEDGER_CONNECTION", "network/fabric/work/connection.json"), "connection file of the running network")
	duration := flag.Duration("duration", 10*time.Second, "how long each throughput phase runs")
	clientsFlag := flag.String("clients", "1,16", "comma-separated numbers of concurrent clients")
	evaluations := flag.Int("evaluations", 500, "evaluations for the latency percentiles")
	rounds := flag.Int("rounds", 8, "rounds of phases per client count (MedLedger register, baseline Put, MedLedger access by the patient and by a doctor on consent, baseline ReadWrite with each of the three footprints and with one read and one write, rotated each round, so that with 8 or a multiple each phase runs as often in every position); medians are reported")
	baseline := flag.String("baseline", "baseline", "name of the baseline chaincode; empty to skip it")
	pids := flag.String("pids", "", "folder of the network's pid files (network/fabric/work/pids); when set, CPU time per committed transaction is reported by process (Linux)")
	flag.Parse()
	clients, err := parseClients(*clientsFlag)
	if err != nil {
		log.Fatalf("bench: -clients: %v", err)
	}
	if *duration <= 0 || *duration > 10*time.Minute {
		log.Fatalf("bench: -duration %s must be positive and at most 10m", *duration)
	}
	if *rounds < 1 || *rounds > 100 {
		log.Fatalf("bench: -rounds %d must be 1 to 100", *rounds)
	}
	if *evaluations < 1 || *evaluations > 100000 {
		log.Fatalf("bench: -evaluations %d must be 1 to 100000", *evaluations)
	}
	cpu, err := newCPUMeter(*pids)
	if err != nil {
		log.Fatalf("bench: -pids: %v", err)
	}
	ctx := context.Background()
	if err := run(ctx, *connection, clients, *duration, *rounds, *evaluations, *baseline, cpu); err != nil {
		log.Fatalf("bench: %v", err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseClients(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 256 {
			return nil, fmt.Errorf("%q is not a number of clients from 1 to 256", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// putValueBytes is the size of the value the baseline's Put writes.
const putValueBytes = 256

// patients are the names of the identities the benchmark acts as, in both
// organisations: the first organisation's are patients, the second's are
// doctors, and each patient consents to the doctor of the same name. Each
// client acts as one of them, round robin.
var patients = []string{"user2", "user3", "user4", "user5"}

// Prefixes of the user ids setup gives the identities named in patients.
const (
	patientPrefix = "bench-patient-"
	doctorPrefix  = "bench-doctor-"
)

// actor names the identity (organisation and name in the connection file)
// that client acts as in a phase.
type actor func(client int) (msp, name string)

func run(ctx context.Context, path string, clients []int, d time.Duration, rounds, evaluations int, baseline string, cpu *cpuMeter) error {
	prof, err := sdk.LoadConnectionProfile(path)
	if err != nil {
		return err
	}
	msps := prof.MSPIDs()
	if len(msps) < 2 {
		return fmt.Errorf("%s names %d organisation(s): the doctors need a second one", path, len(msps))
	}
	msp := msps[0]
	if err := setup(ctx, prof); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	// prof.Config connects each identity through its own organisation's
	// gateway peer, the endpoint the connection file gives the
	// organisation: network/fabric writes peer0.org2's for the second, so
	// the doctors' gateway is peer0.org2 (peer2 in the CPU table) and the
	// patients' peer0.org1 (peer1). With the AND endorsement policy both
	// peers endorse every transaction either way; what moves to peer2 in
	// the doctor phase is the gateway's own work (collecting endorsements,
	// submitting to the orderer, reporting the commit).
	patientAs := func(client int) (string, string) { return msp, patients[client%len(patients)] }
	doctorAs := func(client int) (string, string) { return msps[1], patients[client%len(patients)] }
	fmt.Printf("bench: %s, %s per phase, %d round(s), clients %v\n", path, d, rounds, clients)

	run := time.Now().UnixNano()
	reg := row{name: "medledger RegisterDocument", short: "RegisterDocument"}
	acc := row{name: "medledger AccessDocument", short: "AccessDocument"}
	docAcc := row{name: "medledger AccessDocument (doctor, on consent)", short: "Access(doctor)"}
	base := row{name: baseline + " Put (1 key)", short: baseline + " Put"}
	footAcc := row{name: baseline + " ReadWrite (AccessDocument's footprint)", short: "ReadWrite(Access)"}
	footReg := row{name: baseline + " ReadWrite (RegisterDocument's footprint)", short: "ReadWrite(Register)"}
	footDoc := row{name: baseline + " ReadWrite (the doctor's, reads in 2 trips)", short: "ReadWrite(doctor)"}
	floor := row{name: baseline + " ReadWrite (1 key read, 1 written)", short: "ReadWrite(1R,1W)"}
	rw, err := measureFootprints(ctx, prof, patientAs, doctorAs, run, baseline, slices.Max(clients))
	if err != nil {
		return fmt.Errorf("footprints: %w", err)
	}
	docs := make([][]string, len(clients)) // documents registered per client count, all clients
	for i, n := range clients {
		perClient := make([][]string, n) // documents registered, by client
		puts := make([][]string, n)      // keys the baseline's Put wrote, by client
		for r := range rounds {
			// Each round runs the phases in turn, starting one phase later
			// than the round before (register, baseline Put, access, the
			// doctor's access, the four ReadWrites; then baseline Put,
			// access, ...), so that each runs in every position: a slow
			// stretch of a shared machine, or work a phase leaves behind
			// (the state database compacting what the one before wrote),
			// lands on every side of the comparison. The first round
			// registers first and puts second, so that there are documents
			// to access and values for ReadWrite to read.
			type step struct {
				into *row
				as   actor
				tx   txFunc
			}
			// Both reads take the documents registered for the client's
			// patient, which the patient owns and the doctor of the same
			// name holds consent for.
			read := func(c *sdk.Client, client, seq int) (uint64, error) {
				own := perClient[client]
				_, err := c.AccessDocument(ctx, own[seq%len(own)], 0)
				return c.CommittedBlock(), err
			}
			steps := []step{{&reg, patientAs, func(c *sdk.Client, client, seq int) (uint64, error) {
				id := fmt.Sprintf("bench-%d-%d-%d-%d-%d", run, n, r, client, seq)
				_, err := c.RegisterDocument(ctx, benchDocument(id, client))
				if err == nil {
					perClient[client] = append(perClient[client], id)
				}
				return c.CommittedBlock(), err
			}}}
			if baseline != "" {
				value := strings.Repeat("v", putValueBytes)
				steps = append(steps, step{&base, patientAs, func(c *sdk.Client, client, seq int) (uint64, error) {
					key := fmt.Sprintf("bench-%d-%d-%d-%d-%d", run, n, r, client, seq)
					block, err := submit(contractOf(c, baseline), "Put", key, value)
					if err == nil {
						puts[client] = append(puts[client], key)
					}
					return block, err
				}})
			}
			steps = append(steps, step{&acc, patientAs, read}, step{&docAcc, doctorAs, read})
			if baseline != "" {
				// Each call reads last a different key the client's Put
				// wrote, as each read takes a different document.
				readingPuts := func(w *readWrite) txFunc {
					return func(c *sdk.Client, client, seq int) (uint64, error) {
						keys := puts[client]
						return w.submit(contractOf(c, baseline), client, keys[seq%len(keys)], "")
					}
				}
				steps = append(steps, step{&footAcc, patientAs, readingPuts(rw.access)},
					step{&footReg, patientAs, func(c *sdk.Client, client, seq int) (uint64, error) {
						return rw.register.submit(contractOf(c, baseline), client, "",
							fmt.Sprintf("bench-%d-%d-%d-%d-%d", run, n, r, client, seq))
					}},
					step{&footDoc, doctorAs, readingPuts(rw.doctor)},
					step{&floor, patientAs, readingPuts(rw.floor)})
			}
			for k := range steps {
				st := steps[(r+k)%len(steps)]
				ph, err := throughput(ctx, prof, st.as, cpu, n, d, st.tx)
				if err != nil {
					return fmt.Errorf("%s with %d clients: %w", st.into.short, n, err)
				}
				st.into.add(i, ph)
			}
		}
		docs[i] = flatten(perClient)
	}

	phases := []row{reg, acc, docAcc}
	if baseline != "" {
		phases = []row{reg, base, acc, docAcc, footAcc, footReg, footDoc, floor}
	}
	title := "committed tx/s"
	if rounds > 1 {
		title += " (median [min-max] of rounds)"
	}
	fmt.Printf("\n%-52s", title)
	for _, n := range clients {
		fmt.Printf(" %20s", fmt.Sprintf("%d client(s)", n))
	}
	fmt.Println()
	for _, r := range phases {
		fmt.Printf("%-52s", r.name)
		for _, v := range r.tps {
			fmt.Printf(" %20s", summary(v, "%.1f", rounds))
		}
		fmt.Println()
	}
	for _, r := range phases {
		for i, k := range r.noPlan {
			if k > 0 {
				fmt.Printf("  %s, %d client(s): %d transaction(s) refused for want of peers satisfying the endorsement policy, each followed by a %s pause\n", r.short, clients[i], k, noPlanPause)
			}
		}
	}
	// A phase that commits faster fills its blocks better, and much of a
	// transaction's cost is per block: this line shows how much.
	for _, r := range phases {
		fmt.Printf("%-52s", "  "+r.short+", tx per block")
		for _, v := range r.perBlock {
			fmt.Printf(" %20s", summary(v, "%.2f", rounds))
		}
		fmt.Println()
	}
	// What MedLedger costs against the least a transaction can do; what
	// each footprint costs by itself; what MedLedger's logic adds to it;
	// what the consent check adds to a read.
	var pairs [][2]row
	if baseline != "" {
		pairs = [][2]row{{reg, base}, {acc, base}, {docAcc, base}, {footReg, base}, {footAcc, base}, {footDoc, base}, {floor, base}, {reg, footReg}, {acc, footAcc}, {docAcc, footDoc}}
	}
	pairs = append(pairs, [2]row{docAcc, acc})
	for _, q := range pairs {
		fmt.Printf("%-52s", q[0].short+" / "+q[1].short+" (same round)")
		for i := range clients {
			fmt.Printf(" %20s", summary(ratios(q[0].tps[i], q[1].tps[i]), "%.2f", rounds))
		}
		fmt.Println()
	}

	if cpu != nil {
		for i, n := range clients {
			printCPU(cpu.names(), phases, i, n, rounds)
		}
	}

	c, err := connect(ctx, prof, msp, patients[0])
	if err != nil {
		return err
	}
	defer c.Close()
	own := docs[0]
	fmt.Printf("\nevaluate latency (%d sequential calls)\n", evaluations)
	p50, p99, err := latency(evaluations, func(i int) error {
		_, err := c.CheckAccess(ctx, own[i%len(own)], 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("CheckAccess: %w", err)
	}
	fmt.Printf("%-34s p50 %8s  p99 %8s\n", "medledger CheckAccess", p50, p99)
	if baseline != "" {
		contract := contractOf(c, baseline)
		key := fmt.Sprintf("bench-%d-%d-0-0-0", run, clients[0])
		p50, p99, err = latency(evaluations, func(int) error {
			_, err := contract.EvaluateTransaction("Get", key)
			return err
		})
		if err != nil {
			return fmt.Errorf("baseline Get: %w", err)
		}
		fmt.Printf("%-34s p50 %8s  p99 %8s\n", baseline+" Get", p50, p99)
	}
	return nil
}

// readWrites are the baseline's ReadWrite calls of the run: with
// AccessDocument's footprint, with RegisterDocument's, with the doctor's
// AccessDocument's, and with one key read and one written.
type readWrites struct {
	access, register, doctor, floor *readWrite
}

// floorFootprint is Put's write with one read before it: a key written by
// Put earlier in the run, a different one each call, as AccessDocument reads
// a different document.
var floorFootprint = footprint{reads: 1, writes: []int{putValueBytes}}

// measureFootprints prints the footprints of a committed RegisterDocument,
// AccessDocument and doctor's AccessDocument, as client 0 of the patient
// and doctor phases, and, with a baseline, prepares its ReadWrite calls for
// up to clients clients.
func measureFootprints(ctx context.Context, prof *sdk.ConnectionProfile, patientAs, doctorAs actor, run int64, baseline string, clients int) (readWrites, error) {
	msp, name := patientAs(0)
	patient, err := connect(ctx, prof, msp, name)
	if err != nil {
		return readWrites{}, err
	}
	defer patient.Close()
	msp, name = doctorAs(0)
	doctor, err := connect(ctx, prof, msp, name)
	if err != nil {
		return readWrites{}, err
	}
	defer doctor.Close()
	register, read, doctorRead, err := footprints(ctx, patient, doctor, run)
	if err != nil {
		return readWrites{}, err
	}
	fmt.Printf("footprints, from their blocks:\n")
	fmt.Printf("  %-25s %s\n", "RegisterDocument:", register)
	fmt.Printf("  %-25s %s\n", "AccessDocument:", read)
	fmt.Printf("  %-25s %s\n", "AccessDocument (doctor):", doctorRead)
	if baseline == "" {
		return readWrites{}, nil
	}
	contract := contractOf(patient, baseline)
	prefix := fmt.Sprintf("bench-%d", run)
	var rw readWrites
	if rw.access, err = newReadWrite(contract, read, true, prefix+"-access", clients); err != nil {
		return readWrites{}, err
	}
	if rw.register, err = newReadWrite(contract, register, false, prefix+"-register", clients); err != nil {
		return readWrites{}, err
	}
	// A block shows the keys read, not in how many requests: the doctor's
	// read asks for the caller's keys and the document first, and then for
	// the grants between the document's patient and the caller
	// (TestHotTransactionsMakeFewPeerRoundTrips in chaincode/contract).
	doctorRead.readRounds = 2
	if rw.doctor, err = newReadWrite(contract, doctorRead, true, prefix+"-doctor", clients); err != nil {
		return readWrites{}, err
	}
	if rw.floor, err = newReadWrite(contract, floorFootprint, true, prefix+"-floor", clients); err != nil {
		return readWrites{}, err
	}
	return rw, nil
}

// row is one line of the throughput table: per client count, the tx/s of
// each round, and the CPU milliseconds per committed transaction of each
// process in each round.
type row struct {
	name, short string
	tps         [][]float64
	perBlock    [][]float64 // committed transactions per block
	cpu         []map[string][]float64
	noPlan      []int64 // transactions refused for want of peers, all rounds
}

// ratios divides, round by round, num by den.
func ratios(num, den []float64) []float64 {
	out := make([]float64, len(num))
	for j := range num {
		out[j] = num[j] / den[j]
	}
	return out
}

func (r *row) add(i int, p phase) {
	for len(r.tps) <= i {
		r.tps = append(r.tps, nil)
		r.perBlock = append(r.perBlock, nil)
		r.cpu = append(r.cpu, map[string][]float64{})
		r.noPlan = append(r.noPlan, 0)
	}
	r.noPlan[i] += p.noPlan
	r.tps[i] = append(r.tps[i], p.tps)
	r.perBlock[i] = append(r.perBlock[i], p.txPerBlock)
	var total time.Duration
	for name, d := range p.cpuPerTx {
		r.cpu[i][name] = append(r.cpu[i][name], ms(d))
		if name != clientsName {
			total += d
		}
	}
	if p.cpuPerTx != nil {
		r.cpu[i][networkTotal] = append(r.cpu[i][networkTotal], ms(total))
	}
}

// networkTotal is the CPU table's line for all the network's processes.
const networkTotal = "network total"

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// printCPU prints, for the i-th client count n, the median CPU milliseconds
// per committed transaction of each process in each phase.
func printCPU(names []string, phases []row, i, n, rounds int) {
	title := fmt.Sprintf("CPU ms per committed tx, %d client(s)", n)
	if rounds > 1 {
		title += " (median of rounds)"
	}
	fmt.Printf("\n%-52s", title)
	for _, p := range phases {
		fmt.Printf(" %20s", p.short)
	}
	fmt.Println()
	for _, name := range append(names, networkTotal) {
		fmt.Printf("%-52s", name)
		for _, p := range phases {
			if v := p.cpu[i][name]; len(v) > 0 {
				fmt.Printf(" %20s", summary(v, "%.2f", 1))
			} else {
				fmt.Printf(" %20s", "-")
			}
		}
		fmt.Println()
	}
}

// summary formats the median of v with its range when there are several
// rounds.
func summary(v []float64, format string, rounds int) string {
	s := slices.Sorted(slices.Values(v))
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	if rounds == 1 {
		return fmt.Sprintf(format, m)
	}
	return fmt.Sprintf(format+" ["+format+"-"+format+"]", m, s[0], s[len(s)-1])
}

func flatten(in [][]string) []string {
	var out []string
	for _, s := range in {
		out = append(out, s...)
	}
	return out
}

func patientID(client int) string { return patientPrefix + patients[client%len(patients)] }

// benchDocument is the document the benchmark registers as id for client's
// patient; the hash of the id stands in for the contents.
func benchDocument(id string, client int) model.RegisterDocumentInput {
	sum := sha256.Sum256([]byte(id))
	return model.RegisterDocumentInput{
		DocumentID: id, PatientID: patientID(client), Category: model.CategoryLabResult,
		SHA256: hex.EncodeToString(sum[:]), Size: 1024, MediaType: "application/pdf",
		StorageRef: "sha256:" + hex.EncodeToString(sum[:]),
	}
}

// contractOf is the chaincode called name on c's channel, for calls that
// bypass the SDK (the baseline's).
func contractOf(c *sdk.Client, name string) *client.Contract {
	return c.Gateway().GetNetwork(c.Channel()).GetContract(name)
}

func connect(ctx context.Context, prof *sdk.ConnectionProfile, msp, name string) (*sdk.Client, error) {
	cfg, err := prof.Config(msp, name)
	if err != nil {
		return nil, err
	}
	return sdk.Connect(ctx, cfg)
}

// setup binds the identities the benchmark acts as and makes the patients'
// consents, unless an earlier run did. It checks each piece before making
// it (a read, no transaction), so a second run submits nothing and a run
// interrupted midway is completed by the next. An identity bound to another
// user than setup's is an error: the network was set up by something else.
func setup(ctx context.Context, prof *sdk.ConnectionProfile) error {
	msps := prof.MSPIDs()
	admin, err := connect(ctx, prof, msps[0], "admin")
	if err != nil {
		return err
	}
	defer admin.Close()
	const adminID = "bench-solution-admin"
	bound, err := boundAs(ctx, admin, adminID)
	if err != nil {
		return fmt.Errorf("%s admin: %w", msps[0], err)
	}
	if !bound {
		if _, err := admin.Bootstrap(ctx, adminID); err != nil {
			return fmt.Errorf("bootstrap (the network must be fresh, or set up by an earlier bench run): %w", err)
		}
	}
	hospitals := []hospital{
		{org: model.CreateOrganizationInput{ID: "bench-hospital", Name: "Bench Hospital", MSPID: msps[0]}, adminID: "bench-org-admin", role: model.RolePatient, prefix: patientPrefix},
		{org: model.CreateOrganizationInput{ID: "bench-hospital-2", Name: "Bench Hospital 2", MSPID: msps[1]}, adminID: "bench-org-admin-2", role: model.RoleDoctor, prefix: doctorPrefix},
	}
	for _, h := range hospitals {
		if err := setupHospital(ctx, prof, admin, h); err != nil {
			return fmt.Errorf("%s: %w", h.org.ID, err)
		}
	}
	for _, p := range patients {
		if err := consentOnce(ctx, prof, msps[0], p, doctorPrefix+p); err != nil {
			return fmt.Errorf("consent of %s%s to %s%s: %w", patientPrefix, p, doctorPrefix, p, err)
		}
	}
	return nil
}

// hospital is an organisation setup creates: its MSP's user1 is its admin,
// the identities named in patients are its users, with role.
type hospital struct {
	org     model.CreateOrganizationInput
	adminID string
	role    model.Role
	prefix  string // of its users' ids, before the identity's name
}

// setupHospital creates h, binds its admin and registers its users, each
// unless it is there already.
func setupHospital(ctx context.Context, prof *sdk.ConnectionProfile, admin *sdk.Client, h hospital) error {
	msp := h.org.MSPID
	orgAdmin, err := connect(ctx, prof, msp, "user1")
	if err != nil {
		return err
	}
	defer orgAdmin.Close()
	bound, err := boundAs(ctx, orgAdmin, h.adminID)
	if err != nil {
		return fmt.Errorf("%s user1: %w", msp, err)
	}
	if !bound {
		org, err := admin.GetOrganization(ctx, h.org.ID)
		switch {
		case errors.Is(err, sdk.ErrNotFound):
			if _, err := admin.CreateOrganization(ctx, h.org); err != nil {
				return err
			}
		case err != nil:
			return err
		case org.MSPID != msp:
			return fmt.Errorf("the organisation exists with MSP %s, not %s", org.MSPID, msp)
		}
		enr, err := prof.Enrollment(msp, "user1")
		if err != nil {
			return err
		}
		if _, err := admin.AssignOrgAdmin(ctx, model.OrgAdminInput{UserID: h.adminID, OrgID: h.org.ID, CertificatePEM: enr.CertificatePEM}); err != nil {
			return err
		}
	}
	for _, name := range patients {
		c, err := connect(ctx, prof, msp, name)
		if err != nil {
			return err
		}
		bound, err := boundAs(ctx, c, h.prefix+name)
		c.Close()
		if err != nil {
			return fmt.Errorf("%s %s: %w", msp, name, err)
		}
		if bound {
			continue
		}
		enr, err := prof.Enrollment(msp, name)
		if err != nil {
			return err
		}
		if _, err := orgAdmin.RegisterUser(ctx, model.RegisterUserInput{UserID: h.prefix + name, Role: h.role, CertificatePEM: enr.CertificatePEM}); err != nil {
			return err
		}
	}
	return nil
}

// boundAs reports whether c's identity is bound to user userID; false when
// it is bound to no one.
func boundAs(ctx context.Context, c *sdk.Client, userID string) (bool, error) {
	u, err := c.WhoAmI(ctx)
	switch {
	case errors.Is(err, sdk.ErrForbidden): // bound to no one (or removed: binding it again will say so)
		return false, nil
	case err != nil:
		return false, err
	case u.ID != userID:
		return false, fmt.Errorf("bound to user %s, not %s: the network was set up by something else than this command", u.ID, userID)
	}
	return true, nil
}

// consentOnce makes the patient identity name of msp consent to doctorID
// reading all the patient's documents, for treatment, from now on with no
// end, unless the patient has given such a consent already.
func consentOnce(ctx context.Context, prof *sdk.ConnectionProfile, msp, name, doctorID string) error {
	c, err := connect(ctx, prof, msp, name)
	if err != nil {
		return err
	}
	defer c.Close()
	now := time.Now()
	pages := c.GrantPages(model.MaxPageSize)
	for pages.HasMorePages() {
		grants, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(grants, func(g model.Grant) bool { return lastingReadConsent(g, doctorID, now) }) {
			return nil
		}
	}
	// No ValidFrom: the grant is in force from the transaction that records
	// it, and every read of the benchmark comes after.
	_, err = c.GrantConsent(ctx, model.GrantConsentInput{
		Grantee: model.Grantee{Type: model.GranteeUser, ID: doctorID},
		Scope:   model.Scope{Type: model.ScopeAll},
		Actions: []model.Action{model.ActionRead},
		Purpose: model.PurposeTreatment,
	})
	return err
}

// lastingReadConsent reports whether g is what the doctor phase relies on:
// a consent to doctorID as a user, in force at now and with no end, to read
// every document of the patient.
func lastingReadConsent(g model.Grant, doctorID string, now time.Time) bool {
	return g.Kind == model.GrantConsent && g.Grantee == model.Grantee{Type: model.GranteeUser, ID: doctorID} &&
		g.Scope.Type == model.ScopeAll && slices.Contains(g.Actions, model.ActionRead) &&
		access.GrantActive(g, now) && g.ValidUntil.IsZero()
}

// phase is what one throughput phase measured: committed transactions per
// second and, when the network's processes are known, CPU time per
// committed transaction by process.
type phase struct {
	tps        float64
	txPerBlock float64
	cpuPerTx   map[string]time.Duration
	noPlan     int64 // transactions refused for want of peers, see noEndorsementPlan
}

// noEndorsementPlan reports whether err is the gateway's refusal to endorse
// because it knew no peers that together satisfy the endorsement policy.
// Nothing was endorsed. On a machine the benchmark saturates, a peer's
// gossip view of the other organisation's peer can lapse for a moment (see
// network/fabric/README.md), which one 16-client run in five met after 16
// minutes; a client waits for noPlanPause and goes on, the time lost counts
// against the phase, and the report says how often it happened.
func noEndorsementPlan(err error) bool {
	var withStatus interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &withStatus) {
		return false
	}
	st := withStatus.GRPCStatus()
	return st.Code() == codes.FailedPrecondition && strings.Contains(st.Message(), "no combination of peers can be derived")
}

// noPlanPause is how long a client waits after noEndorsementPlan: the
// peers retry a lost gossip member every 2 s (network/fabric/up.sh).
const noPlanPause = time.Second

// txFunc submits one transaction as client and returns the number of the
// block that committed it.
type txFunc func(c *sdk.Client, client, seq int) (uint64, error)

// submit submits a transaction through the Fabric Gateway client and
// returns the number of the block that committed it.
func submit(contract *client.Contract, name string, args ...string) (uint64, error) {
	_, commit, err := contract.SubmitAsync(name, client.WithArguments(args...))
	if err != nil {
		return 0, err
	}
	status, err := commit.Status()
	if err != nil {
		return 0, err
	}
	if !status.Successful {
		return 0, fmt.Errorf("transaction %s committed as invalid: %s", status.TransactionID, status.Code)
	}
	return status.BlockNumber, nil
}

// throughput runs n clients, client i with its own connection as the
// identity as(i), calling tx in a loop for d, and returns committed
// transactions per second, with the CPU time per committed transaction of
// each process cpu knows (cpu may be nil). The first failure stops the
// phase and is returned.
func throughput(ctx context.Context, prof *sdk.ConnectionProfile, as actor, cpu *cpuMeter, n int, d time.Duration, tx txFunc) (phase, error) {
	conns := make([]*sdk.Client, n)
	for i := range conns {
		msp, name := as(i)
		c, err := connect(ctx, prof, msp, name)
		if err != nil {
			return phase{}, err
		}
		defer c.Close()
		conns[i] = c
	}
	var before map[string]time.Duration
	if cpu != nil {
		var err error
		if before, err = cpu.sample(); err != nil {
			return phase{}, err
		}
	}
	var done, noPlan atomic.Int64
	var firstErr error
	var once sync.Once
	stop := make(chan struct{})
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	var mu sync.Mutex
	blocks := blockSpan{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			span := blockSpan{}
			defer func() { mu.Lock(); blocks.join(span); mu.Unlock() }()
			for seq := 0; time.Now().Before(deadline); seq++ {
				select {
				case <-stop:
					return
				default:
				}
				block, err := tx(conns[i], i, seq)
				if err != nil && noEndorsementPlan(err) {
					noPlan.Add(1)
					time.Sleep(noPlanPause)
					continue
				}
				if err != nil {
					once.Do(func() { firstErr = err; close(stop) })
					return
				}
				span.add(block)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return phase{}, firstErr
	}
	committed := done.Load()
	if committed == 0 {
		return phase{}, errors.New("no transaction committed")
	}
	p := phase{tps: float64(committed) / elapsed.Seconds(), txPerBlock: float64(committed) / float64(blocks.count()), noPlan: noPlan.Load()}
	if cpu != nil {
		after, err := cpu.sample()
		if err != nil {
			return phase{}, err
		}
		p.cpuPerTx = make(map[string]time.Duration, len(after))
		for name, t := range after {
			p.cpuPerTx[name] = (t - before[name]) / time.Duration(committed)
		}
	}
	return p, nil
}

// blockSpan is the range of blocks that committed a phase's transactions.
// The phase's clients are the only ones submitting, so every block in it
// holds the phase's transactions.
type blockSpan struct {
	first, last uint64
	seen        bool
}

func (s *blockSpan) add(n uint64) {
	if !s.seen || n < s.first {
		s.first = n
	}
	if !s.seen || n > s.last {
		s.last = n
	}
	s.seen = true
}

func (s *blockSpan) join(o blockSpan) {
	if o.seen {
		s.add(o.first)
		s.add(o.last)
	}
}

// count is the number of blocks in the span.
func (s blockSpan) count() uint64 {
	if !s.seen {
		return 0
	}
	return s.last - s.first + 1
}

// latency calls f n times in sequence and returns the 50th and 99th percentiles.
func latency(n int, f func(i int) error) (time.Duration, time.Duration, error) {
	d := make([]time.Duration, 0, n)
	for i := range n {
		t := time.Now()
		if err := f(i); err != nil {
			return 0, 0, err
		}
		d = append(d, time.Since(t))
	}
	slices.Sort(d)
	pct := func(p int) time.Duration { return d[min(len(d)-1, len(d)*p/100)].Round(10 * time.Microsecond) }
	return pct(50), pct(99), nil
}
