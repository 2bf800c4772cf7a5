package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/medledger/medledger/chaincode/model"
)

// Event is one MedLedger chaincode event with its payload decoded.
type Event struct {
	BlockNumber   uint64
	TransactionID string
	// Name is one of the model.Event... names.
	Name string
	// Payload is the decoded payload, a value of the type model/events.go
	// names beside the event: model.UserEvent, model.OrganizationEvent,
	// model.DocumentEvent, model.ConsentEvent, model.EmergencyAccessEvent or
	// model.DocumentAccessedEvent. It is nil for an event name this SDK does
	// not know (a newer chaincode) and when DecodeErr is set.
	Payload any
	// DecodeErr says why a known event's payload did not decode.
	DecodeErr error
	// Raw is the payload as the chaincode emitted it.
	Raw []byte
}

// ErrEventStreamClosed is returned by Listen when the peer ended the event
// stream before the context did (peer restart, network fault). Listen again
// with the same Checkpointer to resume where it stopped.
var ErrEventStreamClosed = errors.New("sdk: event stream closed by the peer")

// Checkpointer records the last event a listener finished with, so that a
// listener started again resumes right after it. *client.FileCheckpointer
// (client.NewFileCheckpointer) satisfies it and survives restarts;
// NewInMemoryCheckpointer serves a listener that reconnects within one
// process.
type Checkpointer interface {
	client.Checkpoint
	CheckpointTransaction(blockNumber uint64, transactionID string) error
}

var _ Checkpointer = (*client.FileCheckpointer)(nil)

// NewInMemoryCheckpointer returns a Checkpointer that keeps its position in
// memory (client.InMemoryCheckpointer).
func NewInMemoryCheckpointer() Checkpointer { return &memoryCheckpointer{} }

type memoryCheckpointer struct {
	client.InMemoryCheckpointer
}

func (m *memoryCheckpointer) CheckpointTransaction(blockNumber uint64, txID string) error {
	m.InMemoryCheckpointer.CheckpointTransaction(blockNumber, txID)
	return nil
}

// EventsOption sets where an event stream starts.
type EventsOption func(*[]client.ChaincodeEventsOption)

// FromBlock starts the stream at block n (inclusive) when no checkpoint
// says otherwise. Without it a stream starts at the next block committed.
func FromBlock(n uint64) EventsOption {
	return func(o *[]client.ChaincodeEventsOption) { *o = append(*o, client.WithStartBlock(n)) }
}

// AfterCheckpoint starts the stream right after the event cp records; an
// empty checkpoint leaves the start as it was.
func AfterCheckpoint(cp client.Checkpoint) EventsOption {
	return func(o *[]client.ChaincodeEventsOption) { *o = append(*o, client.WithCheckpoint(cp)) }
}

// Events streams the chaincode's events, decoded, until ctx ends or the
// peer closes the stream; then the channel closes. Use Listen for a
// listener that must miss nothing and repeat nothing across restarts.
func (c *Client) Events(ctx context.Context, opts ...EventsOption) (<-chan Event, error) {
	var gwOpts []client.ChaincodeEventsOption
	for _, o := range opts {
		o(&gwOpts)
	}
	raw, err := c.network.ChaincodeEvents(ctx, c.cfg.Chaincode, gwOpts...)
	if err != nil {
		return nil, fmt.Errorf("sdk: chaincode events: %w", err)
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		for ev := range raw {
			select {
			case out <- DecodeEvent(ev):
			case <-ctx.Done():
				// The gateway's sender blocks until its stream notices the
				// cancelled context; drain so that it can.
				for range raw {
				}
				return
			}
		}
	}()
	return out, nil
}

// Listen calls handle for each chaincode event in commit order, starting
// right after the event cp records (or at FromBlock, or at the next commit,
// when cp is empty), and records each event in cp once handle returned nil
// for it. An event whose handler failed is not recorded, so the next Listen
// with cp delivers it again: a listener restarted with a file checkpointer
// misses nothing and repeats nothing it completed.
//
// Listen returns ctx.Err() when ctx ends, ErrEventStreamClosed when the
// peer ends the stream, or handle's error.
func (c *Client) Listen(ctx context.Context, cp Checkpointer, handle func(context.Context, Event) error, opts ...EventsOption) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := c.Events(ctx, append(opts, AfterCheckpoint(cp))...)
	if err != nil {
		return err
	}
	for ev := range events {
		if err := handle(ctx, ev); err != nil {
			return err
		}
		if err := cp.CheckpointTransaction(ev.BlockNumber, ev.TransactionID); err != nil {
			return fmt.Errorf("sdk: checkpoint after tx %s: %w", ev.TransactionID, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrEventStreamClosed
}

// DecodeEvent decodes a gateway chaincode event into an Event.
func DecodeEvent(ev *client.ChaincodeEvent) Event {
	out := Event{
		BlockNumber:   ev.BlockNumber,
		TransactionID: ev.TransactionID,
		Name:          ev.EventName,
		Raw:           ev.Payload,
	}
	var err error
	switch ev.EventName {
	case model.EventBootstrapped, model.EventSolutionAdminAdded, model.EventSolutionAdminRemoved,
		model.EventOrgAdminAssigned, model.EventOrgAdminRemoved, model.EventUserRegistered, model.EventUserRemoved:
		out.Payload, err = decodePayload[model.UserEvent](ev.Payload)
	case model.EventOrganizationCreated, model.EventOrganizationSuspended, model.EventOrganizationReactivated:
		out.Payload, err = decodePayload[model.OrganizationEvent](ev.Payload)
	case model.EventDocumentRegistered, model.EventDocumentVersionAdded, model.EventDocumentErased:
		out.Payload, err = decodePayload[model.DocumentEvent](ev.Payload)
	case model.EventConsentGranted, model.EventConsentRevoked:
		out.Payload, err = decodePayload[model.ConsentEvent](ev.Payload)
	case model.EventEmergencyAccessOpened:
		out.Payload, err = decodePayload[model.EmergencyAccessEvent](ev.Payload)
	case model.EventDocumentAccessed:
		out.Payload, err = decodePayload[model.DocumentAccessedEvent](ev.Payload)
	}
	if err != nil {
		out.Payload = nil
		out.DecodeErr = fmt.Errorf("sdk: event %s in tx %s: %w", ev.EventName, ev.TransactionID, err)
	}
	return out
}

func decodePayload[T any](b []byte) (any, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}
