package app_test

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// A publisher that rotated its key re-signs its listing at once. A sync
// that runs before any health check followed the rotation follows the
// announcement itself, and only then judges the listing: a proven
// rotation is no tampering; a publisher that does not answer fails the
// sync, to be tried again, with nothing recorded against the versions; a
// refused announcement leaves the re-signed versions judged as ever.
func TestSyncFollowsAnnouncedRotationFirst(t *testing.T) {
	tests := []struct {
		name        string
		infoErr     error
		signByNext  bool // the announcement is not signed by the current key
		wantErr     error
		wantRotated bool
		wantTamper  bool
	}{
		{name: "announced and proven", wantRotated: true},
		{name: "federation-info down", infoErr: errors.New("connection refused"), wantErr: domain.ErrPublisher},
		{name: "announcement refused", signByNext: true, wantTamper: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := subscribedWorld(t)
			w.publish(t, "tool", "1.0.0", "tool v1")
			w.run(t)
			nextKey, nextPriv := newKey(t)
			signer := w.key
			if tt.signByNext {
				signer = nextPriv
			}
			info := mirrorInfo
			info.KeyRotation = announce(t, mustLoad(t, w.sources, w.id).State(), nextKey, signer)
			pub := &fakePublisher{info: info, infoErr: tt.infoErr, signer: nextPriv}
			w.sync.Announced = app.AnnouncedKeys{Publisher: pub, Random: rand.Reader, Keys: w.sources}
			w.key = nextPriv
			w.publish(t, "tool", "1.0.0", "tool v1") // re-signed with the new key

			_, err := w.sync.Run(context.Background(), w.id)
			wantErr(t, err, tt.wantErr)
			if rotated := mustLoad(t, w.sources, w.id).State().PublicKey.Equal(mustParse(t, nextKey)); rotated != tt.wantRotated {
				t.Errorf("rotated %v, want %v", rotated, tt.wantRotated)
			}
			if tampered := slices.Contains(w.pluginEvents("tool"), domain.EventPluginTampered); tampered != tt.wantTamper {
				t.Errorf("tampering recorded %v, want %v: %v", tampered, tt.wantTamper, w.pluginEvents("tool"))
			}
		})
	}
}

// Once the changed signature is recorded as tampering, later syncs judge
// the listing without asking the publisher about a rotation again: they do
// not fail while its /federation-info is down.
func TestSyncDoesNotAskAgainAboutRecordedTampering(t *testing.T) {
	w := subscribedWorld(t)
	w.publish(t, "tool", "1.0.0", "tool v1")
	w.run(t)
	nextKey, nextPriv := newKey(t)
	info := mirrorInfo
	info.KeyRotation = announce(t, mustLoad(t, w.sources, w.id).State(), nextKey, nextPriv) // refused: not the current key's
	pub := &fakePublisher{info: info, signer: nextPriv}
	w.sync.Announced = app.AnnouncedKeys{Publisher: pub, Random: rand.Reader, Keys: w.sources}
	w.key = nextPriv
	w.publish(t, "tool", "1.0.0", "tool v1")
	if _, err := w.sync.Run(context.Background(), w.id); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if !slices.Contains(w.pluginEvents("tool"), domain.EventPluginTampered) {
		t.Fatalf("no tampering recorded: %v", w.pluginEvents("tool"))
	}
	pub.infoErr = errors.New("connection refused")
	if _, err := w.sync.Run(context.Background(), w.id); err != nil {
		t.Fatalf("a sync after the tampering was recorded = %v, want it to judge the listing without the publisher's info", err)
	}
}
