package ledgersim_test

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/medledger/medledger/chaincode/ledgersim"
	"github.com/medledger/medledger/network/pki"
)

func ExampleLedger_Execute() {
	cc, err := contractapi.NewChaincode(&noteContract{})
	if err != nil {
		fmt.Println(err)
		return
	}
	org, err := pki.NewOrg("Org1MSP", "org1.example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	user, err := org.NewIdentity("user1", pki.OUClient, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	creator, err := user.Serialize()
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	l := ledgersim.New()
	_, res, code := l.Execute(cc, ledgersim.TxParams{
		TxID: "tx1", Timestamp: ts, Creator: creator,
		Args: [][]byte{[]byte("Put"), []byte("note1"), []byte("hello")},
	})
	fmt.Println(code, res.Event.EventName, l.Height())

	resp, _ := l.Evaluate(cc, ledgersim.TxParams{
		TxID: "tx2", Timestamp: ts, Creator: creator,
		Args: [][]byte{[]byte("Get"), []byte("note1")},
	})
	fmt.Println(resp.Status, string(resp.Payload))
	// Output:
	// VALID NotePut 2
	// 200 hello
}
