package contract

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/medledger/medledger/chaincode/access"
	"github.com/medledger/medledger/chaincode/model"
)

// configRecord is the chaincode's singleton settings record (objConfig). It is
// internal to the chaincode: no transaction returns it.
type configRecord struct {
	Bootstrapped         bool `json:"bootstrapped"`
	ActiveSolutionAdmins int  `json:"activeSolutionAdmins"`
}

// compositeKey builds a key of the scheme in keys.go. Attributes are
// validated ids, codes or hashes, so a failure means the input slipped past
// validation: it is reported as an invalid argument, never written.
func compositeKey(stub shim.ChaincodeStubInterface, objectType string, attrs ...string) (string, error) {
	k, err := stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", model.Errorf(model.CodeInvalidArgument, "cannot build %s key: %v", objectType, err)
	}
	return k, nil
}

// getJSON reads key into v and reports whether the key exists.
func getJSON(stub shim.ChaincodeStubInterface, key string, v any) (bool, error) {
	raw, err := stub.GetState(key)
	if err != nil {
		return false, model.Errorf(model.CodeInternal, "read state: %v", err)
	}
	return decodeIfFound(raw, v)
}

// decodeIfFound decodes raw, a value read from the ledger, into v and
// reports whether there was one. Fabric stores no empty values (writing one
// deletes the key), so nil or empty means the key does not exist.
func decodeIfFound(raw []byte, v any) (bool, error) {
	if len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, model.Errorf(model.CodeInternal, "decode state record: %v", err)
	}
	return true, nil
}

// states is a set of keys read together, by key; a key that does not exist
// maps to nil.
type states map[string][]byte

// readStates reads keys with one GetMultipleStates: on a Fabric 3 peer that
// advertises useGetMultipleKeys that is one round trip between peer and
// chaincode for all of them, where each GetState is one; older peers get
// one GetState per key from the shim, as before. Keys already in known are
// not read again, so a key is read (and counted) once per transaction;
// known is extended and returned.
func readStates(stub shim.ChaincodeStubInterface, known states, keys ...string) (states, error) {
	if known == nil {
		known = states{}
	}
	var missing []string
	for _, k := range keys {
		if _, ok := known[k]; !ok && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return known, nil
	}
	vals, err := stub.GetMultipleStates(missing...)
	if err != nil {
		return nil, model.Errorf(model.CodeInternal, "read state: %v", err)
	}
	if len(vals) != len(missing) {
		return nil, model.Errorf(model.CodeInternal, "read state: %d values for %d keys", len(vals), len(missing))
	}
	for i, k := range missing {
		known[k] = vals[i]
	}
	return known, nil
}

// getRecord reads the record of objectType with attrs into v.
func getRecord(stub shim.ChaincodeStubInterface, v any, objectType string, attrs ...string) (bool, error) {
	k, err := compositeKey(stub, objectType, attrs...)
	if err != nil {
		return false, err
	}
	return getJSON(stub, k, v)
}

// putRecord writes v as JSON under the key of objectType with attrs.
func putRecord(stub shim.ChaincodeStubInterface, v any, objectType string, attrs ...string) error {
	k, err := compositeKey(stub, objectType, attrs...)
	if err != nil {
		return err
	}
	return putJSON(stub, k, v)
}

// putJSON writes v as JSON under key.
func putJSON(stub shim.ChaincodeStubInterface, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return model.Errorf(model.CodeInternal, "encode state record: %v", err)
	}
	if err := stub.PutState(key, raw); err != nil {
		return model.Errorf(model.CodeInternal, "write state: %v", err)
	}
	return nil
}

// putMarker writes an index entry that only exists to be found by a
// partial-key query. Fabric deletes a key written with an empty value, so the
// marker holds one byte.
func putMarker(stub shim.ChaincodeStubInterface, objectType string, attrs ...string) error {
	k, err := compositeKey(stub, objectType, attrs...)
	if err != nil {
		return err
	}
	if err := stub.PutState(k, []byte{0}); err != nil {
		return model.Errorf(model.CodeInternal, "write state: %v", err)
	}
	return nil
}

// emit sets the transaction's one event.
func emit(stub shim.ChaincodeStubInterface, name string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return model.Errorf(model.CodeInternal, "encode event: %v", err)
	}
	if err := stub.SetEvent(name, raw); err != nil {
		return model.Errorf(model.CodeInternal, "set event: %v", err)
	}
	return nil
}

// txTime is the transaction timestamp, the only clock the chaincode has: every
// endorser sees the same value.
func txTime(stub shim.ChaincodeStubInterface) (time.Time, error) {
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return time.Time{}, model.Errorf(model.CodeInternal, "transaction timestamp: %v", err)
	}
	if ts == nil {
		return time.Time{}, model.Errorf(model.CodeInternal, "transaction has no timestamp")
	}
	return ts.AsTime().UTC(), nil
}

func readConfig(stub shim.ChaincodeStubInterface) (configRecord, error) {
	var cfg configRecord
	_, err := getRecord(stub, &cfg, objConfig)
	return cfg, err
}

func getUser(stub shim.ChaincodeStubInterface, userID string) (model.User, error) {
	var u model.User
	found, err := getRecord(stub, &u, objUser, userID)
	if err != nil {
		return model.User{}, err
	}
	if !found {
		return model.User{}, model.Errorf(model.CodeNotFound, "user %s not found", userID)
	}
	return u, nil
}

// getPatient loads a user who must be an active patient.
func getPatient(stub shim.ChaincodeStubInterface, patientID string) (model.User, error) {
	k, err := compositeKey(stub, objUser, patientID)
	if err != nil {
		return model.User{}, err
	}
	raw, err := stub.GetState(k)
	if err != nil {
		return model.User{}, model.Errorf(model.CodeInternal, "read state: %v", err)
	}
	return patientFrom(raw, patientID)
}

// patientFrom decodes patientID's user record read as raw (nil: absent),
// which must be an active patient's.
func patientFrom(raw []byte, patientID string) (model.User, error) {
	var u model.User
	found, err := decodeIfFound(raw, &u)
	if err != nil {
		return model.User{}, err
	}
	if !found {
		return model.User{}, model.Errorf(model.CodeNotFound, "user %s not found", patientID)
	}
	if u.Role != model.RolePatient {
		return model.User{}, model.Errorf(model.CodeNotFound, "patient %s not found (user %s is a %s)", patientID, patientID, u.Role)
	}
	if u.Status != model.UserActive {
		return model.User{}, model.Errorf(model.CodeFailedPrecondition, "patient %s is removed", patientID)
	}
	return u, nil
}

func getOrganization(stub shim.ChaincodeStubInterface, orgID string) (model.Organization, error) {
	var o model.Organization
	found, err := getRecord(stub, &o, objOrg, orgID)
	if err != nil {
		return model.Organization{}, err
	}
	if !found {
		return model.Organization{}, model.Errorf(model.CodeNotFound, "organisation %s not found", orgID)
	}
	return o, nil
}

// documentFrom decodes documentID's record read as raw, nil meaning absent.
func documentFrom(raw []byte, documentID string) (model.Document, error) {
	var d model.Document
	found, err := decodeIfFound(raw, &d)
	if err != nil {
		return model.Document{}, err
	}
	if !found {
		return model.Document{}, model.Errorf(model.CodeNotFound, "document %s not found", documentID)
	}
	return d, nil
}

func getDocument(stub shim.ChaincodeStubInterface, documentID string) (model.Document, error) {
	var d model.Document
	found, err := getRecord(stub, &d, objDocument, documentID)
	if err != nil {
		return model.Document{}, err
	}
	if !found {
		return model.Document{}, model.Errorf(model.CodeNotFound, "document %s not found", documentID)
	}
	return d, nil
}

// grantSet is the value of an objGrantsBetween key.
type grantSet struct {
	Grants []model.Grant `json:"grants"`
}

// granteesOf are the grantees a grant to c can name: c as a user and, for a
// doctor, c's organisation, in the order their grants are decided.
func granteesOf(c access.Caller) []model.Grantee {
	out := []model.Grantee{{Type: model.GranteeUser, ID: c.UserID}}
	if c.Role == model.RoleDoctor && c.OrgID != "" {
		out = append(out, model.Grantee{Type: model.GranteeOrganization, ID: c.OrgID})
	}
	return out
}

func grantSetKey(stub shim.ChaincodeStubInterface, patientID string, g model.Grantee) (string, error) {
	return compositeKey(stub, objGrantsBetween, patientID, string(g.Type), g.ID)
}

// grantsBetween loads the grants between patientID and the caller: those made
// to the caller as a user (consent and emergency) and, for a doctor, those
// made to the caller's organisation. Their grant sets and the patient's
// marker are read in one round trip; only the patient of a ledger written
// before grant sets, whose grants have not changed since, still needs a
// partial-key query per grantee. Either way the result is only these
// grants, whatever else the ledger holds, and queries nothing paginated, so
// submit transactions may call it.
func grantsBetween(stub shim.ChaincodeStubInterface, patientID string, c access.Caller) ([]model.Grant, error) {
	markerKey, err := compositeKey(stub, objGrantSets, patientID)
	if err != nil {
		return nil, err
	}
	grantees := granteesOf(c)
	keys := []string{markerKey}
	for _, g := range grantees {
		k, err := grantSetKey(stub, patientID, g)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	vals, err := readStates(stub, nil, keys...)
	if err != nil {
		return nil, err
	}
	var grants []model.Grant
	for i, g := range grantees {
		if len(vals[markerKey]) == 0 {
			found, err := queryGrants(stub, patientID, string(g.Type), g.ID)
			if err != nil {
				return nil, err
			}
			grants = append(grants, found...)
			continue
		}
		var set grantSet
		if _, err := decodeIfFound(vals[keys[i+1]], &set); err != nil {
			return nil, err
		}
		grants = append(grants, set.Grants...)
	}
	return grants, nil
}

// queryGrants returns the grants under the partial key attrs of objGrant, in
// key order: [patientID] for all of a patient's, [patientID, granteeType,
// granteeID] for those between the patient and one grantee. Not paginated,
// so submit transactions may call it.
func queryGrants(stub shim.ChaincodeStubInterface, attrs ...string) ([]model.Grant, error) {
	it, err := stub.GetStateByPartialCompositeKey(objGrant, attrs)
	if err != nil {
		return nil, model.Errorf(model.CodeInternal, "query grants: %v", err)
	}
	defer closeUnlessExhausted(it)
	var grants []model.Grant
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, model.Errorf(model.CodeInternal, "query grants: %v", err)
		}
		var g model.Grant
		if err := json.Unmarshal(kv.GetValue(), &g); err != nil {
			return nil, model.Errorf(model.CodeInternal, "decode grant %s: %v", kv.GetKey(), err)
		}
		grants = append(grants, g)
	}
	return grants, nil
}

// closeUnlessExhausted closes an iterator that still holds results. Closing
// an exhausted one would be a wasted round trip to the peer: the peer
// releases a query as soon as it sends its last results (HasMore false;
// core/chaincode/query_response_generator.go), answers QUERY_STATE_CLOSE for
// it with nothing, and closes any iterator left open when the transaction
// ends. HasNext asks the shim, not the peer.
func closeUnlessExhausted(it shim.StateQueryIteratorInterface) {
	if it.HasNext() {
		_ = it.Close()
	}
}

// decideRead is the read decision with the fewest reads: the patient and the
// author are decided without looking at grants; anyone else's grants with
// this patient are loaded and decide.
func decideRead(stub shim.ChaincodeStubInterface, doc model.Document, c access.Caller, now time.Time) (model.AccessDecision, error) {
	d := access.Decide(doc, c, nil, now)
	if d.Allowed || d.Reason != access.ReasonNoGrant {
		return d, nil
	}
	grants, err := grantsBetween(stub, doc.PatientID, c)
	if err != nil {
		return model.AccessDecision{}, err
	}
	return access.Decide(doc, c, grants, now), nil
}

// readAttempt is a read of one document by the caller, decided: what
// CheckAccess answers with and AccessDocument acts on.
type readAttempt struct {
	who      caller
	doc      model.Document
	now      time.Time
	decision model.AccessDecision
}

// attemptRead validates in, resolves the caller, loads the document and
// decides the read. CheckAccess and AccessDocument both start here, so the
// answer CheckAccess gives is the one AccessDocument acts on.
func attemptRead(ctx contractapi.TransactionContextInterface, in model.AccessDocumentInput) (readAttempt, error) {
	stub := ctx.GetStub()
	if err := checkAccessInput(in); err != nil {
		return readAttempt{}, err
	}
	docKey, err := compositeKey(stub, objDocument, in.DocumentID)
	if err != nil {
		return readAttempt{}, err
	}
	who, vals, err := resolveCallerWith(ctx, docKey)
	if err != nil {
		return readAttempt{}, err
	}
	doc, err := documentFrom(vals[docKey], in.DocumentID)
	if err != nil {
		return readAttempt{}, err
	}
	now, err := txTime(stub)
	if err != nil {
		return readAttempt{}, err
	}
	d, err := decideRead(stub, doc, who.Caller, now)
	if err != nil {
		return readAttempt{}, err
	}
	return readAttempt{who: who, doc: doc, now: now, decision: d}, nil
}

// ptr returns &v, or nil when err is set. Transactions return pointers because
// the contract API checks a returned value against its schema even when an
// error is returned too, and a zero record (nil slices) would fail that check;
// a nil pointer is not checked.
func ptr[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}
