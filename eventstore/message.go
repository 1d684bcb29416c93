package eventstore

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
)

func uuidString(b [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], b[10:])
	return string(buf[:])
}

// eventFromMessage rebuilds the stored event that eventsSchema put into a
// watermill message.
func eventFromMessage(msg *message.Message) (Event, error) {
	var e Event
	var err error
	md := msg.Metadata
	if e.ID, err = uuid.Parse(msg.UUID); err != nil {
		return e, fmt.Errorf("event id %q: %w", msg.UUID, err)
	}
	e.StreamID = md[mdStream]
	e.Type = md[mdType]
	e.Payload = json.RawMessage(msg.Payload)
	if e.StreamVersion, err = strconv.ParseInt(md[mdVersion], 10, 64); err != nil {
		return e, fmt.Errorf("event %s: stream version: %w", msg.UUID, err)
	}
	if e.SchemaVersion, err = strconv.Atoi(md[mdSchemaVersion]); err != nil {
		return e, fmt.Errorf("event %s: schema version: %w", msg.UUID, err)
	}
	if e.GlobalPosition, err = strconv.ParseInt(md[mdPosition], 10, 64); err != nil {
		return e, fmt.Errorf("event %s: global position: %w", msg.UUID, err)
	}
	if e.TransactionID, err = strconv.ParseUint(md[mdTransaction], 10, 64); err != nil {
		return e, fmt.Errorf("event %s: transaction id: %w", msg.UUID, err)
	}
	if e.RecordedAt, err = time.Parse(time.RFC3339Nano, md[mdRecordedAt]); err != nil {
		return e, fmt.Errorf("event %s: recorded at: %w", msg.UUID, err)
	}
	if err = json.Unmarshal([]byte(md[mdMetadata]), &e.Metadata); err != nil {
		return e, fmt.Errorf("event %s: metadata: %w", msg.UUID, err)
	}
	return e, nil
}
