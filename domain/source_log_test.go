package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

const (
	trustedCheckpoint = "pfn/up\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— pfn/up sig1\n"
	offeredCheckpoint = "pfn/up\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— pfn/up sig2\n"
)

// The watch of an upstream's log, command by command: what each records,
// what the state then says, what CanSync answers, and that a replay of
// the events builds the same state.
func TestUpstreamLogWatch(t *testing.T) {
	at := t0.Add(time.Hour)
	synced := func(s *domain.Source) error {
		return s.RecordSync(domain.SyncSummary{LogCheckpoint: trustedCheckpoint}, at)
	}
	faulted := func(s *domain.Source) error {
		if err := synced(s); err != nil {
			return err
		}
		return s.RecordLogInconsistency(domain.LogFaultShrunk, "size 3 -> 2", offeredCheckpoint, at)
	}
	tests := []struct {
		name      string
		act       func(*domain.Source) error
		wantErr   error  // nil: the last command succeeds
		wantEvent string // the last event recorded ("" none by the last command)
		trusted   string
		fault     *domain.LogFault
		canSync   bool
	}{
		{name: "a sync keeps the checkpoint it verified", act: synced,
			wantEvent: domain.EventSourceSynced, trusted: trustedCheckpoint, canSync: true},
		{name: "a sync without a checkpoint keeps the last one", act: func(s *domain.Source) error {
			if err := synced(s); err != nil {
				return err
			}
			return s.RecordSync(domain.SyncSummary{}, at)
		}, wantEvent: domain.EventSourceSynced, trusted: trustedCheckpoint, canSync: true},
		{name: "an inconsistency records the trusted and offered checkpoints and stops syncs", act: faulted,
			wantEvent: domain.EventSourceLogInconsistent, trusted: trustedCheckpoint, canSync: false,
			fault: &domain.LogFault{Kind: domain.LogFaultShrunk, Reason: "size 3 -> 2", Offered: offeredCheckpoint, At: at}},
		{name: "a second inconsistency records nothing: the first stands", act: func(s *domain.Source) error {
			if err := faulted(s); err != nil {
				return err
			}
			n := len(s.Changes())
			if err := s.RecordLogInconsistency(domain.LogFaultForked, "other", "x", at.Add(time.Minute)); err != nil {
				return err
			}
			if len(s.Changes()) != n {
				return errors.New("recorded a second fault")
			}
			return nil
		}, wantEvent: domain.EventSourceLogInconsistent, trusted: trustedCheckpoint,
			fault: &domain.LogFault{Kind: domain.LogFaultShrunk, Reason: "size 3 -> 2", Offered: offeredCheckpoint, At: at}},
		{name: "a log no longer announced is a fault: no checkpoint offered", act: func(s *domain.Source) error {
			if err := synced(s); err != nil {
				return err
			}
			return s.RecordLogInconsistency(domain.LogFaultWithdrawn, "no longer announced", "", at)
		}, wantEvent: domain.EventSourceLogInconsistent, trusted: trustedCheckpoint,
			fault: &domain.LogFault{Kind: domain.LogFaultWithdrawn, Reason: "no longer announced", At: at}},
		{name: "accepting a withdrawn log leaves nothing trusted: the next sync is as from an upstream without a log", act: func(s *domain.Source) error {
			if err := synced(s); err != nil {
				return err
			}
			if err := s.RecordLogInconsistency(domain.LogFaultWithdrawn, "no longer announced", "", at); err != nil {
				return err
			}
			return s.AcceptUpstreamLog("the upstream turned its log off", "key_1", at.Add(time.Minute))
		}, wantEvent: domain.EventSourceLogAccepted, canSync: true},
		{name: "an unknown kind is refused", act: func(s *domain.Source) error {
			return s.RecordLogInconsistency("bent", "r", "", at)
		}, wantErr: domain.ErrInvalidInput, canSync: true},
		{name: "an inconsistency without a reason is refused", act: func(s *domain.Source) error {
			return s.RecordLogInconsistency(domain.LogFaultForked, " ", "", at)
		}, wantErr: domain.ErrInvalidInput, canSync: true},
		{name: "an oversized offered checkpoint is refused", act: func(s *domain.Source) error {
			return s.RecordLogInconsistency(domain.LogFaultForked, "r", strings.Repeat("x", domain.MaxLogCheckpoint+1), at)
		}, wantErr: domain.ErrInvalidInput, canSync: true},
		{name: "accepting clears the fault and the trusted checkpoint", act: func(s *domain.Source) error {
			if err := faulted(s); err != nil {
				return err
			}
			return s.AcceptUpstreamLog(" the upstream restored a backup ", "key_1", at.Add(time.Minute))
		}, wantEvent: domain.EventSourceLogAccepted, canSync: true},
		{name: "accepting without a fault conflicts", act: func(s *domain.Source) error {
			if err := synced(s); err != nil {
				return err
			}
			return s.AcceptUpstreamLog("why", "key_1", at)
		}, wantErr: domain.ErrConflict, trusted: trustedCheckpoint, canSync: true},
		{name: "accepting needs a reason", act: func(s *domain.Source) error {
			if err := faulted(s); err != nil {
				return err
			}
			return s.AcceptUpstreamLog("", "key_1", at)
		}, wantErr: domain.ErrInvalidInput, trusted: trustedCheckpoint,
			fault: &domain.LogFault{Kind: domain.LogFaultShrunk, Reason: "size 3 -> 2", Offered: offeredCheckpoint, At: at}},
		{name: "an oversized checkpoint on a sync is refused", act: func(s *domain.Source) error {
			return s.RecordSync(domain.SyncSummary{LogCheckpoint: strings.Repeat("x", domain.MaxLogCheckpoint+1)}, at)
		}, wantErr: domain.ErrInvalidInput, canSync: true},
		{name: "a suspended source records no inconsistency", act: func(s *domain.Source) error {
			if err := s.Suspend("look", false, "key_1", at); err != nil {
				return err
			}
			return s.RecordLogInconsistency(domain.LogFaultForked, "r", "", at)
		}, wantErr: domain.ErrSourceSuspended},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := verifiedSource(t)
			err := tt.act(s)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			changes := s.Changes()
			if last := changes[len(changes)-1].EventType(); tt.wantEvent != "" && last != tt.wantEvent {
				t.Fatalf("last event %s, want %s", last, tt.wantEvent)
			}
			for _, got := range []*domain.Source{s, replay(t, s)} {
				st := got.State()
				if st.UpstreamLog != tt.trusted {
					t.Errorf("trusted checkpoint %q, want %q", st.UpstreamLog, tt.trusted)
				}
				switch {
				case (st.LogFault == nil) != (tt.fault == nil):
					t.Errorf("fault %+v, want %+v", st.LogFault, tt.fault)
				case st.LogFault != nil && *st.LogFault != *tt.fault:
					t.Errorf("fault %+v, want %+v", *st.LogFault, *tt.fault)
				}
				if err := got.CanSync(); (err == nil) != tt.canSync {
					t.Errorf("CanSync: %v, want can sync %v", err, tt.canSync)
				}
			}
		})
	}
}

func TestCanSyncNamesTheLogFault(t *testing.T) {
	s := verifiedSource(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.RecordLogInconsistency(domain.LogFaultForked, "same size 5, other root", offeredCheckpoint, at); err != nil {
		t.Fatal(err)
	}
	err := s.CanSync()
	want := "the upstream's transparency log failed a consistency check (forked: same size 5, other root) at 2026-12-01T10:00:00Z; " +
		"an admin must accept the log (POST /federation/accept-upstream-log) or remove the source"
	if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), want) {
		t.Fatalf("CanSync: %v\nwant %q", err, want)
	}
	if ev := s.Changes()[len(s.Changes())-1].(domain.SourceLogInconsistent); ev.Trusted != "" || ev.Offered != offeredCheckpoint {
		t.Fatalf("event %+v", ev)
	}
}

func TestPublisherInfoKeepsTheLogOrigin(t *testing.T) {
	s := verifiedSource(t)
	info := domain.PublisherInfo{ProtocolVersion: "1", Features: []string{"pfn-node/v1", "transparency-log"},
		AssetDomain: "https://plugins.example.com", NamingScheme: "{author}/{slug}/{version}.zip", LogOrigin: "pfn/0123456789abcdef"}
	if err := s.RefreshInfo(info, t0); err != nil {
		t.Fatal(err)
	}
	if got := replay(t, s).State().Info.LogOrigin; got != info.LogOrigin {
		t.Fatalf("log origin %q after a replay", got)
	}
	info.LogOrigin = strings.Repeat("o", tlogtiles.MaxOrigin+1)
	if err := s.RefreshInfo(info, t0); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("an oversized origin: %v", err)
	}
}
