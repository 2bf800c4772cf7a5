package model

// ChaincodeName is the name of the MedLedger chaincode on the channel, and
// ContractName the name of its contract in the contract metadata.
const (
	ChaincodeName = "medledger"
	ContractName  = "medledger"
)

// Transaction names, as the contract exposes them. Submit transactions change
// state; evaluate transactions only read it.
const (
	// Submit.
	TxBootstrap              = "Bootstrap"
	TxAddSolutionAdmin       = "AddSolutionAdmin"
	TxRemoveSolutionAdmin    = "RemoveSolutionAdmin"
	TxCreateOrganization     = "CreateOrganization"
	TxSuspendOrganization    = "SuspendOrganization"
	TxReactivateOrganization = "ReactivateOrganization"
	TxAssignOrgAdmin         = "AssignOrgAdmin"
	TxRemoveOrgAdmin         = "RemoveOrgAdmin"
	TxRegisterUser           = "RegisterUser"
	TxRemoveUser             = "RemoveUser"
	TxRegisterDocument       = "RegisterDocument"
	TxAddDocumentVersion     = "AddDocumentVersion"
	TxEraseDocument          = "EraseDocument"
	TxGrantConsent           = "GrantConsent"
	TxRevokeConsent          = "RevokeConsent"
	TxOpenEmergencyAccess    = "OpenEmergencyAccess"
	TxAccessDocument         = "AccessDocument"
	// Evaluate.
	TxWhoAmI             = "WhoAmI"
	TxGetOrganization    = "GetOrganization"
	TxListOrganizations  = "ListOrganizations"
	TxGetUser            = "GetUser"
	TxListUsers          = "ListUsers"
	TxListDocuments      = "ListDocuments"
	TxCheckAccess        = "CheckAccess"
	TxListGrants         = "ListGrants"
	TxListReceivedGrants = "ListReceivedGrants"
	TxListAccessLog      = "ListAccessLog"
	TxListMyAccesses     = "ListMyAccesses"
	TxListStorageRefs    = "ListStorageRefs"
)

// EvaluateTransactions lists the read-only transactions; the contract marks
// them as evaluate in its metadata.
var EvaluateTransactions = []string{
	TxWhoAmI, TxGetOrganization, TxListOrganizations, TxGetUser, TxListUsers,
	TxListDocuments, TxCheckAccess, TxListGrants, TxListReceivedGrants,
	TxListAccessLog, TxListMyAccesses, TxListStorageRefs,
}
